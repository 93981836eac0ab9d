"""Peers: what a user might run instead of our harvester, on the same loopback feeds.

* ``dlt MODE``: dlt's ``rest_api`` source on the Open edX Courses API (JSON-link paginator on
  ``pagination.next``, ``results`` selected, merge on ``id``) into dlt's ``sqlalchemy``
  destination on a SQLite file. ``noop`` runs the same pipeline again: the Courses API has no
  modified-since filter, so dlt re-reads every page and merges.
* ``sickle MODE``: Sickle's ``ListRecords(metadataPrefix="oai_dc")`` into ``sqlite3``
  ``executemany``, one transaction; ``incr`` asks ``from`` the newest stored datestamp plus one
  second (Sickle raises ``NoRecordsMatch`` when nothing changed).

Bench-only dependencies, never the harvester's: ``pip install dlt[sqlalchemy] sickle`` (see
bench/README.md); ``python -m bench.peers available`` says which of them import. Only the
standard library, requests, lxml and the peer itself are imported, so any interpreter with the
peers installed can run this file (``--peer-python``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

BATCH = 1000
OAI_COLUMNS = ("identifier", "datestamp", "title", "description", "language", "publisher", "url")


def emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def available() -> dict[str, bool]:
    found = {}
    for name in ("dlt", "sickle"):
        try:
            __import__(name)
            found[name] = True
        except ImportError:
            found[name] = False
    return found


def run_dlt(base: str, mode: str, workdir: Path) -> None:
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")
    started = time.perf_counter()
    import dlt
    from dlt.sources.rest_api import rest_api_source

    pipelines, db = workdir / "dlt_pipelines", workdir / "dlt.db"
    if mode == "full":  # the dataset lives in attached files beside dlt.db (dlt__catalog.db…)
        shutil.rmtree(pipelines, ignore_errors=True)
        for path in workdir.glob("dlt*.db*"):
            path.unlink()
    source = rest_api_source(
        {
            "client": {
                "base_url": f"{base}/api/courses/v1/",
                "paginator": {"type": "json_link", "next_url_path": "pagination.next"},
            },
            "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
            "resources": [
                {
                    "name": "courses",
                    "endpoint": {
                        "path": "courses/",
                        "params": {"page_size": 100},
                        "data_selector": "results",
                    },
                }
            ],
        }
    )
    pipeline = dlt.pipeline(
        pipeline_name="bench_openedx",
        pipelines_dir=str(pipelines),
        dataset_name="catalog",
        destination=dlt.destinations.sqlalchemy(credentials=f"sqlite:///{db}"),
    )
    pipeline.run(source)
    loaded = pipeline.last_trace.last_normalize_info.row_counts.get("courses", 0)
    with pipeline.sql_client() as client:
        stored = client.execute_sql("SELECT count(*) FROM courses")[0][0]
    emit(peer="dlt", mode=mode, loaded=loaded, stored=stored, seconds=time.perf_counter() - started)


def _row(record: Any) -> tuple[Any, ...]:
    header, metadata = record.header, record.metadata

    def first(name: str) -> str | None:
        return (metadata.get(name) or [None])[0]

    urls = [u for u in metadata.get("identifier", []) if u.startswith(("http://", "https://"))]
    return (
        header.identifier,
        header.datestamp,
        first("title"),
        first("description"),
        first("language"),
        first("publisher"),
        urls[0] if urls else None,
    )


def run_sickle(base: str, mode: str, workdir: Path) -> None:
    started = time.perf_counter()
    from sickle import Sickle
    from sickle.oaiexceptions import NoRecordsMatch

    db = workdir / "sickle.db"
    if mode == "full":
        db.unlink(missing_ok=True)
    con = sqlite3.connect(db, isolation_level=None)
    columns = ", ".join(OAI_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS records ({columns}, PRIMARY KEY (identifier))")
    sql = f"INSERT OR REPLACE INTO records ({columns}) VALUES ({', '.join('?' * len(OAI_COLUMNS))})"
    arguments: dict[str, Any] = {"metadataPrefix": "oai_dc", "ignore_deleted": True}
    if mode == "incr":
        newest = con.execute("SELECT max(datestamp) FROM records").fetchone()[0]
        after = datetime.strptime(newest, "%Y-%m-%dT%H:%M:%SZ") + timedelta(seconds=1)
        arguments["from"] = after.strftime("%Y-%m-%dT%H:%M:%SZ")
    written, batch = 0, []
    con.execute("BEGIN")
    try:
        for record in Sickle(f"{base}/oai", timeout=60).ListRecords(**arguments):
            batch.append(_row(record))
            if len(batch) >= BATCH:
                con.executemany(sql, batch)
                written, batch = written + len(batch), []
    except NoRecordsMatch:
        pass
    if batch:
        con.executemany(sql, batch)
        written += len(batch)
    con.execute("COMMIT")
    stored = con.execute("SELECT count(*) FROM records").fetchone()[0]
    emit(
        peer="sickle",
        mode=mode,
        written=written,
        stored=stored,
        seconds=time.perf_counter() - started,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="peer runs (see the module docstring)")
    parser.add_argument("peer", choices=("available", "dlt", "sickle"))
    parser.add_argument("mode", nargs="?", choices=("full", "noop", "incr"), default="full")
    parser.add_argument("--base")
    parser.add_argument("--dir", type=Path)
    args = parser.parse_args(argv)
    if args.peer == "available":
        emit(**available())
        return 0
    if not args.base or not args.dir:
        parser.error("--base and --dir are required")
    args.dir.mkdir(parents=True, exist_ok=True)
    (run_dlt if args.peer == "dlt" else run_sickle)(args.base, args.mode, args.dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
