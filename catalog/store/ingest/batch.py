"""Where a page's course writes go, and what every row they write is stamped with."""

from __future__ import annotations

from dataclasses import dataclass

from catalog.store.bulk import Bulk, Stamp
from catalog.store.subject_codes import SubjectCodes


@dataclass(frozen=True, slots=True)
class Batch:
    """One page's writes of courses, runs, events and sources (or one course's, in a savepoint).

    Rows are plain tuples through :class:`~catalog.store.bulk.Bulk`: per-row Core statements cost
    more than the database.
    """

    bulk: Bulk
    feed_id: str
    harvest_id: int
    #: The page's URL, cut to its column: the source URL of every course row written.
    page_url: str
    #: The page's time as the timestamp columns store it (``Bulk.when``).
    stamp: Stamp
    #: The ISCED codes of the courses written (``courses.isced``), one mapping per subject list.
    codes: SubjectCodes
