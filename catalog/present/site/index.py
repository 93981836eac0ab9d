"""The search index the catalog page loads: columns ready to search, built one course at a time.

The page is opened from ``file://``, where browsers refuse ``fetch()`` of local files, so the
index is JavaScript data loaded by ``<script src>``. It holds only what the list and the filters
need, never the descriptions, in two files:

* ``data/first.js`` (``window.MOOCX_FIRST``, a few kB, loaded by ``index.html``): the first page
  of the default list (the first :data:`FIRST_PAGE` courses of ``order``), the number of courses
  and the tables, so the page shows its first results without waiting for the whole index;
* ``data/index.js`` (``window.MOOCX_INDEX``, injected by ``assets/loading.js`` once that first page
  is on screen): every course. Search, filters, sorting, "show more" and a ``#q=`` in the URL
  wait for it (the list is ``aria-busy`` until then).

Both are the same document shape — ``{"v": 2, "n": courses, <column>: [value, …], "order":
[…], "tables": {…}}`` — columnar: one array per field, a course is a position in every array:

``slug``, ``title`` (as given, shown on the card), ``hay`` (see below), and numbers into
``tables``: ``organization``, ``institution``, ``language``, ``level``, ``pacing``,
``credits`` (a credit line ``[host, system, home, system]``), ``start`` (the listed start
date), ``subjects`` (a set of ISCED codes), ``terms`` (a set of ``term`` numbers), ``months``
(a set of ``month`` numbers), ``windows`` (a set of application windows ``[start, end, open at
build]``, epoch seconds, so the page recomputes "open now" from the student's clock); -1 is
none. ``flags``: 1 free, 2 certificate, 4 withdrawn, 8 offered as a whole (no scheduled run).
``tables`` also list the values each filter offers (``term``, ``month``, ``subject``…); each
distinct value or set is stored once.

* ``hay`` is what a query is matched against, folded here (``fold.fold``, the page's own rule,
  character for character): ``fold(title)`` ⏎ ``fold(organisation)`` ⏎ ``fold(subjects + short
  description)`` capped at :data:`SEARCH_TEXT_MAX`. The page appends the folded ISCED labels from
  the interface strings and nothing else, so loading folds no course text;
* ``order`` is the default ("start") order, the one the page used to sort at load: withdrawn
  last, courses without a start date after the dated ones, then by start date, folded title
  (UTF-16 code units, as JavaScript compares strings) and position. It is sorted by an
  on-disk SQLite ``ORDER BY`` of one small key per course, so no course is held for it.

The *listed start* is the next offered run's start, or the latest one when all have started;
it and the start months are dates in the audience's time zone, as the course page shows them. A
course without runs (offered as a whole) has neither: it is listed after the dated courses and
left out by a start-month filter only, since it has no start month; the term and "open now"
filters see its offer like any other.

**Streamed.** Each course's values go to scratch files, a file per column, and are concatenated
into ``data/index.js`` at the end (catalog/present/site/index_columns.py): nothing grows with the
catalog but the interning tables.

**Why this shape.** The page shows its first results from ``data/first.js`` alone (one page and
the tables, whatever the number of courses), and the whole index needs no preparing once loaded:
nothing is folded or sorted in the browser, and interned values and sets keep the file small.
It stays UTF-8: ``\\u`` escapes made it larger and no faster.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, TextIO

from catalog.derive.fold import fold
from catalog.memo import Memo, cached
from catalog.present.course_document import CourseDocument, Credits, OfferDocument, RunDocument
from catalog.present.site.display import language_code
from catalog.present.site.index_columns import FIRST_PAGE, ColumnFiles
from catalog.present.site.safety import plain_text, script_json

#: Characters of folded subjects + short description kept for search (the rest is on the page).
SEARCH_TEXT_MAX = 200

__all__ = ["COLUMNS", "FIRST_PAGE", "SEARCH_TEXT_MAX", "TABLES", "IndexBuilder"]

FREE, CERTIFICATE, WITHDRAWN, WHOLE_COURSE = 1, 2, 4, 8
#: Per course, in this order; a numbered column indexes the table of the same name.
COLUMNS = (
    "slug",
    "title",
    "hay",
    "organization",
    "institution",
    "language",
    "subjects",
    "level",
    "pacing",
    "terms",
    "start",
    "months",
    "windows",
    "flags",
    "credits",
)
TABLES = (
    "organization",
    "institution",
    "language",
    "level",
    "pacing",
    "term",
    "month",
    "credits",
    "start",
    "subjects",
    "terms",
    "months",
    "windows",
)
#: A string as JSON (``safety.json_text`` for a str), without the call in between.
_string = json.encoder.encode_basestring


class IndexBuilder:
    """Writes ``data/index.js`` to ``out`` and ``data/first.js`` to ``first``, a course at a
    time, interning repeated values into tables.

    ``begin`` writes the head of the index, ``add`` buffers a course, ``finish`` writes the
    rest of both files; ``count`` is the number of courses added. Scratch files go to
    ``scratch`` (the system's temporary folder if None) and are gone after ``finish``/``close``.
    ``zone`` is the audience's time zone, in which start dates and months are given (None: the
    offset each start comes with).
    """

    def __init__(
        self,
        now: datetime,
        out: TextIO,
        first: TextIO,
        scratch: Path | None = None,
        zone: tzinfo | None = None,
    ) -> None:
        self.now = now
        self.zone = zone
        self.out = out
        self.first = first
        self.subjects: set[str] = set()
        self._head = ""
        self._tables: dict[str, dict[Any, int]] = {name: {} for name in TABLES}
        self._org_folds: list[str] = []  # fold() of each organisation, by its number
        self._starts: Memo[tuple[datetime, str, str] | None] = Memo()
        self._windows: Memo[tuple[int | None, int | None, int]] = Memo()
        self._language = cached(language_code)
        self._files = ColumnFiles(COLUMNS, scratch)  # closed by close(), on every path

    def begin(self, *, audience: str, default_ui: str, generated_at: str) -> None:
        head = {"v": 2, "audience": audience, "ui": default_ui, "generated_at": generated_at}
        self._head = script_json(head)[:-1]
        self.out.write("window.MOOCX_INDEX=" + self._head)

    def finish(self) -> None:
        self._files.write(self.out, self.first, self._head, self._tables_json())
        self.close()

    @property
    def count(self) -> int:
        """The courses added so far."""
        return self._files.count

    def __enter__(self) -> IndexBuilder:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop the scratch files (``finish`` does; call it when giving up half-way)."""
        self._files.close()

    def _tables_json(self) -> str:
        tables: dict[str, list[Any]] = {name: list(ids) for name, ids in self._tables.items()}
        for name in ("credits", "subjects", "terms", "months"):
            tables[name] = [list(value) for value in tables[name]]
        tables["windows"] = [[list(w) for w in windows] for windows in tables["windows"]]
        tables["subject"] = sorted(self.subjects)
        return script_json(tables)

    def _organization(self, name: str) -> int:
        ids = self._tables["organization"]
        at = ids.get(name)
        if at is None:
            at = ids[name] = len(ids)
            self._org_folds.append(fold(name))
        return at

    def _start(self, value: datetime | None) -> tuple[datetime, str, str] | None:
        """A run start as (moment, ``YYYY-MM``, ``YYYY-MM-DD``) in the audience's zone, each
        distinct moment (and zone) placed once."""
        if value is None:
            return None
        return self._starts.get((value, value.tzinfo), self._place_start, value)

    def _place_start(self, moment: datetime) -> tuple[datetime, str, str]:
        if self.zone is not None:
            moment = moment.astimezone(self.zone)
        return (moment, f"{moment:%Y-%m}", f"{moment:%Y-%m-%d}")

    def add(self, course: CourseDocument, slug: str, short_description: str | None = None) -> None:
        """Add the course ``course`` (its page is ``courses/<slug>.html``).

        ``short_description`` is the plain text of the course's short description when the
        caller has it already (``safety.plain_text``).
        """
        wanted, terms, windows, credits, whole = self._offer_facts(course.offers)
        runs = course.runs
        starts = self._run_starts([run for run in runs if run.key in wanted] or runs)
        now = self.now
        start = next((s for s in starts if s[0] >= now), starts[-1] if starts else None)
        listed = start[2] if start else None
        codes = tuple([s.code for s in course.subjects_isced if s.code])
        if codes:
            self.subjects.update(codes)
        title = course.title or course.key
        title_fold = fold(title)
        organization = course.organization or ""
        org = self._organization(organization) if organization else -1
        tables = self._tables
        ids = tables["term"]
        term_ids = tuple([ids.setdefault(t, len(ids)) for t in sorted(terms)]) if terms else ()
        ids = tables["month"]
        months = (
            tuple([ids.setdefault(m, len(ids)) for m in sorted({s[1] for s in starts})])
            if starts
            else ()
        )
        row = (
            _string(slug),
            _string(title),
            _string(self._hay(course, title_fold, org, short_description)),
            f"{org}",
            f"{_intern(tables['institution'], course.institution or '')}",
            f"{_intern(tables['language'], self._language(course.language))}",
            f"{_intern(tables['subjects'], codes)}",
            f"{_intern(tables['level'], course.level or '')}",
            f"{_intern(tables['pacing'], course.pacing or '')}",
            f"{_intern(tables['terms'], term_ids)}",
            f"{_intern(tables['start'], listed)}",
            f"{_intern(tables['months'], months)}",
            f"{_intern(tables['windows'], windows)}",
            f"{_flags(course, whole)}",
            f"{self._credit(credits)}",
        )
        withdrawn = 1 if course.status == "withdrawn" else 0
        key = (withdrawn, 0 if listed else 1, listed or "", _utf16(title_fold), self.count)
        self._files.keep(row, key)

    def _offer_facts(
        self, offers: Sequence[OfferDocument]
    ) -> tuple[set[str], set[str], tuple[Any, ...], Credits | None, bool]:
        """One pass over a course's offers: the runs they name, their terms, their application
        windows (each once, in the offers' order), the first credits, and whether one is of the
        whole course."""
        wanted: set[str] = set()
        terms: set[str] = set()
        windows: dict[Any, None] = {}  # a set that keeps the offers' order
        credits: Credits | None = None
        whole = False
        for offer in offers:
            run_key = offer.run
            if run_key is None:
                whole = whole or offer.whole_course
            else:
                wanted.add(run_key)
            term = offer.term
            if term:
                terms.add(term)
            if credits is None:
                credits = offer.credits
            window = self._window(offer.application_start, offer.application_end, offer.open_now)
            windows[window] = None
        return wanted, terms, tuple(windows), credits, whole

    def _run_starts(self, runs: Sequence[RunDocument]) -> list[tuple[datetime, str, str]]:
        """The starts of ``runs`` that have one, earliest first."""
        starts = [s for s in map(self._start, [run.start for run in runs]) if s]
        if len(starts) > 1:
            starts.sort(key=_moment)
        return starts

    def _credit(self, credits: Credits | None) -> int:
        """The number of a credit line ``[host, system, home, system]``; -1 for none."""
        if credits is None:
            return -1
        ids = self._tables["credits"]
        line = (credits.host, credits.host_system, credits.home, credits.home_system)
        return ids.setdefault(line, len(ids))

    def _hay(
        self, course: CourseDocument, title_fold: str, org: int, short_description: str | None
    ) -> str:
        """What a query is matched against: folded title, organisation, and subjects + short
        description (capped)."""
        if short_description is None:
            short_description = plain_text(course.short_description)
        subjects = course.subjects
        searchable = (
            " ".join([*(str(s) for s in subjects), short_description])
            if subjects
            else short_description
        )
        organization = self._org_folds[org] if org >= 0 else ""
        return f"{title_fold}\n{organization}\n" + fold(searchable)[:SEARCH_TEXT_MAX].rstrip(" ")

    def _window(
        self, start: datetime | None, end: datetime | None, open_now: bool
    ) -> tuple[int | None, int | None, int]:
        """``(start, end, open at build)`` of an application window (epoch seconds); a rule
        gives every offer the same window, so each distinct one is read once."""
        key = (start, end, open_now)
        return self._windows.get(key, _window, key)


def _flags(course: CourseDocument, whole: bool) -> int:
    return (
        (FREE if course.is_free else 0)
        | (CERTIFICATE if course.certificate else 0)
        | (WITHDRAWN if course.status == "withdrawn" else 0)
        | (WHOLE_COURSE if whole else 0)
    )


def _window(
    key: tuple[datetime | None, datetime | None, bool],
) -> tuple[int | None, int | None, int]:
    start, end, open_now = key
    return (_epoch(start), _epoch(end), 1 if open_now else 0)


def _epoch(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment is not None else None


def _intern(ids: dict[Any, int], value: Any) -> int:
    """The number of ``value`` in its table (a new one if it is new); -1 for none."""
    return ids.setdefault(value, len(ids)) if value else -1


def _moment(start: tuple[datetime, str, str]) -> datetime:
    return start[0]


def _utf16(text: str) -> bytes:
    """``text`` as UTF-16 code units, big-endian: compared bytewise, it orders strings as
    JavaScript's ``<`` does (a character beyond U+FFFF sorts by its surrogates)."""
    return text.encode("utf-16-be", "surrogatepass")
