"""Detailed subjects: the ISCED-F 2013 four-digit fields, named in Vietnamese, Chinese and English.

The broad fields of :mod:`catalog.derive.subjects` let a student filter; the detailed fields let a
search cross languages: a VNU student who types ``vật lý`` should also find 大学物理（电磁学）,
and ``kinh tế`` should find 宏观经济学. Each detailed field (``0533`` Physics, ``0311``
Economics …) ships in ``catalog/derive/data/isced_detailed.toml`` with a label and a keyword
list per language; a course title or source category names the fields whose keywords it
contains, and a query names the fields whose keywords or labels it contains.

How text is matched (the same for titles, categories and queries):

1. folded (:func:`catalog.derive.fold.fold`: case and Vietnamese accents ignored, so ``vat ly``
   = ``Vật Lý``); between the words of a keyword the text may have any punctuation, so
   ``Cơ - Nhiệt`` is the keyword ``cơ nhiệt``;
2. alphabetic keywords match whole words only: ``vật lí`` is not found in ``vật liệu``, ``art``
   would never fire inside ``artificial``, and no keyword is a lone syllable like ``lý``;
3. Chinese keywords match as substrings of a Han run (no word breaks in Chinese);
4. scanning left to right, the longest keyword starting at a place wins and its words are used
   up, so 宏观经济学 is 0311 once and ``vật liệu xây dựng`` is 0732, not 0722 materials.

The codes come back unique, in the order the text names them (deterministic). Each script has
one regex, compiled once at load as a trie of its keywords, so a title costs one pass of the
regex engine per script (the Han one only for text that has non-ASCII left after folding), not
one test per keyword: 100,000 demo-like titles take 0.5–0.8 s on a busy two-core machine, half
of it folding (:meth:`DetailedFields.fields_of_folded` skips that for text already folded).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

from catalog.derive.fold import fold

LANGUAGES = ("vi", "zh", "en")
DATA_FILE = "isced_detailed.toml"

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
#: A Han (kana, Hangul) run, or an alphabetic word of letters and digits: ``(han, word)`` pairs.
_TOKEN = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")
_WORD = re.compile(f"[^\\W_{_CJK}]+")
#: A letter or digit that is not Han: what must not touch an alphabetic keyword on either side.
_ALNUM = f"[^\\W_{_CJK}]"
#: Between the words of an alphabetic keyword, the text may have any run of non-letters.
_GAP = "[\\W_]+"
_CODE = re.compile(r"\d{4}")
_NEVER = "(?!)"  # the pattern of a script that has no keywords
_Key = tuple[bool, str]  # (is Han, folded text: words joined by one space, or the Han run)


@dataclass(frozen=True)
class DetailedField:
    """One ISCED-F detailed field: its labels and keywords by language (vi / zh / en)."""

    code: str
    labels: Mapping[str, str]
    keywords: Mapping[str, tuple[str, ...]]


class DetailedFields:
    """The shipped detailed fields, with one matcher for alphabetic words and one for Han text."""

    def __init__(self, fields: Iterable[DetailedField]) -> None:
        self._fields = {f.code: f for f in sorted(fields, key=lambda f: f.code)}
        owners: dict[_Key, str] = {}  # a folded keyword → the one field it names
        for f in self._fields.values():
            if not _CODE.fullmatch(f.code):
                raise ValueError(f"detailed fields: {f.code!r} is not a four-digit ISCED-F code")
            for language in LANGUAGES:
                for keyword in f.keywords[language]:
                    _own(owners, _key(keyword, f"{f.code} keyword"), f.code, keyword)
            for label in f.labels.values():
                _own(owners, _key(label, f"{f.code} label", strict=False), f.code, label)
        self._codes = {key: code for (_, key), code in owners.items()}
        words = [key for han, key in owners if not han]
        hans = [key for han, key in owners if han]
        # One pattern per script, compiled once: a trie of the keywords, so the regex engine
        # tries only the branches that share the text's next character (longest first).
        latin = f"(?<!{_ALNUM})(?:{_trie(words, _GAP)})(?!{_ALNUM})"
        self._latin = re.compile(latin if words else _NEVER)
        self._han = re.compile(_trie(hans, "") if hans else _NEVER)
        self.keyword_count = len(owners)

    @classmethod
    def from_toml(cls, text: str) -> DetailedFields:
        """Fields from the data file's text; ValueError naming the first incomplete field."""
        parsed: list[DetailedField] = []
        for code, entry in tomllib.loads(text).get("fields", {}).items():
            keywords = entry.get("keywords", {})
            missing = [lang for lang in LANGUAGES if not str(entry.get(lang) or "").strip()]
            missing += [f"keywords.{lang}" for lang in LANGUAGES if not keywords.get(lang)]
            if missing:
                raise ValueError(f"detailed fields: {code!r} needs {', '.join(missing)}")
            parsed.append(
                DetailedField(
                    code=code,
                    labels={lang: entry[lang].strip() for lang in LANGUAGES},
                    keywords={lang: tuple(keywords[lang]) for lang in LANGUAGES},
                )
            )
        return cls(parsed)

    # ----------------------------------------------------------------- the fields

    @property
    def codes(self) -> tuple[str, ...]:
        """Every detailed code, in order: ``("0031", "0111", …)``."""
        return tuple(self._fields)

    def field(self, code: str) -> DetailedField:
        """The field of a detailed code; ValueError for a code that is not one."""
        found = self._fields.get(str(code).strip())
        if found is None:
            raise ValueError(f"{code!r} is not an ISCED-F 2013 detailed field")
        return found

    def label(self, code: str, language: str) -> str:
        """The label in ``language`` (a BCP 47 tag: ``zh-Hans`` → zh), English if not known."""
        labels = self.field(code).labels
        return labels.get(language.split("-", maxsplit=1)[0].lower()) or labels["en"]

    def broad(self, code: str) -> str:
        """The broad field a detailed code lies in: its first two digits (``"0533"`` → ``"05"``)."""
        return self.field(code).code[:2]

    # ----------------------------------------------------------------- matching

    def fields_of_text(self, text: str | None) -> tuple[str, ...]:
        """The detailed codes whose keywords a course title or source category contains (a value
        that is not text, as a source's malformed category may be, contains none)."""
        return self.fields_of_folded(fold(text) if isinstance(text, str) else "")

    def fields_of_folded(self, folded: str) -> tuple[str, ...]:
        """:meth:`fields_of_text` of text already folded (the ingest folds every title for the
        search index anyway: passing that saves the fold, most of this method's cost)."""
        if not folded:
            return ()
        latin = self._latin.findall(folded)
        han = [] if folded.isascii() else self._han.findall(folded)
        if latin and han:  # both scripts: put the codes in the order the text names them
            hits = [(m.start(), self._code(m.group())) for m in self._latin.finditer(folded)]
            hits += [(m.start(), self._codes[m.group()]) for m in self._han.finditer(folded)]
            hits.sort()
            return tuple(dict.fromkeys(code for _, code in hits))
        if latin:
            return tuple(dict.fromkeys(map(self._code, latin)))
        return tuple(dict.fromkeys(map(self._codes.__getitem__, han)))

    def fields_of_query(self, query: str | None) -> tuple[str, ...]:
        """The detailed codes a search query names, in any of the three languages: a query that
        is or contains a label or keyword (``vật lý``, ``vat ly``, ``物理``, ``physics`` → 0533),
        or a detailed code itself (``0533``)."""
        text = (query or "").strip()
        if text in self._fields:
            return (text,)
        return self.fields_of_text(text)

    def _code(self, matched: str) -> str:
        code = self._codes.get(matched)
        if code is None:  # words the text separates otherwise: "Cơ - Nhiệt" is "co nhiet"
            code = self._codes[" ".join(_WORD.findall(matched))]
        return code


def _key(text: str, origin: str, strict: bool = True) -> _Key | None:
    """A keyword's matching form: one Han run (matched as a substring) or folded words.

    Keywords mixing scripts, or Han split by punctuation, cannot be matched as one unit: an
    error for a keyword, skipped (``None``) for a label (its keywords name the field instead).
    """
    pairs = _TOKEN.findall(fold(text))
    if pairs and all(word for _, word in pairs):
        return (False, " ".join(word for _, word in pairs))
    if len(pairs) == 1:
        return (True, pairs[0][0])
    if strict:
        raise ValueError(f"detailed fields: {origin} {text!r} is not one Chinese or word phrase")
    return None


def _own(owners: dict[_Key, str], key: _Key | None, code: str, text: str) -> None:
    if key is None:
        return
    old = owners.setdefault(key, code)
    if old != code:
        raise ValueError(
            f"detailed fields: {text!r} of {code} folds like a keyword of {old} ({key[1]!r})"
        )


def _trie(keys: Iterable[str], gap: str) -> str:
    """A regex matching any of ``keys``, longest first, as a trie: ``ab|ac`` → ``a(?:b|c)``.

    A space in a key becomes ``gap`` (alphabetic keywords: any run of punctuation or spaces).
    """
    root: dict[str, dict] = {}
    for key in keys:
        node = root
        for char in key:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        branches = [
            (gap if char == " " else re.escape(char)) + emit(child)
            for char, child in sorted(node.items())
            if char
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:  # a key ends here: the longer keys are tried first, then this one
            return f"(?:{body})?" if len(branches) == 1 else body + "?"
        return body

    return emit(root)


@cache
def load_fields() -> DetailedFields:
    """The shipped detailed fields (read once per process)."""
    text = resources.files("catalog.derive").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    return DetailedFields.from_toml(text)
