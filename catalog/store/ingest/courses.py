"""Writing a page's course rows: new ones, rewritten ones, and ones only stamped again."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from catalog.store.ingest.batch import Batch
from catalog.store.ingest.changes import NewCourse, Rewrite
from catalog.store.ingest.fields import COURSE_FIELDS
from catalog.store.ingest.stored import course_ids

#: Columns a new course row has beyond its fields, and a rewritten one (then its id).
_INSERT_COLUMNS = (
    *COURSE_FIELDS,
    "isced",
    "feed_id",
    "key",
    "status",
    "content_hash",
    "precedence",
    "first_seen_at",
    "last_seen_at",
    "updated_at",
    "first_harvest_id",
    "last_harvest_id",
    "source_url",
)
_REWRITE_COLUMNS = (
    *COURSE_FIELDS,
    "isced",
    "content_hash",
    "precedence",
    "status",
    "last_seen_at",
    "updated_at",
    "last_harvest_id",
    "source_url",
)
#: A course seen again whose fields stay: reactivated, or one of its runs changed.
_TOUCH_COLUMNS = ("precedence", "status", "last_seen_at", "updated_at", "last_harvest_id")


def insert_courses(batch: Batch, new: Sequence[NewCourse]) -> dict[str, int]:
    """Insert the new courses, active, with their ISCED codes; their ids by key."""
    bulk, stamp, harvest, codes = batch.bulk, batch.stamp, batch.harvest_id, batch.codes
    rows = [
        (
            *course.fields.stored(bulk),
            codes.stored(course.fields.subjects),
            batch.feed_id,
            course.key,
            "active",
            course.digest,
            course.precedence,
            stamp,
            stamp,
            stamp,
            harvest,
            harvest,
            batch.page_url,
        )
        for course in new
    ]
    bulk.insert("courses", _INSERT_COLUMNS, rows)
    return course_ids(bulk, batch.feed_id, [course.key for course in new])


def rewrite_courses(batch: Batch, rewritten: Sequence[Rewrite]) -> int:
    """Write every field of the rewritten courses again (their codes too), active; how many rows."""
    bulk, stamp, codes = batch.bulk, batch.stamp, batch.codes
    rows = [
        (
            *course.fields.stored(bulk),
            codes.stored(course.fields.subjects),
            course.digest,
            course.precedence,
            "active",
            stamp,
            stamp,
            batch.harvest_id,
            batch.page_url,
            course.id,
        )
        for course in rewritten
    ]
    return bulk.update("courses", _REWRITE_COLUMNS, rows)


def touch_courses(batch: Batch, touched: Mapping[int, str]) -> int:
    """Mark courses active and seen by this harvest, with their precedence; how many rows."""
    stamp = batch.stamp
    rows = [
        (precedence, "active", stamp, stamp, batch.harvest_id, course_id)
        for course_id, precedence in touched.items()
    ]
    return batch.bulk.update("courses", _TOUCH_COLUMNS, rows)
