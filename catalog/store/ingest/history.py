"""What a page leaves behind for each course it changed: an event, and the source's record.

Events (``course_events``) are the course's history: ``new``, ``updated``, ``reactivated`` (a
withdrawn course listed again), and later ``withdrawn``; the run's exact counts are read from
them at the end of the harvest. The source's record (``course_sources``) goes with every course
row written, and only those: an unchanged course keeps the record of its last change.
"""

from __future__ import annotations

from collections.abc import Mapping

from catalog.store.audit import raw_text
from catalog.store.ingest.batch import Batch
from catalog.store.ingest.changes import CourseChanges
from catalog.store.ingest.stored import StoredCourse
from connectors.records import CourseRecord


def record_events(
    batch: Batch,
    changes: CourseChanges,
    course_ids: Mapping[str, int],
    existing: Mapping[str, StoredCourse],
) -> None:
    """One event per course the page changed."""
    batch.bulk.insert(
        "course_events",
        ("course_id", "harvest_id", "event", "at"),
        [
            (course_ids[key], batch.harvest_id, _event(result, existing.get(key)), batch.stamp)
            for key, result in changes.changed()
        ],
    )


def _event(result: str, old: StoredCourse | None) -> str:
    return "reactivated" if old is not None and old.status != "active" else result


def store_sources(
    batch: Batch,
    changes: CourseChanges,
    course_ids: Mapping[str, int],
    records: Mapping[str, CourseRecord],
) -> None:
    """The source's record of every course the page changed, replacing the one before."""
    batch.bulk.upsert(
        "course_sources",
        ("course_id", "harvest_id", "raw"),
        [
            (course_ids[key], batch.harvest_id, raw_text(records[key].raw))
            for key, _result in changes.changed()
        ],
        key="course_id",
    )
