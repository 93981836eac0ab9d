"""The search index the catalog page loads: columns ready to search, built one course at a time.

The page is opened from ``file://``, where browsers refuse ``fetch()`` of local files, so the
index is JavaScript data loaded by ``<script src>``. It holds only what the list and the filters
need, never the descriptions, in two files:

* ``data/first.js`` (``window.MOOCX_FIRST``, a few kB, loaded by ``index.html``): the first page
  of the default list (the first :data:`FIRST_PAGE` courses of ``order``), the number of courses
  and the tables, so the page shows its first results without waiting for the whole index;
* ``data/index.js`` (``window.MOOCX_INDEX``, injected by ``assets/app.js`` once that first page
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

**Streamed.** Each course's values are buffered for :data:`FLUSH_ROWS` courses and appended to
one scratch file per column; ``finish`` concatenates them into ``data/index.js``. Nothing grows
with the catalog but the interning tables: at 50,000 courses the export's RSS was 69.0 MiB
after 25,000 and 69.2 MiB after 50,000, about 2 MiB above the one-file writer (the scratch
files' buffers and SQLite). Building the index costs ~8 µs more a course than that writer
(folding the title, the sort keys), within the noise of a whole export.

Why this shape (headless Chromium from ``file://``, 50,000 synthetic courses, 2 shared cores,
``bench/site_browser.py``): the old format — one array per course, folding and sorting in the
page — took 0.9–1.3 s to the first result: ~450 ms loading and compiling a 12.6 MB object
literal, ~120 ms running it, ~330 ms folding titles into search strings, ~70 ms sorting. Now
the first page is on screen in 0.09–0.14 s (it needs only ``data/first.js``: one page and the
tables, whatever the number of courses), and the whole index is searchable after 0.42–0.60 s,
nearly all of it Chromium reading and compiling the 11.4 MB ``data/index.js``; preparing it
takes ~2 ms. Interned sets shrank the file (the windows alone were 2.5 MB); writing it
ASCII-only (``\\u`` escapes) made it 13.8 MB and no faster, so it stays UTF-8.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from bisect import insort
from collections.abc import Mapping
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, TextIO

from catalog.site.fold import fold
from catalog.site.markup import epoch, language_code, parse_time
from catalog.site.safety import plain_text, script_json, script_safe

#: Characters of folded subjects + short description kept for search (the rest is on the page).
SEARCH_TEXT_MAX = 200
#: Distinct run starts and application windows remembered: a catalog's runs share a few hundred.
CACHE_MAX = 4096
#: Courses in ``data/first.js``: one page of results (``PAGE`` in assets/app.js).
FIRST_PAGE = 50
#: Courses buffered before their values are appended to the column files.
FLUSH_ROWS = 256

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
_ORDER = "SELECT pos FROM k ORDER BY w, n, s, t, pos"


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
        self.count = 0
        self.subjects: set[str] = set()
        self._head = ""
        self._tables: dict[str, dict[Any, int]] = {name: {} for name in TABLES}
        self._org_folds: list[str] = []  # fold() of each organisation, by its number
        self._starts: dict[str, tuple[datetime, str, str] | None] = {}
        self._windows: dict[tuple[Any, Any, bool], tuple[int | None, int | None, int]] = {}
        self._columns = [  # closed by close(), the way out of every path
            tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n", dir=scratch)  # noqa: SIM115
            for _ in COLUMNS
        ]
        self._rows: list[tuple[str, ...]] = []
        self._keys: list[tuple[int, int, str, bytes, int]] = []
        self._flushed = 0
        self._top: list[tuple[tuple[Any, ...], tuple[str, ...]]] = []  # the first page, sorted
        self._order = sqlite3.connect("")  # a private temporary database, on disk
        self._order.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-256;"
            "CREATE TABLE k (w INTEGER, n INTEGER, s TEXT, t BLOB, pos INTEGER);"
        )

    def begin(self, *, audience: str, default_ui: str, generated_at: str) -> None:
        head = {"v": 2, "audience": audience, "ui": default_ui, "generated_at": generated_at}
        self._head = script_json(head)[:-1]
        self.out.write("window.MOOCX_INDEX=" + self._head)

    def finish(self) -> None:
        self._flush()
        tables = self._tables_json()
        out = self.out
        out.write(f',"n":{self.count}')
        for name, column in zip(COLUMNS, self._columns, strict=True):
            out.write(f',"{name}":[')
            column.seek(0)
            shutil.copyfileobj(column, out)
            out.write("]")
        out.write(',"order":[')
        cursor = self._order.execute(_ORDER)
        sep = ""
        while batch := cursor.fetchmany(2048):
            out.write(sep + ",".join([str(pos) for (pos,) in batch]))
            sep = ","
        out.write('],"tables":' + tables + "};\n")
        top = [row for _, row in self._top]
        self.first.write("window.MOOCX_FIRST=" + self._head + f',"n":{self.count}')
        for at, name in enumerate(COLUMNS):
            self.first.write(f',"{name}":[' + script_safe(",".join([row[at] for row in top])) + "]")
        self.first.write(f',"order":[{",".join(map(str, range(len(top))))}],"tables":{tables}')
        self.first.write("};\n")
        self.close()

    def __enter__(self) -> IndexBuilder:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop the scratch files (``finish`` does; call it when giving up half-way)."""
        for column in self._columns:
            column.close()
        self._order.close()

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

    def _start(self, value: Any) -> tuple[datetime, str, str] | None:
        """A run start as (moment, ``YYYY-MM``, ``YYYY-MM-DD``) in the audience's zone, each
        distinct value parsed once."""
        if not isinstance(value, str):
            return None
        found: Any = self._starts.get(value, False)
        if found is False:
            moment = parse_time(value)
            if moment is not None and self.zone is not None:
                moment = moment.astimezone(self.zone)
            found = (moment, f"{moment:%Y-%m}", f"{moment:%Y-%m-%d}") if moment else None
            if len(self._starts) >= CACHE_MAX:
                self._starts.clear()
            self._starts[value] = found
        return found

    def add(
        self, course: Mapping[str, Any], slug: str, short_description: str | None = None
    ) -> None:
        """Add the course ``course`` (its page is ``courses/<slug>.html``).

        ``short_description`` is the plain text of the course's short description when the
        caller has it already (``safety.plain_text``).
        """
        get = course.get
        offers = get("offers") or ()
        wanted: set[str] = set()
        terms: set[str] = set()
        windows: dict[Any, None] = {}
        credits, whole = None, False
        for offer in offers:  # one pass: the runs offered, terms, windows, the first credits
            run_key = offer.get("run")
            if run_key is None:
                whole = whole or bool(offer.get("whole_course"))
            else:
                wanted.add(run_key)
            term = offer.get("term")
            if term:
                terms.add(str(term))
            if credits is None:
                credits = offer.get("credits") or None
            window = self._window(
                offer.get("application_start"),
                offer.get("application_end"),
                bool(offer.get("open_now")),
            )
            windows[window] = None  # a set that keeps the offers' order
        runs = get("runs") or ()
        chosen = [run for run in runs if run.get("key") in wanted] or runs  # all if none named
        starts = [s for s in map(self._start, [run.get("start") for run in chosen]) if s]
        if len(starts) > 1:
            starts.sort(key=_moment)
        now = self.now
        start = next((s for s in starts if s[0] >= now), starts[-1] if starts else None)
        tables = self._tables
        credit = -1
        if credits:
            ids = tables["credits"]
            credit = ids.setdefault(
                (
                    credits.get("host"),
                    credits.get("host_system"),
                    credits.get("home"),
                    credits.get("home_system"),
                ),
                len(ids),
            )
        codes = tuple([str(s["code"]) for s in get("subjects_isced") or () if s.get("code")])
        if codes:
            self.subjects.update(codes)
        if short_description is None:
            short_description = plain_text(get("short_description"))
        subjects = get("subjects")
        searchable = (
            " ".join([*(str(s) for s in subjects), short_description])
            if subjects
            else short_description
        )
        withdrawn = get("status") == "withdrawn"
        flags = (
            (FREE if get("is_free") else 0)
            | (CERTIFICATE if get("certificate") else 0)
            | (WITHDRAWN if withdrawn else 0)
            | (WHOLE_COURSE if whole else 0)
        )
        title = str(get("title") or get("key") or "")
        title_fold = fold(title)
        organization = str(get("organization") or "")
        org = self._organization(organization) if organization else -1
        institution = str(get("institution") or "")
        language = language_code(get("language"))
        level = str(get("level") or "")
        pacing = str(get("pacing") or "")
        listed = start[2] if start else None
        ids = tables["term"]
        term_ids = tuple([ids.setdefault(t, len(ids)) for t in sorted(terms)]) if terms else ()
        ids = tables["month"]
        months = (
            tuple([ids.setdefault(m, len(ids)) for m in sorted({s[1] for s in starts})])
            if starts
            else ()
        )
        window_ids = tuple(windows)
        hay = title_fold + "\n" + (self._org_folds[org] if org >= 0 else "") + "\n"
        row = (
            _string(slug),
            _string(title),
            _string(hay + fold(searchable)[:SEARCH_TEXT_MAX].rstrip(" ")),
            f"{org}",
            f"{_intern(tables['institution'], institution)}",
            f"{_intern(tables['language'], language)}",
            f"{_intern(tables['subjects'], codes)}",
            f"{_intern(tables['level'], level)}",
            f"{_intern(tables['pacing'], pacing)}",
            f"{_intern(tables['terms'], term_ids)}",
            f"{_intern(tables['start'], listed)}",
            f"{_intern(tables['months'], months)}",
            f"{_intern(tables['windows'], window_ids)}",
            f"{flags}",
            f"{credit}",
        )
        pos = self.count
        key = (1 if withdrawn else 0, 0 if listed else 1, listed or "", _utf16(title_fold), pos)
        top = self._top
        if len(top) < FIRST_PAGE or key < top[-1][0]:
            insort(top, (key, row))
            if len(top) > FIRST_PAGE:
                top.pop()
        self._rows.append(row)
        self._keys.append(key)
        self.count += 1
        if len(self._rows) >= FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._rows:
            return
        sep = "," if self._flushed else ""
        for column, values in zip(self._columns, zip(*self._rows, strict=True), strict=True):
            column.write(sep + script_safe(",".join(values)))
        self._order.executemany("INSERT INTO k VALUES (?, ?, ?, ?, ?)", self._keys)
        self._flushed += len(self._rows)
        self._rows.clear()
        self._keys.clear()

    def _window(self, start: Any, end: Any, open_now: bool) -> tuple[int | None, int | None, int]:
        """``(start, end, open at build)`` of an application window (epoch seconds); a rule
        gives every offer the same window, so each distinct one is parsed once."""
        key = (start, end, open_now)
        try:
            return self._windows[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable value: a hostile document
            return (epoch(start), epoch(end), 1 if open_now else 0)
        if len(self._windows) >= CACHE_MAX:
            self._windows.clear()
        found = self._windows[key] = (epoch(start), epoch(end), 1 if open_now else 0)
        return found


def _intern(ids: dict[Any, int], value: Any) -> int:
    """The number of ``value`` in its table (a new one if it is new); -1 for none."""
    return ids.setdefault(value, len(ids)) if value else -1


def _moment(start: tuple[datetime, str, str]) -> datetime:
    return start[0]


def _utf16(text: str) -> bytes:
    """``text`` as UTF-16 code units, big-endian: compared bytewise, it orders strings as
    JavaScript's ``<`` does (a character beyond U+FFFF sorts by its surrogates)."""
    return text.encode("utf-16-be", "surrogatepass")
