"""The catalog floor: the catalog's own writes for a full harvest, with nothing but ``sqlite3``.

``python -m bench.catalog_floor FORMAT --base URL --db PATH [--commit page|once]``

The raw baselines (:mod:`bench.baselines`) store each feed as one table of strings in one
transaction. The catalog stores more, because the product needs it: courses and their runs in
separate tables with content hashes (to tell an unchanged re-sync from a changed one), a history
event per new course, each course's source record (``course_sources``: the run objects as JSON,
the OAI-PMH record's XML), the search table and its trigram index, a provenance row per page,
and a commit per page (a crash loses at most one page). This script writes exactly those rows into
the catalog's real schema (``catalog/store/migrations/sqlite_head.sql``, with the catalog's pragmas)
with plain ``sqlite3`` ``executemany`` and as little Python as that takes: no validation, no
normalising, no language guess, no HTML handling, no lease, no retries.

So it splits the gap between ``moocx sync`` and the raw baseline in two: what the schema and the
per-page commits cost with the fastest possible code (this floor ÷ raw baseline), and what our
Python costs on top (``moocx sync`` ÷ this floor). ``--commit once`` writes the same rows in one
transaction, the price of the per-page durability alone; ``--no-search-index`` leaves out the
search rows and their trigram index, the price of search by difference.

Formats: ``openedx`` (Courses API pages: runs grouped into courses, the newest run's fields win)
and ``oaipmh`` (``ListRecords`` with ``oai_dc``, one course per record, no runs). Prints one JSON
line, like the baselines.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from bench.baselines import MAX_PAGES, emit, oai_page

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "catalog" / "store" / "migrations" / "sqlite_head.sql"
FEED, INSTITUTION = "floor", "floor"

_COURSE_COLUMNS = (
    "feed_id", "key", "title", "short_description", "language", "organization", "subjects",
    "effort", "pacing", "url", "image_url", "source_modified_at", "status", "content_hash",
    "precedence", "first_seen_at", "last_seen_at", "updated_at", "first_harvest_id",
    "last_harvest_id", "source_url",
)  # fmt: skip
_RUN_COLUMNS = (
    "course_id", "key", "title", "start", "end", "enrollment_start", "enrollment_end", "pacing",
    "url", "content_hash", "first_seen_at", "updated_at",
)  # fmt: skip


def _insert(table: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"


INSERT_COURSE = _insert("courses", _COURSE_COLUMNS)
INSERT_RUN = _insert("course_runs", _RUN_COLUMNS)
INSERT_SOURCE = "INSERT INTO course_sources (course_id, harvest_id, raw) VALUES (?, ?, ?)"
INSERT_EVENT = "INSERT INTO course_events (course_id, harvest_id, event, at) VALUES (?, ?, ?, ?)"
INSERT_SEARCH = (
    "INSERT INTO course_search (course_id, title_lower, title_folded, folded) VALUES (?, ?, ?, ?)"
)
INSERT_FTS = "INSERT INTO course_search_fts (rowid, folded) VALUES (?, ?)"
INSERT_PAGE = (
    "INSERT INTO harvest_pages (run_id, number, url, keys, withdrawn_keys, created_at, "
    "source_count) VALUES (?, ?, ?, ?, '[]', ?, ?)"
)


def digest(values: tuple[Any, ...]) -> str:
    text = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def open_catalog(path: Path) -> sqlite3.Connection:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    con = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
        con.execute(f"PRAGMA {pragma}")
    con.executescript(SCHEMA.read_text(encoding="utf-8"))
    return con


class Catalog:
    """The catalog's rows for one full harvest; ``page`` commits each page unless ``once``."""

    def __init__(self, con: sqlite3.Connection, *, once: bool, search: bool = True) -> None:
        self.con, self.once, self.search = con, once, search
        self.stamp = datetime.now(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        con.execute("BEGIN IMMEDIATE")
        con.execute(
            "INSERT INTO institutions (id, names, timezone) VALUES (?, '{}', 'UTC')", (INSTITUTION,)
        )
        con.execute(
            "INSERT INTO feeds (id, institution_id, connector, base_url, created_at) "
            "VALUES (?, ?, 'floor', 'http://floor', ?)",
            (FEED, INSTITUTION, self.stamp),
        )
        self.run_id = con.execute(
            "INSERT INTO harvest_runs (feed_id, status, started_at, complete, pages, received, "
            'new, updated, unchanged, withdrawn, rejected, "trigger") '
            "VALUES (?, 'running', ?, 0, 0, 0, 0, 0, 0, 0, 0, 'manual')",
            (FEED, self.stamp),
        ).lastrowid
        con.execute("COMMIT")
        self.pages = self.courses = self.runs = 0
        if once:
            con.execute("BEGIN IMMEDIATE")

    def page(
        self,
        url: str,
        courses: list[tuple[Any, ...]],
        runs: dict[str, list[tuple]],
        raws: dict[str, str],
    ) -> None:
        """``courses``: (key, title, short_description, organization, subjects JSON, effort,
        pacing, url, image_url, modified, precedence); ``runs``: course key → run tuples
        (key, title, start, end, enrollment_start, enrollment_end, pacing, url); ``raws``:
        course key → its source record as text (``course_sources``)."""
        con, stamp, run_id = self.con, self.stamp, self.run_id
        if not self.once:
            con.execute("BEGIN IMMEDIATE")
        keys = [c[0] for c in courses]
        marks = ", ".join("?" * len(keys))
        # An upsert has to know what is stored already: in a first harvest, only the courses
        # whose runs continue from an earlier page (they gain runs and an "updated" event).
        known = dict(
            con.execute(
                f"SELECT key, id FROM courses WHERE feed_id = ? AND key IN ({marks})",
                (FEED, *keys),
            ).fetchall()
        )
        new = [c for c in courses if c[0] not in known]
        con.executemany(INSERT_COURSE, [self._course_row(c, url) for c in new])
        new_marks = ", ".join("?" * len(new))
        ids = known | dict(
            con.execute(
                f"SELECT key, id FROM courses WHERE feed_id = ? AND key IN ({new_marks})",
                (FEED, *[c[0] for c in new]),
            ).fetchall()
        )
        con.executemany(
            INSERT_RUN,
            [
                (ids[key], *run, digest(run), stamp, stamp)
                for key, course_runs in runs.items()
                for run in course_runs
            ],
        )
        con.executemany(
            INSERT_EVENT,
            [(ids[k], run_id, "updated" if k in known else "new", stamp) for k in keys],
        )
        con.executemany(
            INSERT_SOURCE + " ON CONFLICT (course_id) DO UPDATE SET raw = excluded.raw",
            [(ids[k], run_id, raws[k]) for k in keys],
        )
        search = []
        for key, title, short, org, *_ in new:
            lower = title.lower()
            search.append((ids[key], lower, lower, " | ".join(filter(None, (lower, org, short)))))
        if self.search:
            con.executemany(INSERT_SEARCH, search)
            con.executemany(INSERT_FTS, [(row[0], row[3]) for row in search])
        self.pages += 1
        con.execute(INSERT_PAGE, (run_id, self.pages, url, json.dumps(keys), stamp, len(courses)))
        if not self.once:
            con.execute("UPDATE harvest_runs SET pages = ? WHERE id = ?", (self.pages, run_id))
            con.execute("COMMIT")
        self.courses += len(new)
        self.runs += sum(len(r) for r in runs.values())

    def _course_row(self, c: tuple[Any, ...], url: str) -> tuple[Any, ...]:
        key, title, short, org, subjects, effort, pacing, link, image, modified, precedence = c
        stamp, run_id = self.stamp, self.run_id
        return (
            FEED,
            key,
            title,
            short,
            None,
            org,
            subjects,
            effort,
            pacing,
            link,
            image,
            modified,
            "active",
            digest(c),
            precedence,
            stamp,
            stamp,
            stamp,
            run_id,
            run_id,
            url,
        )

    def finish(self) -> None:
        if not self.once:
            self.con.execute("BEGIN IMMEDIATE")
        self.con.execute(
            "UPDATE harvest_runs SET status = 'succeeded', complete = 1, finished_at = ?, "
            "pages = ?, received = ?, new = ? WHERE id = ?",
            (self.stamp, self.pages, self.courses, self.courses, self.run_id),
        )
        self.con.execute("COMMIT")


# --- the feeds --------------------------------------------------------------------------------


def openedx_pages(base: str) -> Iterator[tuple[str, list[Any]]]:
    session = requests.Session()
    url: str | None = f"{base}/api/courses/v1/courses/?page_size=100"
    for _ in range(MAX_PAGES):
        if not url:
            return
        response = session.get(url, timeout=60)
        response.raise_for_status()
        body = json.loads(response.content)
        yield url, body["results"]
        url = body["pagination"]["next"]


def openedx_page(
    results: list[dict[str, Any]],
) -> tuple[list[tuple], dict[str, list[tuple]], dict[str, str]]:
    """Runs grouped into courses by the course part of their key; the newest run's fields win;
    a course's raw record is its runs' objects as compact JSON."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        groups.setdefault("+".join(r["id"].split(":", 1)[1].split("+")[:2]), []).append(r)
    courses: list[tuple] = []
    runs: dict[str, list[tuple]] = {}
    for key, rs in groups.items():
        best = max(rs, key=lambda r: (r["start"] or "", r["id"]))
        image = ((best.get("media") or {}).get("image") or {}).get("raw")
        url = f"/courses/{best['id']}/about"
        courses.append(
            (
                key,
                best["name"],
                best["short_description"],
                best["org"],
                "[]",
                best["effort"],
                best["pacing"],
                url,
                image,
                None,
                f"{best['start']}|{best['id']}",
            )
        )
        runs[key] = [
            (
                r["id"],
                r["name"],
                r["start"],
                r["end"],
                r["enrollment_start"],
                r["enrollment_end"],
                r["pacing"],
                f"/courses/{r['id']}/about",
            )
            for r in rs
        ]
    raws = {
        key: json.dumps(rs, ensure_ascii=False, separators=(",", ":")) for key, rs in groups.items()
    }
    return courses, runs, raws


def oaipmh_pages(base: str) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    session = requests.Session()
    params: dict[str, str] | None = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
    for _ in range(MAX_PAGES):
        if params is None:
            return
        response = session.get(f"{base}/oai", params=params, timeout=60)
        response.raise_for_status()
        rows, token, _date, error = oai_page(response.content, with_xml=True)
        if error:
            raise RuntimeError(f"OAI-PMH error {error}")
        yield response.url, rows
        params = {"verb": "ListRecords", "resumptionToken": token} if token else None


def oaipmh_page(
    rows: list[tuple[Any, ...]],
) -> tuple[list[tuple], dict[str, list[tuple]], dict[str, str]]:
    """One course per record (identifier, datestamp, title, description, language, publisher,
    subjects joined by ``|``, url, record XML), no runs; the raw record is its XML as a JSON
    string, as the catalog keeps it."""
    courses = [
        (
            ident,
            title,
            desc,
            publisher,
            json.dumps(subjects.split("|") if subjects else []),
            None,
            None,
            url,
            None,
            datestamp,
            "",
        )
        for ident, datestamp, title, desc, _lang, publisher, subjects, url, _xml in rows
    ]
    return courses, {}, {row[0]: json.dumps(row[8], ensure_ascii=False) for row in rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the catalog floor (see the module docstring)")
    parser.add_argument("format", choices=("openedx", "oaipmh"))
    parser.add_argument("--base", required=True)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--commit", choices=("page", "once"), default="page")
    parser.add_argument(
        "--no-search-index",
        action="store_true",
        help="leave out the search rows and their trigram index (what they cost, by difference)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    catalog = Catalog(
        open_catalog(args.db), once=args.commit == "once", search=not args.no_search_index
    )
    if args.format == "openedx":
        for url, results in openedx_pages(args.base):
            catalog.page(url, *openedx_page(results))
    else:
        for url, rows in oaipmh_pages(args.base):
            catalog.page(url, *oaipmh_page(rows))
    catalog.finish()
    seconds = time.perf_counter() - started
    con = catalog.con

    def count(table: str) -> int:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    emit(
        format=args.format,
        commit=args.commit,
        pages=catalog.pages,
        courses=catalog.courses,
        runs=catalog.runs,
        events=count("course_events"),
        search_rows=count("course_search"),
        seconds=seconds,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
