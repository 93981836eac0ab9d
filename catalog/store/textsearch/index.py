"""Writing the search index: one row per course, from its stored fields.

The ingest writes the rows of the courses a page created or changed (:func:`index_row`,
:func:`store_index_rows`); :func:`refresh_index` rebuilds them from ``courses``. On SQLite,
:func:`store_index_rows` also adds new rows to the trigram table (one ``executemany``, far
cheaper than an insert trigger); updates and deletes reach it through triggers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, Select, delete, select

from catalog.derive.fold import fold
from catalog.derive.search_text import folded_document_text, lower
from catalog.store import tables
from catalog.store.bulk import AnyRow, Bulk
from catalog.store.textsearch.table import (
    FTS_TABLE,
    INDEX_COLUMNS,
    INDEX_TABLE,
    course_search,
    has_fts,
)

#: Courses read, and index rows deleted, per statement.
BATCH = 500


class IndexRow(NamedTuple):
    """One course's row of ``course_search`` (in :data:`INDEX_COLUMNS` order)."""

    course_id: int
    title_lower: str
    title_folded: str
    folded: str


def index_row(
    course_id: int,
    title: str,
    organization: str | None,
    subjects: Iterable[str],
    short_description: str | None,
    *,
    subject_mapping: Mapping[str, str] | None = None,
) -> IndexRow:
    """One course's index row from its stored fields, for :func:`store_index_rows`."""
    title_folded = fold(title)
    return IndexRow(
        course_id,
        lower(title),
        title_folded,
        folded_document_text(
            title, title_folded, organization, subjects, short_description, mapping=subject_mapping
        ),
    )


def store_index_rows(conn: Connection, rows: Sequence[IndexRow], *, replace: bool = False) -> int:
    """Write :func:`index_row` rows in the caller's transaction; ``replace`` drops old ones first.

    The one writer of new index rows: it keeps the SQLite trigram table in step (updates and
    deletes keep it in step through triggers).
    """
    if not rows:
        return 0
    bulk = Bulk(conn)
    if replace:
        _delete(conn, [row.course_id for row in rows])
    bulk.insert(INDEX_TABLE, INDEX_COLUMNS, rows)
    if has_fts(conn):
        bulk.insert(FTS_TABLE, ("rowid", "folded"), [(row.course_id, row.folded) for row in rows])
    return len(rows)


def refresh_index(
    conn: Connection,
    course_ids: Sequence[int] | None = None,
    *,
    subject_mapping: Mapping[str, str] | None = None,
) -> int:
    """Re-index the given courses (None: all of them); returns the number of rows written.

    Runs in the caller's transaction. An id whose course no longer exists is dropped from the
    index. ``subject_mapping`` is the config's extra subject mapping (see catalog.derive.subjects).
    """
    c = tables.courses.c
    if course_ids is None:
        conn.execute(delete(course_search))
        written, last_id = 0, 0
        while True:
            rows = conn.execute(
                _source_rows().where(c.id > last_id).order_by(c.id).limit(BATCH)
            ).all()
            if not rows:
                return written
            last_id = rows[-1].id
            written += _index(conn, rows, subject_mapping)
    written = 0
    for chunk in _chunks(sorted(set(course_ids)), BATCH):
        _delete(conn, chunk)
        rows = conn.execute(_source_rows().where(c.id.in_(chunk))).all()
        written += _index(conn, rows, subject_mapping)
    return written


def _source_rows() -> Select[Any]:
    c = tables.courses.c
    return select(c.id, c.title, c.organization, c.subjects, c.short_description)


def _index(conn: Connection, rows: Sequence[AnyRow], mapping: Mapping[str, str] | None) -> int:
    return store_index_rows(
        conn,
        [
            index_row(
                row.id,
                row.title,
                row.organization,
                row.subjects or [],
                row.short_description,
                subject_mapping=mapping,
            )
            for row in rows
        ],
    )


def _delete(conn: Connection, course_ids: list[int]) -> None:
    for chunk in _chunks(course_ids, BATCH):
        conn.execute(delete(course_search).where(course_search.c.course_id.in_(chunk)))


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
