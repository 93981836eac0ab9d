"""Reading what the catalog already holds for a page's courses: one query per table and page.

Each read is one ``SELECT … IN (…)`` over the page's keys (in chunks, ``catalog.store.bulk``), so
the cost of a page does not grow with the catalog. Rows come back as named tuples.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from catalog.store.bulk import Bulk


class StoredCourse(NamedTuple):
    """A course row as a page's upsert compares it."""

    key: str
    id: int
    content_hash: str
    precedence: str
    status: str


class StoredRun(NamedTuple):
    """A course run row as a page's upsert compares it."""

    course_id: int
    key: str
    id: int
    content_hash: str


def stored_courses(bulk: Bulk, feed_id: str, keys: Sequence[str]) -> dict[str, StoredCourse]:
    """The feed's stored courses among ``keys``, by key."""
    rows = bulk.select_in(
        "SELECT key, id, content_hash, precedence, status FROM courses "
        "WHERE feed_id = {mark} AND key IN ({in})",
        keys,
        before=(feed_id,),
    )
    return {row.key: StoredCourse._make(row) for row in rows}


def course_ids(bulk: Bulk, feed_id: str, keys: Sequence[str]) -> dict[str, int]:
    """Key → id of the feed's stored courses among ``keys`` (those a page just inserted)."""
    rows = bulk.select_in(
        "SELECT key, id FROM courses WHERE feed_id = {mark} AND key IN ({in})",
        keys,
        before=(feed_id,),
    )
    return {row.key: row.id for row in rows}


def stored_runs(bulk: Bulk, course_ids: Iterable[int]) -> dict[tuple[int, str], StoredRun]:
    """The stored runs of the given courses, by (course id, run key)."""
    rows = bulk.select_in(
        "SELECT course_id, key, id, content_hash FROM course_runs WHERE course_id IN ({in})",
        list(course_ids),
    )
    return {(row.course_id, row.key): StoredRun._make(row) for row in rows}


def never_stored(bulk: Bulk, feed_id: str, keys: Sequence[str]) -> int:
    """How many of a page's deleted ``keys`` the feed has never stored.

    Such a deletion changes nothing (the withdrawal step only withdraws stored courses), but
    the run counts it, so an admin can tell "the source deletes courses we never had" (an
    OAI-PMH repository's persistent deletions, a delta feed replaying old deletions) from
    deletions that withdrew something. A key listed on the same page counts as stored. Keys
    are counted per page (memory stays flat): a source lists a deletion once per harvest.
    """
    distinct = sorted(set(keys))
    return len(distinct) - len(course_ids(bulk, feed_id, distinct))
