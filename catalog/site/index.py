"""The search index the catalog page loads: compact rows, built one course at a time.

The page is opened from ``file://``, where browsers refuse ``fetch()`` of local files, so the
index is JavaScript data (``data/index.js`` sets ``window.MOOCX_INDEX``) loaded by a plain
``<script src>``. It holds only what the list and the filters need, never the descriptions:

``[slug, title, organization#, folded text, institution#, language#, [subject codes], level#,
pacing#, [term#…], start date, [month#…], [[application start, end, open at build]…], flags,
credits#]``

* ``#`` marks a number into ``tables`` (each distinct organisation, term, credit line… is
  stored once; -1 means none), which also lists the values each filter offers;
* *folded text* is ``fold()`` of the source subjects and the short description, capped at
  ``SEARCH_TEXT_MAX``; the page folds title and organisation itself at load (it shows them, so
  they are stored as given) and adds the ISCED labels from the interface strings;
* *start date* is the next offered run's start, or the latest one when all have started;
* application windows are epoch seconds, so the page recomputes "open now" from the student's
  clock; *open at build* covers offers without dates;
* flags: 1 free, 2 certificate, 4 withdrawn; a credit line is ``[host, system, home, system]``.

About 300 bytes a course: 50,000 synthetic courses made a 15.5 MB file; headless Chromium had
the first 50 results on screen 0.7 s after opening it and answered a query matching 30,000
courses in 0.16 s (the benchmark issue measures this properly).

**Streamed.** Each row is written to ``data/index.js`` as its course is read, so the index never
sits in memory: the document lists ``courses`` first and the ``tables``, complete only after the
last course, at its end (key order means nothing to the page).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TextIO

from catalog.site.fold import fold
from catalog.site.pages import epoch, language_code, parse_time
from catalog.site.safety import json_text, plain_text, script_json, script_safe

#: Characters of folded subjects + short description kept for search (the rest is on the page).
SEARCH_TEXT_MAX = 200
#: Distinct run starts remembered (their date, month): a catalog's runs share a few hundred.
CACHE_MAX = 4096

FREE, CERTIFICATE, WITHDRAWN = 1, 2, 4
TABLES = ("organization", "institution", "language", "level", "pacing", "term", "month", "credits")


class IndexBuilder:
    """Writes one row per course to ``out`` as it comes, interning repeated values into tables.

    ``begin`` writes the head of the document, ``add`` a course's row, ``finish`` the tables and
    the end; ``count`` is the number of rows written.
    """

    def __init__(self, now: datetime, out: TextIO) -> None:
        self.now = now
        self.out = out
        self.count = 0
        self.subjects: set[str] = set()
        self._tables: dict[str, dict[Any, int]] = {name: {} for name in TABLES}
        self._starts: dict[str, tuple[datetime, str, str] | None] = {}
        self._windows: dict[tuple[Any, Any, bool], str] = {}

    def begin(self, *, audience: str, default_ui: str, generated_at: str) -> None:
        head = {"v": 1, "audience": audience, "ui": default_ui, "generated_at": generated_at}
        self.out.write("window.MOOCX_INDEX=" + script_json(head)[:-1] + ',"courses":[')

    def finish(self) -> None:
        tables: dict[str, list[Any]] = {name: list(ids) for name, ids in self._tables.items()}
        tables["credits"] = [list(line) for line in tables["credits"]]
        tables["subject"] = sorted(self.subjects)
        self.out.write('],"tables":' + script_json(tables) + "};\n")

    def _id(self, table: str, value: Any) -> int:
        if value in (None, "", ()):
            return -1
        ids = self._tables[table]
        return ids.setdefault(value, len(ids))

    def _start(self, value: Any) -> tuple[datetime, str, str] | None:
        """A run start as (moment, ``YYYY-MM``, ``YYYY-MM-DD``), each distinct value parsed once."""
        if not isinstance(value, str):
            return None
        found = self._starts.get(value, False)
        if found is False:
            moment = parse_time(value)
            found = (moment, f"{moment:%Y-%m}", f"{moment:%Y-%m-%d}") if moment else None
            if len(self._starts) >= CACHE_MAX:
                self._starts.clear()
            self._starts[value] = found
        return found

    def add(
        self, course: Mapping[str, Any], slug: str, short_description: str | None = None
    ) -> None:
        """Write the row of ``course`` (its page is ``courses/<slug>.html``).

        ``short_description`` is the plain text of the course's short description when the
        caller has it already (``safety.plain_text``). The row is written as
        ``safety.script_json`` would write it, piece by piece.
        """
        get, tables, ident = course.get, self._tables, self._id
        offers = get("offers") or ()
        wanted, terms, windows, credits = set(), set(), [], None
        for offer in offers:  # one pass: the runs offered, terms, windows, the first credits
            wanted.add(offer.get("run"))
            term = offer.get("term")
            if term:
                terms.add(str(term))
            if credits is None:
                credits = offer.get("credits") or None
            windows.append(
                self._window(
                    offer.get("application_start"),
                    offer.get("application_end"),
                    bool(offer.get("open_now")),
                )
            )
        runs = get("runs") or ()
        chosen = [run for run in runs if run.get("key") in wanted] or runs  # all if none named
        starts = [s for s in map(self._start, [run.get("start") for run in chosen]) if s]
        if len(starts) > 1:
            starts.sort(key=_moment)
        now = self.now
        start = next((s for s in starts if s[0] >= now), starts[-1] if starts else None)
        credit = -1
        if credits:
            line = (
                credits.get("host"),
                credits.get("host_system"),
                credits.get("home"),
                credits.get("home_system"),
            )
            credit = tables["credits"].setdefault(line, len(tables["credits"]))
        codes = [str(s["code"]) for s in get("subjects_isced") or () if s.get("code")]
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
        flags = (
            (FREE if get("is_free") else 0)
            | (CERTIFICATE if get("certificate") else 0)
            | (WITHDRAWN if get("status") == "withdrawn" else 0)
        )
        term_ids, month_ids = tables["term"], tables["month"]
        organization = str(get("organization") or "")
        institution = str(get("institution") or "")
        language = language_code(get("language"))
        level = str(get("level") or "")
        pacing = str(get("pacing") or "")
        self.out.write(
            ("," if self.count else "")
            + script_safe(
                "".join(
                    (
                        "[",
                        json_text(slug),
                        ",",
                        json_text(str(get("title") or get("key") or "")),
                        f",{ident('organization', organization) if organization else -1},",
                        json_text(fold(searchable)[:SEARCH_TEXT_MAX].rstrip(" ")),
                        f",{ident('institution', institution) if institution else -1}",
                        f",{ident('language', language) if language else -1},[",
                        ",".join(map(json_text, codes)) if codes else "",
                        f"],{ident('level', level) if level else -1}",
                        f",{ident('pacing', pacing) if pacing else -1},[",
                        ",".join(
                            [str(term_ids.setdefault(t, len(term_ids))) for t in sorted(terms)]
                        ),
                        "],",
                        json_text(start[2]) if start else '""',
                        ",[",
                        ",".join(
                            [
                                str(month_ids.setdefault(m, len(month_ids)))
                                for m in sorted({s[1] for s in starts})
                            ]
                        ),
                        "],[",
                        ",".join(windows),
                        f"],{flags},{credit}]",
                    )
                )
            )
        )
        self.count += 1

    def _window(self, start: Any, end: Any, open_now: bool) -> str:
        """``[start, end, open at build]`` of an application window (epoch seconds), as JSON;
        a rule gives every offer the same window, so each distinct one is written once."""
        key = (start, end, open_now)
        try:
            return self._windows[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable value: a hostile document
            return f"[{_int(epoch(start))},{_int(epoch(end))},{1 if open_now else 0}]"
        if len(self._windows) >= CACHE_MAX:
            self._windows.clear()
        text = self._windows[key] = (
            f"[{_int(epoch(start))},{_int(epoch(end))},{1 if open_now else 0}]"
        )
        return text


def _moment(start: tuple[datetime, str, str]) -> datetime:
    return start[0]


def _int(value: int | None) -> str:
    return "null" if value is None else str(value)
