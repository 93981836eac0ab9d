"""Applying a harvest's pages to the catalog: idempotent, batched upserts with content hashes.

One :class:`Ingestor` serves one harvest run; each page is one transaction with the feed's
cursor and the run's counters. The parts, in the order a page meets them:

* :mod:`~catalog.store.ingest.items` — the page's items sorted: valid records (validated against the
  columns' own limits, ``catalog.store.validate``), rejections, deletions;
* :mod:`~catalog.store.ingest.stored` — what the catalog holds for the page's courses (one query per
  table and page);
* :mod:`~catalog.store.ingest.changes` — per course, new, rewritten, touched or unchanged, decided
  from the content hashes of :mod:`~catalog.store.ingest.fields` before anything is written;
* :mod:`~catalog.store.ingest.courses`, :mod:`~catalog.store.ingest.runs` — one batched write per
  table, of the rows whose hash changed (each course row with its ISCED codes, decided once per
  distinct subject list: ``catalog.store.subject_codes``, made current for the config's mapping
  before the harvest's first page); :mod:`~catalog.store.ingest.history` — each changed
  course's event and source record; :mod:`~catalog.store.ingest.upsert` puts these together, with
  the search index;
* :mod:`~catalog.store.ingest.pages`, :mod:`~catalog.store.ingest.progress` — the page's row, the
  run's counters and the resume cursor;
* :mod:`~catalog.store.ingest.finish` — on the last page, the end of the harvest: withdrawals judged
  (or held), the run closed, the feed's cursor and health;
* :mod:`~catalog.store.ingest.tally` — the per-course counts across pages (a course split across
  pages counts once).
"""

from catalog.store.audit import raw_text
from catalog.store.ingest.fields import (
    COURSE_FIELDS,
    RUN_FIELDS,
    CourseFields,
    RunFields,
    content_hash,
    course_values,
    run_values,
)
from catalog.store.ingest.ingestor import HELD_PAGES, Ingestor
from catalog.store.ingest.tally import HarvestTally, PageOutcome

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
