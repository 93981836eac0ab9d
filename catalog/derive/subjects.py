"""Canonical subjects: the ISCED-F 2013 broad fields, and how each source's categories map to them.

Every source names subjects its own way — edX "Computer Science", XuetangX ``classify_name``
"计算机", MOOChub keywords "Informatik", a VNU instance "Khoa học máy tính". Students filter by
one list, in their own language, so each category is mapped to one of the eleven ISCED-F broad
fields (``"00"`` … ``"10"``), whose vi / zh / en labels ship in
``catalog/derive/data/isced_f_2013.toml`` together with the default mappings.

How a category is matched, in order:

1. the config's extra mapping, then the defaults, by the whole name — compared folded (case,
   Vietnamese accents and punctuation ignored: ``giao duc`` = ``Giáo dục``, ``经管・会计`` =
   ``经管·会计``; "and" / "und" / "và" ignored, so ``Economics and Finance`` = ``Economics &
   Finance``);
2. an ISCED-F code given as the category (``"0613"`` → 06);
3. a known name inside a longer category: as whole words for alphabetic names (``Nhập môn Giáo
   dục học`` → 01, but ``art`` never matches inside ``artificial``), as a substring for Chinese
   (``人工智能导论`` → 06). The longest name found wins, then the one found first.

A category mapped to ``""`` (in the data's ``ignore`` list or the config) is not a subject
("国家精品" is a quality label): it maps to nothing and is not reported as unmapped.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from catalog.derive.fold import fold

LANGUAGES = ("vi", "zh", "en")
#: An extra mapping to this value says "not a subject: ignore it".
IGNORE = ""
DATA_FILE = "isced_f_2013.toml"

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_WORD = re.compile(r"[^\W_]+")  # letters and digits: punctuation (·, ・, &) separates
_SCRIPT = re.compile(f"[{_CJK}]+|[^{_CJK}]+")  # "python编程" is two words
_HAS_CJK = re.compile(f"[{_CJK}]")
_CODE = re.compile(r"\d{2,4}")
_STOP_WORDS = frozenset({"and", "und", "va"})
_CACHE_LIMIT = 50_000
#: Part of every :meth:`SubjectCatalog.signature`: raise it when the matching rules above change
#: what a category maps to, so stored codes are decided again.
RULES_VERSION = 1


def normalise(category: str) -> str:
    """The form categories are compared in: folded words, punctuation and "and" dropped."""
    words = (part for word in _WORD.findall(fold(category)) for part in _SCRIPT.findall(word))
    return " ".join(w for w in words if w not in _STOP_WORDS)


@dataclass
class _Matcher:
    """Lookups for one combination of defaults and a config's extra mapping."""

    exact: dict[str, str]
    words: dict[str, str] = field(default_factory=dict)
    max_words: int = 1
    cjk: dict[str, str] = field(default_factory=dict)
    cjk_lengths: tuple[int, ...] = ()
    memo: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def build(cls, exact: dict[str, str]) -> _Matcher:
        matcher = cls(exact)
        for key, code in exact.items():
            if code == IGNORE:
                continue  # ignored names only ever match whole
            if _HAS_CJK.search(key):
                matcher.cjk[key] = code
            else:
                matcher.words[key] = code
                matcher.max_words = max(matcher.max_words, key.count(" ") + 1)
        matcher.cjk_lengths = tuple(sorted({len(k) for k in matcher.cjk}, reverse=True))
        return matcher

    def resolve(self, key: str) -> str | None:
        if key in self.memo:
            return self.memo[key]
        found = self.exact.get(key)
        if found is None:
            found = self._within(key)
        if len(self.memo) >= _CACHE_LIMIT:
            self.memo.clear()
        self.memo[key] = found
        return found

    def _within(self, key: str) -> str | None:
        best: tuple[int, int, str] | None = None  # (-length, position, code): smallest wins
        tokens = key.split(" ")
        offsets = [0]
        for token in tokens[:-1]:
            offsets.append(offsets[-1] + len(token) + 1)
        for start in range(len(tokens)):
            for size in range(1, min(self.max_words, len(tokens) - start) + 1):
                name = " ".join(tokens[start : start + size])
                code = self.words.get(name)
                if code is not None:
                    best = min(best or (0, 0, ""), (-len(name), offsets[start], code))
        for length in self.cjk_lengths:
            for start in range(len(key) - length + 1):
                code = self.cjk.get(key[start : start + length])
                if code is not None:
                    best = min(best or (0, 0, ""), (-length, start, code))
        return best[2] if best else None


class SubjectCatalog:
    """The ISCED-F broad fields with their labels, and the default category mappings."""

    def __init__(
        self,
        fields: Mapping[str, Mapping[str, str]],
        narrow: Mapping[str, str],
        mappings: Mapping[str, str],
        ignore: Iterable[str] = (),
    ) -> None:
        self._fields = {
            code: {lang: labels[lang] for lang in LANGUAGES} for code, labels in fields.items()
        }
        self._narrow = dict(narrow)
        defaults: dict[str, str] = {}

        def add(name: str, code: str, origin: str) -> None:
            key = normalise(name)
            if not key:
                raise ValueError(f"subject data: {origin} {name!r} has no letters to match")
            try:
                broad = IGNORE if code == IGNORE else self.broad(code)
            except ValueError as exc:
                raise ValueError(f"subject data: {origin} {name!r}: {exc}") from None
            old = defaults.setdefault(key, broad)
            if old != broad:
                raise ValueError(
                    f"subject data: {origin} {name!r} maps to {broad!r}, but a name that "
                    f"matches the same ({key!r}) maps to {old!r}"
                )

        for code, labels in self._fields.items():
            for label in labels.values():
                add(label, code, f"the label of {code}")
        for code, name in self._narrow.items():
            if code[:2] not in self._fields:
                raise ValueError(f"subject data: narrow field {code!r} has no broad field")
            add(name, code[:2], f"ISCED-F {code}")
        for name, code in mappings.items():
            add(name, code, "the mapping")
        for name in ignore:
            add(name, IGNORE, "the ignored name")
        self._defaults = defaults
        self._matchers: dict[tuple[Any, ...], _Matcher] = {}
        self._data_digest = ""  # computed by the first signature()

    @classmethod
    def from_toml(cls, text: str) -> SubjectCatalog:
        data = tomllib.loads(text)
        fields = data.get("fields", {})
        for code, labels in fields.items():
            missing = [lang for lang in LANGUAGES if not str(labels.get(lang) or "").strip()]
            if not re.fullmatch(r"\d\d", code) or missing:
                raise ValueError(
                    f"subject data: field {code!r} needs a two-digit code and {missing}"
                )
        mappings: dict[str, str] = {}
        for group in data.get("mappings", {}).values():
            mappings.update(group)  # conflicts between groups are caught by add() above
        return cls(fields, data.get("narrow", {}), mappings, data.get("ignore", []))

    # ----------------------------------------------------------------- the fields

    @property
    def codes(self) -> tuple[str, ...]:
        """The broad field codes, in order: ``("00", "01", …, "10")``."""
        return tuple(sorted(self._fields))

    def broad(self, code: str) -> str:
        """The broad field of an ISCED-F broad, narrow or detailed code (``"0613"`` → ``"06"``)."""
        text = str(code).strip()
        if text in self._fields:
            return text
        if text in self._narrow:
            return text[:2]
        known = ", ".join(self.codes)
        raise ValueError(f"{code!r} is not an ISCED-F 2013 code (broad fields: {known})")

    def labels(self, code: str) -> dict[str, str]:
        """``{"vi": …, "zh": …, "en": …}`` for a code (narrow codes give their broad field's)."""
        return dict(self._fields[self.broad(code)])

    def label(self, code: str, language: str) -> str:
        """The label in ``language`` (a BCP 47 tag: ``zh-Hans`` → zh), English if not known."""
        labels = self._fields[self.broad(code)]
        return labels.get(language.split("-", maxsplit=1)[0].lower()) or labels["en"]

    # ----------------------------------------------------------------- mapping

    def map(self, categories: Iterable[str], extra: Mapping[str, str] | None = None) -> list[str]:
        """The broad fields of a course's categories: unique, in the order first found."""
        codes: list[str] = []
        for category in categories:
            code = self._resolve(category, extra)
            if code and code not in codes:
                codes.append(code)
        return codes

    def unmapped(
        self, categories: Iterable[str], extra: Mapping[str, str] | None = None
    ) -> list[str]:
        """The categories that map to no field and are not ignored (unique, stripped)."""
        found: list[str] = []
        for category in categories:
            name = " ".join(str(category).split())
            if name and self._resolve(name, extra) is None and name not in found:
                found.append(name)
        return found

    def entries(
        self, categories: Iterable[str], extra: Mapping[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """The export shape: ``[{"code": "06", "labels": {"vi": …, "zh": …, "en": …}}]``."""
        return [{"code": code, "labels": self.labels(code)} for code in self.map(categories, extra)]

    def signature(self, extra: Mapping[str, str] | None = None) -> str:
        """Stable text naming what :meth:`map` decides with: the matching rules, the shipped
        fields and defaults, and ``extra`` as normalised (so ``"Giáo dục"`` and ``"giao duc"``
        sign alike). Codes stored under one signature are current while it stays the same."""
        if not self._data_digest:
            self._data_digest = _digest(
                [self._fields, self._narrow, sorted(self._defaults.items())]
            )
        data = self._data_digest
        checked = sorted(_checked(self, extra or {}).items())
        return f"isced-f-2013 rules={RULES_VERSION} data={data} extra={_digest(checked)}"

    def check_extra(self, extra: Mapping[str, str]) -> dict[str, str]:
        """A config's extra mapping, normalised; ValueError naming the first bad entry."""
        return _checked(self, extra)

    def _resolve(self, category: Any, extra: Mapping[str, str] | None) -> str | None:
        if not isinstance(category, str):
            return None
        key = normalise(category)
        if not key:
            return IGNORE  # punctuation only: nothing to report
        if _CODE.fullmatch(key):
            try:
                return self.broad(key)
            except ValueError:
                return None
        return self._matcher(extra).resolve(key)

    def _matcher(self, extra: Mapping[str, str] | None) -> _Matcher:
        signature = tuple((extra or {}).items())
        matcher = self._matchers.get(signature)
        if matcher is None:  # checked once per distinct mapping, not once per course
            matcher = _Matcher.build({**self._defaults, **_checked(self, extra or {})})
            if len(self._matchers) >= 16:
                self._matchers.clear()
            self._matchers[signature] = matcher
        return matcher


def _checked(catalog: SubjectCatalog, extra: Mapping[str, str]) -> dict[str, str]:
    """Normalised names → broad codes (or IGNORE); ValueError naming a bad name or code."""
    checked: dict[str, str] = {}
    for name, code in extra.items():
        if not isinstance(name, str) or not normalise(name):
            raise ValueError(f"subject mapping: {name!r} is not a category name")
        if not isinstance(code, str):
            raise ValueError(f"subject mapping {name!r}: the code must be a string, not {code!r}")
        try:
            checked[normalise(name)] = IGNORE if code.strip() == IGNORE else catalog.broad(code)
        except ValueError as exc:
            raise ValueError(f"subject mapping {name!r}: {exc}") from None
    return checked


def _digest(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


@cache
def load_subjects() -> SubjectCatalog:
    """The shipped catalog (read once per process)."""
    text = resources.files("catalog.derive").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    return SubjectCatalog.from_toml(text)
