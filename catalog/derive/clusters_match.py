"""Whether two courses of one institution are one course: the pairwise rules of clustering.

:mod:`catalog.derive.clusters` builds the clusters; this module decides one pair, the same way
for the clustering and for ``explain``. A candidate is *prepared* once (its title normalised, its
identities spelled one way) so that comparing two is cheap: the harvest of 100,000 courses
compares each with the few of its block, and only the title score is computed for most pairs.

The rules, in order (the first that speaks decides):

1. ``institution`` — different (or unknown) institutions are never one course;
2. ``override`` — the admin's list (:mod:`catalog.derive.clusters_overrides`) says so;
3. identity — ``course key`` (the Open edX ``ORG+NUM``, case-insensitive), ``url`` (the same
   about page, normalised) or ``provenance`` (one names the other's origin, or both the same);
4. ``similarity`` — two feeds' courses whose normalised titles score at least
   :data:`TITLE_THRESHOLD` with the same words, the same part marker, the same organisation, a
   compatible language and runs that meet. Two courses of one feed are two courses: the source
   itself keeps them apart (a course reissued under a new key is the source's to merge).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit

from rapidfuzz import fuzz

from catalog.derive.fold import fold

#: Minimum ``token_sort_ratio`` (0–100) of two normalised titles. 92 lets a title through its
#: respellings (case, diacritics, "&" for "and", dashes, word order, a plural) and keeps apart
#: titles that differ by a word. A score alone cannot tell one changed letter that respells
#: from one that renames ("Microeconomics" / "Macroeconomics" score 93), so the words must also
#: agree (:func:`words_agree`): only plurals, hyphenation and small words may differ.
TITLE_THRESHOLD = 92.0
#: Two runs "meet" when their starts are at most this many days apart.
RUN_WINDOW_DAYS = 45

#: Query parameters that only track a visit; every other parameter names the page.
_TRACKING = frozenset({"fbclid", "gclid", "mc_cid", "mc_eid", "ref", "source", "igshid", "yclid"})
#: A platform's name appended to a title ("… | edX", "… - 学堂在线").
_PLATFORM_SUFFIX = re.compile(
    r"\s*[|\-–—:]\s*(?:edx|xuetangx|学堂在线|coursera|futurelearn|k-?mooc|openedu|mooc)\s*$"
)
_SEPARATORS = frozenset("|-–—:")
#: A part of a series: "(Part 1)", "– Phần 2", "Tập II", "（上）", "第二部分", "Calculus II".
_PART = re.compile(
    r"\b(?:part|phan|tap|module|vol(?:ume)?|book)\s*([0-9]{1,2}|[ivx]{1,4})\b"
    r"|\(\s*([上中下]|[一二三四五六七八九十]{1,2}|[0-9]{1,2})\s*\)"
    r"|第\s*([一二三四五六七八九十]{1,2}|[0-9]{1,2})\s*(?:部分|部|册|讲|篇)"
    r"|\s([ivx]{1,4}|[0-9]{1,2})$"
)
#: A URL with nothing to decode: scheme, host, default port, path, fragment (most about pages).
_PLAIN_URL = re.compile(
    r"https?://(?:www\.)?([a-z0-9.-]+)(?::(?:80|443))?(/[^?#%]*)?(?:#.*)?", re.I
)
_NON_WORD = re.compile(r"[^\w\s]|_")
#: Words that spell "&" in the catalog's languages: "and" and "&" are one title.
_JOINERS = frozenset({"and", "va"})
#: Small words a respelling may add or drop ("Introduction to X" / "Introduction X").
SMALL_WORDS = frozenset(
    {"a", "an", "the", "to", "of", "in", "for", "on", "with", "cua", "cho", "ve", "voi", "trong"}
)
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9}
_HAN_DIGITS = dict(zip("一二三四五六七八九十", range(1, 11), strict=True))
_EDX_KEY = re.compile(r"(?:course-v1:)?([A-Za-z0-9_.~-]+)\+([A-Za-z0-9_.~-]+)(?:\+[^+\s]+)?")


@dataclass(frozen=True, slots=True)
class ClusterCandidate:
    """One course as clustering sees it: ``id`` is ``feed:key``; ``platform`` the connector kind;
    ``starts`` its runs' start dates; ``origins`` the ``(base_url, identifier)`` pairs it was
    known by — its own in its feed and each provenance hop; ``course_key`` its Open edX
    ``ORG+NUM`` when its key is one (:func:`edx_course_key`)."""

    id: str
    institution: str | None
    platform: str
    title: str
    language: str | None = None
    organization: str | None = None
    url: str | None = None
    starts: tuple[datetime, ...] = ()
    origins: tuple[tuple[str, str], ...] = ()
    course_key: str | None = None

    @property
    def feed(self) -> str:
        return self.id.partition(":")[0]


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether two candidates are one course, the rule that decided and why, with the title
    score when the rule computed one."""

    joined: bool
    rule: str
    reason: str
    score: float | None = None


@dataclass(frozen=True, slots=True)
class Prepared:
    """A candidate with what the rules compare, computed once."""

    candidate: ClusterCandidate
    title: str  # the normalised title's words, sorted, one space apart
    words: tuple[str, ...]  # in their order
    part: str | None
    organization: str
    language: str
    url: str | None
    course_key: str | None
    origins: frozenset[tuple[str, str]]
    starts: tuple[float, ...]  # sorted, as POSIX seconds


def edx_course_key(key: str) -> str | None:
    """``ORG+NUM`` (upper case) for an Open edX course or run key, else None."""
    match = _EDX_KEY.fullmatch(key)
    return f"{match[1]}+{match[2]}".upper() if match else None


def normal_url(url: str | None, *, root: bool = False) -> str | None:
    """An about page's URL spelled one way (no scheme, lower-case host without ``www.`` and
    default port, no trailing slash, no fragment, tracking parameters dropped, the rest sorted);
    None for a site's root page, which names no one course (unless ``root``: a repository's
    base URL may be one)."""
    if not url:
        return None
    plain = _PLAIN_URL.fullmatch(url)
    if plain:  # what the general case below gives, without urlsplit's cost
        path = (plain[2] or "").rstrip("/")
        return plain[1].lower() + path if path or root else None
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").removeprefix("www.")
        port = parts.port
    except ValueError:
        return None
    path = parts.path.rstrip("/")
    query = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not name.lower().startswith("utm_") and name.lower() not in _TRACKING
    )
    if not host or (not path and not query and not root):
        return None
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    return netloc + path + ("?" + urlencode(query) if query else "")


@lru_cache(maxsize=4096)
def _base_url(url: str) -> str:
    """A repository's base URL spelled one way (a feed's courses all name the same few)."""
    return normal_url(url, root=True) or url.strip()


def normal_title(title: str) -> tuple[tuple[str, ...], str | None]:
    """A title's words (folded, no platform suffix, no punctuation, "and" dropped) and its part
    marker ("1" for "(Part 1)" and "Tập I"; "上" for "（上）")."""
    text = fold(title)
    if _SEPARATORS.intersection(text):  # most titles name no platform: skip the search
        text = _PLATFORM_SUFFIX.sub("", text)
    part = None
    match = _PART.search(text)
    if match:
        raw = next(group for group in match.groups() if group)
        part = str(_ROMAN.get(raw) or _HAN_DIGITS.get(raw) or raw.lstrip("0") or raw)
        text = text[: match.start()] + " " + text[match.end() :]
    return tuple(t for t in _NON_WORD.sub(" ", text).split() if t not in _JOINERS), part


def normal_organization(name: str | None) -> str:
    """An organisation's name folded, without punctuation ("MITx" and "mitx." are one)."""
    return " ".join(_NON_WORD.sub(" ", fold(name)).split())


def organization_table(groups: Iterable[Iterable[str]]) -> dict[str, str]:
    """Spellings of one organisation (``["TsinghuaX", "清华大学"]``, as an institution's config
    lists them) → the first, all normalised: what :func:`prepare` compares instead."""
    table: dict[str, str] = {}
    for group in groups:
        names = [normal_organization(name) for name in group if normal_organization(name)]
        table.update(dict.fromkeys(names, names[0]) if names else {})
    return table


def prepare(
    candidate: ClusterCandidate, organizations: Mapping[str, str] | None = None
) -> Prepared:
    """What :func:`decide` compares, once per candidate; ``organizations`` is an
    :func:`organization_table`."""
    organization = normal_organization(candidate.organization)
    words, part = normal_title(candidate.title)
    language = (candidate.language or "").replace("_", "-").partition("-")[0].lower()
    origins = frozenset((_base_url(base), identifier) for base, identifier in candidate.origins)
    return Prepared(
        candidate,
        " ".join(sorted(words)),
        words,
        part,
        (organizations or {}).get(organization, organization),
        language,
        normal_url(candidate.url),
        candidate.course_key.upper() if candidate.course_key else None,
        origins,
        tuple(sorted(start.timestamp() for start in candidate.starts)),
    )


def identity(a: Prepared, b: Prepared) -> Decision | None:
    """The identity rule that joins ``a`` and ``b``, if one does."""
    if a.course_key and a.course_key == b.course_key:
        return Decision(True, "course key", f"the same Open edX course {a.course_key}")
    if a.url and a.url == b.url and a.candidate.feed != b.candidate.feed:
        return Decision(True, "url", f"the same about page {a.url}")
    shared = a.origins & b.origins
    if shared:
        base, identifier = min(shared)
        return Decision(True, "provenance", f"both come from {identifier} at {base}")
    return None


def similarity(a: Prepared, b: Prepared) -> Decision:
    """Whether ``a`` and ``b`` are one course by their titles, organisation, language, runs."""
    score = round(fuzz.ratio(a.title, b.title), 1)
    scored = f"titles score {score:g}"
    if a.candidate.feed == b.candidate.feed:
        why = f"{scored} but feed {a.candidate.feed} lists them as two courses"
        return Decision(False, "similarity", why, score)
    if score < TITLE_THRESHOLD:
        return Decision(False, "similarity", f"{scored} < {TITLE_THRESHOLD:g}", score)
    if not words_agree(a.words, b.words):
        return Decision(False, "similarity", f"{scored} but a word differs", score)
    if a.part != b.part:
        parts = f"{a.part or 'none'} / {b.part or 'none'}"
        return Decision(False, "similarity", f"{scored} but parts differ ({parts})", score)
    if a.organization and b.organization and a.organization != b.organization:
        orgs = f"{a.candidate.organization} / {b.candidate.organization}"
        return Decision(False, "similarity", f"{scored} but organisations differ ({orgs})", score)
    if a.language and b.language and a.language != b.language:
        langs = f"{a.candidate.language} / {b.candidate.language}"
        return Decision(False, "similarity", f"{scored} but languages differ ({langs})", score)
    gap = run_gap_days(a.starts, b.starts)
    if gap is not None and gap > RUN_WINDOW_DAYS:
        return Decision(
            False, "similarity", f"{scored} but the nearest runs are {gap:.0f} days apart", score
        )
    runs = "no runs on one side" if gap is None else f"runs {gap:.0f} days apart"
    return Decision(True, "similarity", f"{scored} ≥ {TITLE_THRESHOLD:g}, {runs}", score)


def words_agree(a: Sequence[str], b: Sequence[str]) -> bool:
    """True when titles ``a`` and ``b`` differ at most in plurals, small words and hyphenation
    ("e-learning" / "elearning"): each word of one has its own or its plural in the other."""
    if "".join(a) == "".join(b):
        return True
    only_a = sorted(set(a) - set(b) - SMALL_WORDS)
    only_b = sorted(set(b) - set(a) - SMALL_WORDS)
    if len(only_a) != len(only_b):
        return False
    return all(_plural_pair(x, y) for x, y in zip(only_a, only_b, strict=True))


def _plural_pair(x: str, y: str) -> bool:
    short, long = sorted((x, y), key=len)
    return long in (short + "s", short + "es")


def run_gap_days(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Days between the nearest starts of ``a`` and ``b`` (sorted seconds); None if one is empty."""
    if not a or not b:
        return None
    best = float("inf")
    for start in a:
        i = bisect_left(b, start)
        for j in (i - 1, i):
            if 0 <= j < len(b):
                best = min(best, abs(b[j] - start))
    return best / 86400


def decide(a: Prepared, b: Prepared, override: tuple[bool, str] | None = None) -> Decision:
    """The rules in order for one pair; ``override`` is the admin's ``(same, why)`` for it."""
    ia, ib = a.candidate.institution, b.candidate.institution
    if ia is None or ib is None or ia != ib:
        return Decision(False, "institution", f"different institutions ({ia} / {ib})")
    if override is not None:
        same, why = override
        return Decision(same, "override", why)
    return identity(a, b) or similarity(a, b)
