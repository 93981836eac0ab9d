"""Writing exports so that a reader never sees half a file: a temporary file, then a rename.

Used by ``moocx export``, by ``moocx demo`` and by ``moocx serve``, which rebuilds the configured
``[[exports]]`` after every sync that changed the catalog. Every format is a view of the course
documents (catalog.documents): JSON (everything), CSV and the static site (one audience). Each
writer is imported when its format is asked for, so a JSON export does not load the site's
Jinja2 and nh3.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Engine

from catalog.db import read_only
from catalog.documents import count_documents, course_documents, institutions
from scheduler.config import Config, ExportConfig
from scheduler.exchange_setup import isced_for

log = logging.getLogger(__name__)

#: ``progress(done, total)``: courses written so far, of the export's total.
Progress = Callable[[int, int], None]
#: Courses between two progress reports (a report costs a call, not a redraw: the UI throttles).
PROGRESS_EVERY = 500


@contextmanager
def atomic_text(path: Path, *, encoding: str = "utf-8") -> Iterator[TextIO]:
    """Write to a temporary file beside ``path`` and rename it into place when complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export(
    config: Config,
    engine: Engine,
    fmt: str,
    out: Path | None,
    *,
    audience: str | None = None,
    stream: TextIO | None = None,
    progress: Progress | None = None,
) -> int:
    """Write one export (to ``out``, or to ``stream`` for JSON/CSV); returns the courses written
    (for CSV, the rows: one per offered run). ``progress(done, total)`` is told the courses
    written so far, every :data:`PROGRESS_EVERY` and at the end."""
    isced, labels = isced_for(config)
    if fmt == "json":
        from catalog.export_json import write_json

        counted = None
        if progress is not None:
            with read_only(engine) as conn:
                counted = _reporting(count_documents(conn), progress)
        if stream is not None:
            return write_json(engine, stream, isced=isced, labels=labels, courses=counted)
        assert out is not None
        with atomic_text(out) as fh:
            return write_json(engine, fh, isced=isced, labels=labels, courses=counted)
    if audience is None:
        raise ValueError(f"the {fmt} export is for one audience: give --audience")
    with read_only(engine) as conn:
        docs: Iterable[dict[str, Any]] = course_documents(
            conn, audience=audience, isced=isced, labels=labels, include_withdrawn=False
        )
        if progress is not None:
            total = count_documents(conn, audience=audience, include_withdrawn=False)
            docs = _reporting(total, progress)(docs)
        if fmt == "csv":
            from catalog.export_csv import write_csv

            if stream is not None:
                return write_csv(stream, docs, audience=audience)
            assert out is not None
            with atomic_text(out) as fh:  # write_csv writes the BOM spreadsheets need
                return write_csv(fh, docs, audience=audience)
        if fmt == "site":
            from catalog.site import write_site  # Jinja2 and nh3: only for the site

            assert out is not None
            stats = write_site(
                out,
                institutions=institutions(conn),
                courses=docs,
                audience=audience,
                generated_at=datetime.now(UTC),
            )
            return stats.courses
    raise ValueError(f"unknown export format {fmt!r}")


def _reporting(
    total: int, progress: Progress
) -> Callable[[Iterable[dict[str, Any]]], Iterator[dict[str, Any]]]:
    """A wrapper of a document stream that tells ``progress`` how far it has got."""

    def wrap(docs: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        done = 0
        progress(0, total)
        for doc in docs:
            yield doc
            done += 1
            if done % PROGRESS_EVERY == 0:
                progress(done, total)
        progress(done, total)

    return wrap


def write_export(config: Config, engine: Engine, item: ExportConfig) -> int:
    """One configured ``[[exports]]`` entry, written in place atomically."""
    return export(config, engine, item.format, Path(item.path), audience=item.audience)


def rebuild_all(config: Config, engine: Engine) -> list[tuple[ExportConfig, int]]:
    """Every configured export; a failing one does not stop the rest."""
    done = []
    for item in config.exports:
        try:
            done.append((item, write_export(config, engine, item)))
            log.info("export %s rebuilt (%s)", item.path, item.format)
        except (OSError, ValueError) as exc:
            log.error("export %s could not be written: %s", item.path, exc)
    return done
