"""The physical baselines: what the same work costs with nothing but the basic tools.

Each runs as its own process (``python -m bench.baselines …``) against the loopback server and
prints one JSON line with what it did. No retries, no validation, no provenance, no history:
the floor our harvester is measured against, as a ratio.

* ``floor FORMAT``: fetch every page of a full harvest with a ``requests.Session``, parse
  nothing (the URLs come from the server's manifest, fetched before the clock starts). This is
  the transport alone: the server and the loopback.
* ``json FORMAT MODE`` (openedx, xuetangx, moochub): ``requests.Session`` + ``json.loads`` +
  ``sqlite3`` ``executemany``, every page in one transaction.
* ``xml MODE`` (OAI-PMH): ``requests.Session`` + ``lxml.etree.iterparse`` over each page's body
  + ``sqlite3`` ``executemany``, one transaction, following ``resumptionToken``.
* ``dump``: a plain JSON dump of a catalog's courses and runs (``sqlite3`` + ``json.dumps``,
  streamed), the yardstick of the exports.
* ``pages``: one minimal, escaped HTML page per course, each its own file: the least a site
  with a page per course can cost; ``files``: as many files of a given size, the filesystem's
  share alone.

Modes: ``full`` starts from an empty database and inserts everything; ``noop`` downloads and
parses everything again and compares each row with the stored one (writing only differences:
none, on an unchanged feed); ``incr`` is the protocol's incremental request: OAI-PMH ``from`` the
stored ``responseDate``, Open edX ``If-None-Match`` with the stored ETags.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path
from typing import Any

import requests
from lxml import etree

XUETANGX_HEADERS = {"xtbz": "xt", "django-language": "zh", "x-client": "web"}
XUETANGX_BODY = {
    "query": "",
    "chief_org": [],
    "classify": [],
    "selling_type": [],
    "status": [],
    "appid": 10000,
}
OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
MAX_PAGES = 1_000_000  # a bound for every paging loop

COLUMNS = {
    "openedx": (
        "id",
        "course_key",
        "name",
        "org",
        "number",
        "short_description",
        "start",
        "end",
        "enrollment_start",
        "enrollment_end",
        "pacing",
        "effort",
        "image",
        "video",
    ),
    "xuetangx": (
        "sign",
        "name",
        "short_intro",
        "org",
        "classify",
        "classroom_ids",
        "class_time",
        "cover",
        "modified",
    ),
    "moochub": (
        "id",
        "name",
        "description",
        "languages",
        "start_dates",
        "end_dates",
        "url",
        "publisher",
        "modified",
    ),
    "oaipmh": (
        "identifier",
        "datestamp",
        "title",
        "description",
        "language",
        "publisher",
        "subjects",
        "url",
    ),
}


def emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def open_db(path: Path, table: str, *, fresh: bool) -> sqlite3.Connection:
    if fresh:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    con = sqlite3.connect(path, isolation_level=None)
    cols = ", ".join(
        f'"{c}"' + (" PRIMARY KEY" if i == 0 else "") for i, c in enumerate(COLUMNS[table])
    )
    con.execute(f'CREATE TABLE IF NOT EXISTS "{table}" ({cols})')
    con.execute("CREATE TABLE IF NOT EXISTS pages (url PRIMARY KEY, etag, next)")
    con.execute("CREATE TABLE IF NOT EXISTS meta (key PRIMARY KEY, value)")
    return con


def upsert_sql(table: str) -> str:
    cols = COLUMNS[table]
    names = ", ".join(f'"{c}"' for c in cols)
    return f'INSERT OR REPLACE INTO "{table}" ({names}) VALUES ({", ".join("?" * len(cols))})'


class Writer:
    """One transaction; ``full`` inserts every row, otherwise only rows that differ."""

    def __init__(self, con: sqlite3.Connection, table: str, *, full: bool) -> None:
        self.con, self.table, self.sql, self.full = con, table, upsert_sql(table), full
        self.known: dict[Any, tuple[Any, ...]] | None = None  # read when the first rows come
        self.rows = self.written = 0
        con.execute("BEGIN")

    def add(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows += len(rows)
        if not self.full and rows:
            if self.known is None:
                stored = self.con.execute(f'SELECT * FROM "{self.table}"')
                self.known = {row[0]: row for row in stored}
            rows = [r for r in rows if self.known.get(r[0]) != r]
        if rows:
            self.con.executemany(self.sql, rows)
            self.written += len(rows)

    def commit(self) -> None:
        self.con.execute("COMMIT")


# --- the transport floor ----------------------------------------------------------------------


def floor(base: str, fmt: str) -> None:
    session = requests.Session()
    manifest = session.get(f"{base}/_bench/manifest", params={"format": fmt}, timeout=60).json()
    started = time.perf_counter()
    size = 0
    for method, url in manifest:
        if method == "POST":
            response = session.post(url, json=XUETANGX_BODY, headers=XUETANGX_HEADERS, timeout=60)
        else:
            response = session.get(url, timeout=60)
        response.raise_for_status()
        size += len(response.content)
    emit(format=fmt, requests=len(manifest), bytes=size, seconds=time.perf_counter() - started)


# --- JSON feeds -------------------------------------------------------------------------------


def _media(run: dict[str, Any], name: str, field: str) -> Any:
    return ((run.get("media") or {}).get(name) or {}).get(field)


def openedx_rows(results: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            r["id"],
            "+".join(r["id"].split(":", 1)[1].split("+")[:2]),
            r["name"],
            r["org"],
            r["number"],
            r["short_description"],
            r["start"],
            r["end"],
            r["enrollment_start"],
            r["enrollment_end"],
            r["pacing"],
            r["effort"],
            _media(r, "image", "raw"),
            _media(r, "course_video", "uri"),
        )
        for r in results
    ]


def openedx_pages(
    session: requests.Session, base: str, con: sqlite3.Connection, mode: str
) -> Iterator[list[dict[str, Any]]]:
    """Every page's ``results``; ``incr`` asks with the stored ETags and skips 304 pages."""
    stored = {url: (etag, nxt) for url, etag, nxt in con.execute("SELECT * FROM pages")}
    url: str | None = f"{base}/api/courses/v1/courses/?page_size=100"
    seen = 0
    while url and seen < MAX_PAGES:
        seen += 1
        known = stored.get(url) if mode == "incr" else None
        headers = {"If-None-Match": known[0]} if known and known[0] else {}
        response = session.get(url, headers=headers, timeout=60)
        if response.status_code == 304 and known:
            url = known[1]
            continue
        response.raise_for_status()
        body = json.loads(response.content)
        nxt = body["pagination"]["next"]
        etag = response.headers.get("ETag")
        con.execute("INSERT OR REPLACE INTO pages VALUES (?, ?, ?)", (url, etag, nxt))
        yield body["results"]
        url = nxt


def xuetangx_rows(products: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            p["sign"],
            p["name"],
            p["short_intro"],
            (p.get("org") or {}).get("name"),
            json.dumps(p.get("classify_name"), ensure_ascii=False),
            json.dumps(p.get("classroom_id")),
            json.dumps(p.get("sku_class_time")),
            p.get("cover"),
            p.get("modified"),
        )
        for p in products
    ]


def xuetangx_pages(session: requests.Session, base: str) -> Iterator[list[dict[str, Any]]]:
    for page in range(1, MAX_PAGES):
        response = session.post(
            f"{base}/api/v1/lms/get_product_list/?page={page}",
            json=XUETANGX_BODY,
            headers=XUETANGX_HEADERS,
            timeout=60,
        )
        response.raise_for_status()
        data = json.loads(response.content)["data"]
        products = data.get("product_list") or []
        if products:
            yield products
        if not products or page >= math.ceil(data["count"] / 10):
            return


def moochub_rows(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    rows = []
    for item in items:
        a = item["attributes"]
        rows.append(
            (
                item["id"],
                a["name"],
                a.get("description"),
                json.dumps(a.get("inLanguage")),
                json.dumps(a.get("startDate")),
                json.dumps(a.get("endDate")),
                a.get("url"),
                (a.get("publisher") or {}).get("name"),
                a.get("dateModified"),
            )
        )
    return rows


def moochub_pages(session: requests.Session, base: str) -> Iterator[list[dict[str, Any]]]:
    url: str | None = f"{base}/courses"
    headers = {"Accept": "application/vnd.api+json; moochub-version=3"}
    for _ in range(MAX_PAGES):
        if not url:
            return
        response = session.get(url, headers=headers, timeout=60)
        response.raise_for_status()
        body = json.loads(response.content)
        yield body["data"]
        url = (body.get("links") or {}).get("next")


def json_feed(base: str, fmt: str, mode: str, db: Path) -> None:
    started = time.perf_counter()
    session = requests.Session()
    con = open_db(db, fmt, fresh=mode == "full")
    writer = Writer(con, fmt, full=mode == "full")
    pages: Iterator[list[dict[str, Any]]]
    to_rows: Callable[[list[dict[str, Any]]], list[tuple[Any, ...]]]
    if fmt == "openedx":
        pages, to_rows = openedx_pages(session, base, con, mode), openedx_rows
    elif fmt == "xuetangx":
        pages, to_rows = xuetangx_pages(session, base), xuetangx_rows
    else:
        pages, to_rows = moochub_pages(session, base), moochub_rows
    for items in pages:
        writer.add(to_rows(items))
    writer.commit()
    total = con.execute(f'SELECT count(*) FROM "{fmt}"').fetchone()[0]
    emit(
        format=fmt,
        mode=mode,
        parsed=writer.rows,
        written=writer.written,
        stored=total,
        seconds=time.perf_counter() - started,
    )


# --- OAI-PMH ----------------------------------------------------------------------------------

_RECORD, _TOKEN, _DATE, _ERROR = (
    f"{OAI}{t}" for t in ("record", "resumptionToken", "responseDate", "error")
)


def oai_row(record: Any) -> tuple[Any, ...]:
    header = record[0]
    dc = record[1][0]
    fields: dict[str, list[str]] = {}
    for child in dc:
        fields.setdefault(child.tag, []).append(child.text or "")

    def first(name: str) -> str | None:
        return (fields.get(DC + name) or [None])[0]

    urls = [u for u in fields.get(DC + "identifier", []) if u.startswith(("http://", "https://"))]
    return (
        header.findtext(f"{OAI}identifier"),
        header.findtext(f"{OAI}datestamp"),
        first("title"),
        first("description"),
        first("language"),
        first("publisher"),
        "|".join(fields.get(DC + "subject", [])),
        urls[0] if urls else None,
    )


def oai_page(
    body: bytes, *, with_xml: bool = False
) -> tuple[list[tuple[Any, ...]], str | None, str | None, str | None]:
    """(rows, resumption token or None, responseDate, OAI error code) of one response; with
    ``with_xml`` each row ends with its record's XML text (what the catalog keeps as raw)."""
    rows: list[tuple[Any, ...]] = []
    token = date = error = None
    tags = (_RECORD, _TOKEN, _DATE, _ERROR)
    for _, element in etree.iterparse(io.BytesIO(body), events=("end",), tag=tags):
        if element.tag == _RECORD:
            row = oai_row(element)
            if with_xml:
                row = (*row, etree.tostring(element, encoding="unicode"))
            rows.append(row)
            element.clear()
        elif element.tag == _TOKEN:
            token = (element.text or "").strip() or None
        elif element.tag == _DATE:
            date = element.text
        else:
            error = element.get("code")
    return rows, token, date, error


def oai_feed(base: str, mode: str, db: Path) -> None:
    started = time.perf_counter()
    session = requests.Session()
    con = open_db(db, "oaipmh", fresh=mode == "full")
    writer = Writer(con, "oaipmh", full=mode == "full")
    params: dict[str, str] | None = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
    assert params is not None
    if mode == "incr":
        stored = con.execute("SELECT value FROM meta WHERE key = 'from'").fetchone()
        params["from"] = stored[0]
    first_date, requests_sent = None, 0
    while params is not None and requests_sent < MAX_PAGES:
        response = session.get(f"{base}/oai", params=params, timeout=60)
        response.raise_for_status()
        requests_sent += 1
        rows, token, date, error = oai_page(response.content)
        first_date = first_date or date
        if error and error != "noRecordsMatch":
            raise RuntimeError(f"OAI-PMH error {error}")
        writer.add(rows)
        params = {"verb": "ListRecords", "resumptionToken": token} if token else None
    con.execute("INSERT OR REPLACE INTO meta VALUES ('from', ?)", (first_date,))
    writer.commit()
    total = con.execute("SELECT count(*) FROM oaipmh").fetchone()[0]
    emit(
        format="oaipmh",
        mode=mode,
        parsed=writer.rows,
        written=writer.written,
        stored=total,
        requests=requests_sent,
        seconds=time.perf_counter() - started,
    )


# --- the exports' yardstick -------------------------------------------------------------------


def dump(catalog: Path, out: Path) -> None:
    """Every course with its runs as JSON, streamed: what "a plain JSON dump" costs."""
    started = time.perf_counter()
    con = sqlite3.connect(catalog)
    con.row_factory = sqlite3.Row
    runs: dict[int, list[dict[str, Any]]] = {}
    for row in con.execute("SELECT * FROM course_runs ORDER BY course_id, start"):
        runs.setdefault(row["course_id"], []).append(dict(row))
    count = 0
    with out.open("w", encoding="utf-8") as fh:
        fh.write('{"courses": [\n')
        for row in con.execute("SELECT * FROM courses ORDER BY id"):
            course = dict(row)
            course["runs"] = runs.get(row["id"], [])
            fh.write((",\n" if count else "") + json.dumps(course, ensure_ascii=False))
            count += 1
        fh.write("\n]}\n")
    emit(courses=count, bytes=out.stat().st_size, seconds=time.perf_counter() - started)


def write_new(folder: int, name: str, body: bytes) -> None:
    """A new file ``name`` in the open directory ``folder``, as the site creates its pages."""
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644, dir_fd=folder)
    try:
        os.write(fd, body)
    finally:
        os.close(fd)


def files(directory: Path, count: int, size: int) -> None:
    """``count`` new files of ``size`` bytes in ``directory`` (``os.open`` + ``write`` + ``close``,
    as the site writes its course pages): what the filesystem alone costs the site export."""
    directory.mkdir(parents=True, exist_ok=False)
    body = b"x" * size
    started = time.perf_counter()
    folder = os.open(directory, os.O_RDONLY)
    try:
        for i in range(count):
            write_new(folder, f"course-{i:07d}.html", body)
    finally:
        os.close(folder)
    emit(files=count, bytes=count * size, seconds=time.perf_counter() - started)


def pages(catalog: Path, directory: Path) -> None:
    """One minimal HTML page per course (its title, organisation, short description and runs,
    ``html.escape``-d, no template, no sanitizer, no JSON-LD), written as the site writes its
    course pages: the least a site with a page per course can cost, files included."""
    started = time.perf_counter()
    directory.mkdir(parents=True, exist_ok=False)
    con = sqlite3.connect(catalog)
    runs = con.execute(
        'SELECT course_id, title, start, "end", url FROM course_runs ORDER BY course_id, start'
    )
    pending = next(runs, None)
    count = size = 0
    folder = os.open(directory, os.O_RDONLY)
    try:
        for cid, key, title, org, short in con.execute(
            "SELECT id, key, title, organization, short_description FROM courses ORDER BY id"
        ):
            items = []
            while pending is not None and pending[0] <= cid:
                if pending[0] == cid:
                    _, run_title, start, end, url = pending
                    items.append(
                        f'<li><a href="{escape(url or "")}">{escape(run_title or "")}</a> '
                        f"{escape(start or '')} – {escape(end or '')}</li>"
                    )
                pending = next(runs, None)
            body = (
                f'<!doctype html><html lang="und"><meta charset="utf-8"><title>{escape(title)}'
                f"</title><h1>{escape(title)}</h1><p>{escape(org or '')}</p>"
                f"<div>{escape(short or '')}</div><ul>{''.join(items)}</ul></html>"
            ).encode()
            write_new(folder, f"{key.replace('/', '_')}-{cid}.html", body)
            count += 1
            size += len(body)
    finally:
        os.close(folder)
    emit(pages=count, bytes=size, seconds=time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="physical baselines (see the module docstring)")
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("floor")
    p.add_argument("format", choices=("openedx", "xuetangx", "oaipmh", "moochub"))
    p.add_argument("--base", required=True)
    p = sub.add_parser("json")
    p.add_argument("format", choices=("openedx", "xuetangx", "moochub"))
    p.add_argument("mode", choices=("full", "noop", "incr"))
    p.add_argument("--base", required=True)
    p.add_argument("--db", type=Path, required=True)
    p = sub.add_parser("xml")
    p.add_argument("mode", choices=("full", "noop", "incr"))
    p.add_argument("--base", required=True)
    p.add_argument("--db", type=Path, required=True)
    p = sub.add_parser("dump")
    p.add_argument("--catalog", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("pages")
    p.add_argument("--catalog", type=Path, required=True)
    p.add_argument("--dir", type=Path, required=True)
    p = sub.add_parser("files")
    p.add_argument("--dir", type=Path, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--size", type=int, required=True)
    args = parser.parse_args(argv)
    if args.what == "floor":
        floor(args.base, args.format)
    elif args.what == "json":
        json_feed(args.base, args.format, args.mode, args.db)
    elif args.what == "xml":
        oai_feed(args.base, args.mode, args.db)
    elif args.what == "files":
        files(args.dir, args.count, args.size)
    elif args.what == "pages":
        pages(args.catalog, args.dir)
    else:
        dump(args.catalog, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
