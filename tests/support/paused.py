"""``moocx`` in a real process that stops dead at one chosen point, for a test to ``kill -9``.

A kill is only a test of something when the test knows where it struck. This runs the CLI
exactly as the ``moocx`` entry point does, with one pause planted from outside (nothing in the
product knows about it): when the point is reached it writes its pid to ``--marker`` and
sleeps until killed. The test waits for the marker, checks what the process holds (an open
write transaction, a lock, a temporary folder), then kills it.

    python -m tests.support.paused --marker M --before-sql "INSERT INTO harvest_pages" --nth 2 \\
        -- --config C sync          # inside page 2's transaction, its courses written
    python -m tests.support.paused --marker M --after-sql pg_advisory_xact_lock -- ...
    python -m tests.support.paused --marker M --after-documents 2 -- --config C export ...

``--sqlite-cache-pages N`` gives SQLite a page cache of N pages, so that a transaction of a
few pages already spills its uncommitted changes into the WAL file, as a big one would.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def pause(marker: Path) -> None:
    """Tell the test where we are, then wait for its ``kill -9``."""
    marker.write_text(str(os.getpid()), encoding="ascii")
    while True:
        time.sleep(60)


def plant_sql(marker: Path, text: str, nth: int, when: str) -> None:
    from sqlalchemy import Engine, event

    seen = [0]

    def hook(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if text in statement:
            seen[0] += 1
            if seen[0] == nth:
                pause(marker)

    event.listen(Engine, f"{when}_cursor_execute", hook)


def plant_documents(marker: Path, count: int) -> None:
    """Pause once ``count`` course documents went to the export's writer (before anything
    imports ``course_documents`` by name)."""
    import catalog.present.documents

    original = catalog.present.documents.course_documents

    def paused(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for n, document in enumerate(original(*args, **kwargs), start=1):
            yield document
            if n == count:
                pause(marker)

    catalog.present.documents.course_documents = paused  # type: ignore[assignment]


def plant_cache(pages: int) -> None:
    from sqlalchemy import Engine, event

    def connect(dbapi_connection: Any, _record: Any) -> None:
        if type(dbapi_connection).__module__ == "sqlite3":
            dbapi_connection.execute(f"PRAGMA cache_size={int(pages)}")

    event.listen(Engine, "connect", connect)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--marker", type=Path, required=True)
    parser.add_argument("--before-sql")
    parser.add_argument("--after-sql")
    parser.add_argument("--nth", type=int, default=1)
    parser.add_argument("--after-documents", type=int)
    parser.add_argument("--sqlite-cache-pages", type=int)
    parser.add_argument("moocx", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.sqlite_cache_pages:
        plant_cache(args.sqlite_cache_pages)
    if args.before_sql:
        plant_sql(args.marker, args.before_sql, args.nth, "before")
    if args.after_sql:
        plant_sql(args.marker, args.after_sql, args.nth, "after")
    if args.after_documents:
        plant_documents(args.marker, args.after_documents)
    from scheduler.cli import run

    rest = args.moocx[1:] if args.moocx[:1] == ["--"] else args.moocx
    return run(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
