"""Writing one page's courses: read what is stored, decide, then write each table once.

Per page there is one ``SELECT`` of the stored hashes (and one of the runs of stored courses),
then one batched ``INSERT`` and one batched ``UPDATE`` per table, touching only rows whose
content hash changed: a second sync of an unchanged feed writes no course or run row.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Connection

from catalog.store import textsearch
from catalog.store.bulk import Bulk
from catalog.store.ingest.batch import Batch
from catalog.store.ingest.changes import CourseChanges, decide
from catalog.store.ingest.courses import insert_courses, rewrite_courses, touch_courses
from catalog.store.ingest.history import record_events, store_sources
from catalog.store.ingest.runs import upsert_runs
from catalog.store.ingest.stored import stored_courses
from catalog.store.ingest.tally import PageOutcome
from catalog.store.subject_codes import SubjectCodes
from connectors.records import CourseRecord


def upsert_courses(
    conn: Connection,
    records: Mapping[str, CourseRecord],
    *,
    feed_id: str,
    harvest_id: int,
    page_url: str,
    now: datetime,
    outcome: PageOutcome,
    codes: SubjectCodes,
) -> dict[str, str]:
    """Write the page's courses (with their ISCED ``codes``), runs, events, sources and index
    rows; key → new / updated / unchanged. ``outcome.rows_written`` counts the course and run
    rows written."""
    if not records:
        return {}
    bulk = Bulk(conn)
    batch = Batch(bulk, feed_id, harvest_id, page_url, bulk.when(now), codes)
    existing = stored_courses(bulk, feed_id, list(records))
    changes = decide(records, existing)
    ids = {key: old.id for key, old in existing.items()}
    if changes.new:
        ids.update(insert_courses(batch, changes.new))
        outcome.rows_written += len(changes.new)
    # Runs next: a course whose fields are unchanged is still "updated" when a run changed.
    known = {old.id for old in existing.values()}
    changed = upsert_runs(batch, records, ids, known=known, outcome=outcome)
    changes.runs_changed(changed, records, existing)
    outcome.rows_written += rewrite_courses(batch, changes.rewritten)
    outcome.rows_written += touch_courses(batch, changes.touched)
    record_events(batch, changes, ids, existing)
    store_sources(batch, changes, ids, records)
    _index(conn, changes, ids, codes.mapping)
    return changes.results


def _index(
    conn: Connection,
    changes: CourseChanges,
    course_ids: Mapping[str, int],
    subject_mapping: Mapping[str, str] | None,
) -> None:
    """The search index follows the course fields: only courses whose fields were written."""
    if not changes.indexed:
        return
    rows = [
        textsearch.index_row(
            course_ids[key],
            fields.title,
            fields.organization,
            fields.subjects,
            fields.short_description,
            subject_mapping=subject_mapping,
        )
        for key, fields in changes.indexed.items()
    ]
    textsearch.store_index_rows(conn, rows, replace=bool(changes.rewritten))
