"""Applying a harvest's pages to the catalog: idempotent, batched upserts with content hashes.

One :class:`Ingestor` serves one harvest run; each page is one transaction with the feed's
cursor and the run's counters. The parts, in the order a page meets them:

* :mod:`~catalog.ingest.items` — the page's items sorted: valid records (validated against the
  columns' own limits, ``catalog.validate``), rejections, deletions;
* :mod:`~catalog.ingest.stored` — what the catalog holds for the page's courses (one query per
  table and page);
* :mod:`~catalog.ingest.changes` — per course, new, rewritten, touched or unchanged, decided
  from the content hashes of :mod:`~catalog.ingest.fields` before anything is written;
* :mod:`~catalog.ingest.courses`, :mod:`~catalog.ingest.runs` — one batched write per table,
  of the rows whose hash changed; :mod:`~catalog.ingest.history` — each changed course's event
  and source record; :mod:`~catalog.ingest.upsert` puts these together, with the search index;
* :mod:`~catalog.ingest.pages`, :mod:`~catalog.ingest.progress` — the page's row, the run's
  counters and the resume cursor;
* :mod:`~catalog.ingest.finish` — on the last page, the end of the harvest: withdrawals judged
  (or held), the run closed, the feed's cursor and health;
* :mod:`~catalog.ingest.tally` — the per-course counts across pages (a course split across
  pages counts once).
"""

from catalog.audit import raw_text
from catalog.ingest.fields import (
    COURSE_FIELDS,
    RUN_FIELDS,
    CourseFields,
    RunFields,
    content_hash,
    course_values,
    run_values,
)
from catalog.ingest.ingestor import HELD_PAGES, Ingestor
from catalog.ingest.tally import HarvestTally, PageOutcome

__all__ = [
    "COURSE_FIELDS",
    "HELD_PAGES",
    "RUN_FIELDS",
    "CourseFields",
    "HarvestTally",
    "Ingestor",
    "PageOutcome",
    "RunFields",
    "content_hash",
    "course_values",
    "raw_text",
    "run_values",
]
