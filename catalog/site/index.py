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
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from catalog.site.fold import fold
from catalog.site.pages import epoch, language_code, offered_runs, parse_time
from catalog.site.safety import plain_text

#: Characters of folded subjects + short description kept for search (the rest is on the page).
SEARCH_TEXT_MAX = 200

FREE, CERTIFICATE, WITHDRAWN = 1, 2, 4
TABLES = ("organization", "institution", "language", "level", "pacing", "term", "month", "credits")


class IndexBuilder:
    """Collects one row per course, interning repeated values into tables."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.rows: list[list[Any]] = []
        self.subjects: set[str] = set()
        self._tables: dict[str, dict[Any, int]] = {name: {} for name in TABLES}

    def _id(self, table: str, value: Any) -> int:
        if value in (None, "", ()):
            return -1
        ids = self._tables[table]
        return ids.setdefault(value, len(ids))

    def add(self, course: Mapping[str, Any], slug: str) -> list[Any]:
        offers = course.get("offers") or []
        codes = [str(s["code"]) for s in course.get("subjects_isced") or [] if s.get("code")]
        self.subjects.update(codes)
        starts = [parse_time(run.get("start")) for run in offered_runs(course)]
        starts = sorted(s for s in starts if s is not None)
        months = sorted({f"{s:%Y-%m}" for s in starts})
        upcoming = [s for s in starts if s >= self.now]
        start = upcoming[0] if upcoming else (starts[-1] if starts else None)
        terms = sorted({str(o["term"]) for o in offers if o.get("term")})
        credits = next((o["credits"] for o in offers if o.get("credits")), None)
        credit_line = (
            (
                credits.get("host"),
                credits.get("host_system"),
                credits.get("home"),
                credits.get("home_system"),
            )
            if credits
            else None
        )
        searchable = " ".join(
            [
                *(str(s) for s in course.get("subjects") or []),
                plain_text(course.get("short_description")),
            ]
        )
        row = [
            slug,
            str(course.get("title") or course.get("key") or ""),
            self._id("organization", str(course.get("organization") or "")),
            fold(searchable)[:SEARCH_TEXT_MAX].rstrip(" "),
            self._id("institution", str(course.get("institution") or "")),
            self._id("language", language_code(course.get("language"))),
            codes,
            self._id("level", str(course.get("level") or "")),
            self._id("pacing", str(course.get("pacing") or "")),
            [self._id("term", term) for term in terms],
            f"{start:%Y-%m-%d}" if start else "",
            [self._id("month", month) for month in months],
            [
                [
                    epoch(o.get("application_start")),
                    epoch(o.get("application_end")),
                    1 if o.get("open_now") else 0,
                ]
                for o in offers
            ],
            (FREE if course.get("is_free") else 0)
            | (CERTIFICATE if course.get("certificate") else 0)
            | (WITHDRAWN if course.get("status") == "withdrawn" else 0),
            self._id("credits", credit_line),
        ]
        self.rows.append(row)
        return row

    def document(self, *, audience: str, default_ui: str, generated_at: str) -> dict[str, Any]:
        """The whole index as one JSON-able value."""
        tables: dict[str, list[Any]] = {name: list(ids) for name, ids in self._tables.items()}
        tables["credits"] = [list(line) for line in tables["credits"]]
        tables["subject"] = sorted(self.subjects)
        return {
            "v": 1,
            "audience": audience,
            "ui": default_ui,
            "generated_at": generated_at,
            "tables": tables,
            "courses": self.rows,
        }
