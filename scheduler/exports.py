"""Writing exports so that a reader never sees half a file: a temporary file, then a rename.

Used by ``moocx export`` (one export, or ``--all`` the configured ``[[exports]]``), by
``moocx demo`` and by ``moocx serve``, which builds the missing ``[[exports]]`` at start and
rebuilds them all after every sync that changed the catalog. Every format is a view of the
course documents (catalog.present.documents): JSON (everything, or one audience's view), CSV and the
static site (one audience). Files are created like the site's (catalog/present/files.py: ``0666``
less the umask), so a web server can serve them. Each writer is imported when its format is asked
for, so a JSON export does not load the site's Jinja2 and nh3.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from catalog.errors import CatalogError, ExportError
from catalog.present.course_document import CourseDocument
from catalog.present.documents import count_documents, course_documents, institutions
from catalog.present.files import atomic_text
from catalog.store.db import read_only
from scheduler.config import Config, ExportConfig
from scheduler.exchange_setup import current_subject_codes

log = logging.getLogger(__name__)

#: ``progress(done, total)``: courses written so far, of the export's total.
Progress = Callable[[int, int], None]
#: Courses between two progress reports (a report costs a call, not a redraw: the UI throttles).
PROGRESS_EVERY = 500
__all__ = ["Built", "ExportError", "atomic_text", "build", "build_missing", "export", "rebuild_all"]


#: What may stop one export without stopping the others: the disk, a bad target, the database.
EXPORT_ERRORS = (OSError, ValueError, CatalogError, SQLAlchemyError)


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
    (for CSV, the rows: one per offered run). JSON with ``audience`` is that institution's view
    (its offers only). ``progress(done, total)`` is told the courses written so far, every
    :data:`PROGRESS_EVERY` and at the end."""
    current_subject_codes(engine, config)  # the codes the documents carry, as the config maps
    if fmt == "json":
        return _export_json(engine, out, audience, stream, progress)
    if audience is None:
        raise ExportError(f"the {fmt} export is for one audience: give --audience")
    with read_only(engine) as conn:
        docs: Iterable[CourseDocument] = course_documents(
            conn, audience=audience, include_withdrawn=False
        )
        if progress is not None:
            total = count_documents(conn, audience=audience, include_withdrawn=False)
            docs = _reporting(total, progress)(docs)
        if fmt == "csv":
            from catalog.present.export_csv import write_csv

            language = reading_language(config, audience)
            if stream is not None:
                return write_csv(stream, docs, audience=audience, language=language)
            assert out is not None
            with atomic_text(out) as fh:  # write_csv writes the BOM spreadsheets need
                return write_csv(fh, docs, audience=audience, language=language)
        if fmt == "site":
            from catalog.present.site import write_site  # Jinja2 and nh3: only for the site

            assert out is not None
            stats = write_site(
                out,
                institutions=institutions(conn),
                courses=docs,
                audience=audience,
                generated_at=datetime.now(UTC),
                language=reading_language(config, audience),
            )
            return stats.courses
    raise ExportError(f"unknown export format {fmt!r}")


def reading_language(config: Config, audience: str) -> str:
    """The language ``audience``'s students read (its ``[[institutions]]`` entry), for the CSV's
    subject labels and the site's default UI language; English for an institution the config
    does not have."""
    for institution in config.institutions:
        if institution.id == audience:
            return institution.reading_language
    return "en"


def _export_json(
    engine: Engine,
    out: Path | None,
    audience: str | None,
    stream: TextIO | None,
    progress: Progress | None,
    **options: Any,
) -> int:
    """The JSON export: the whole catalog, or with ``audience`` that institution's view."""
    from catalog.present.export_json import write_json

    with read_only(engine) as conn:  # the count and the courses: one snapshot
        if progress is not None:
            total = count_documents(conn, audience=audience, include_withdrawn=audience is None)
            options["courses"] = _reporting(total, progress)
        if stream is not None:
            return write_json(conn, stream, audience=audience, **options)
        assert out is not None
        with atomic_text(out) as fh:
            return write_json(conn, fh, audience=audience, **options)


def _reporting(
    total: int, progress: Progress
) -> Callable[[Iterable[CourseDocument]], Iterator[CourseDocument]]:
    """A wrapper of a document stream that tells ``progress`` how far it has got."""

    def wrap(docs: Iterable[CourseDocument]) -> Iterator[CourseDocument]:
        done = 0
        progress(0, total)
        for doc in docs:
            yield doc
            done += 1
            if done % PROGRESS_EVERY == 0:
                progress(done, total)
        progress(done, total)

    return wrap


@dataclass(frozen=True)
class Built:
    """How one configured ``[[exports]]`` entry went: what it wrote, or why it could not."""

    item: ExportConfig
    #: Courses written (for CSV, rows); None when it failed.
    count: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def build(
    config: Config, engine: Engine, item: ExportConfig, *, progress: Progress | None = None
) -> Built:
    """One configured export, written in place atomically; its failure is returned, not raised,
    so the next export still runs."""
    try:
        count = export(
            config,
            engine,
            item.format,
            Path(item.path),
            audience=item.audience,
            progress=progress,
        )
    except EXPORT_ERRORS as exc:
        error = _reason(exc)
        log.error("export %s (%s) could not be written: %s", item.path, item.format, error)
        return Built(item, error=error)
    log.info("export %s (%s) written: %d", item.path, item.format, count)
    return Built(item, count=count)


def _reason(exc: BaseException) -> str:
    """Why an export failed, in one line: a database error without the SQL and the help link
    SQLAlchemy appends on lines of their own."""
    if isinstance(exc, DBAPIError) and not isinstance(exc, CatalogError):
        return f"the catalog failed: {' '.join(str(exc.orig).split())}"
    return str(exc) or type(exc).__name__


def rebuild_all(config: Config, engine: Engine) -> list[Built]:
    """Every configured export; a failing one does not stop the rest."""
    return [build(config, engine, item) for item in config.exports]


def build_missing(config: Config, engine: Engine) -> list[Built]:
    """The configured exports whose file or site directory does not exist, built now.

    ``moocx serve`` calls it at start: exports are otherwise rebuilt only after a sync that
    changed the catalog, so a new ``[[exports]]`` entry, a fresh server or a deleted file would
    wait — for ever, with a quiet source — for a change that may never come."""
    missing = [item for item in config.exports if not Path(item.path).exists()]
    if missing:
        log.info(
            "building %d missing export(s): %s",
            len(missing),
            ", ".join(item.path for item in missing),
        )
    return [build(config, engine, item) for item in missing]
