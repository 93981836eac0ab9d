"""A run's progress, saved with every page: its counters, and the cursor a resumed run starts at.

Both go in the page's own transaction, so the counters and the resume cursor always describe
exactly the data that is committed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from catalog.store.bulk import Bulk
from catalog.store.ingest.tally import HarvestTally
from connectors.records import Page


def save_counters(conn: Connection, harvest_id: int, tally: HarvestTally, page: Page) -> None:
    """The run's counters so far (and the total the page declares, noted in the tally)."""
    counts = tally.counts()
    values: dict[str, Any] = {
        "pages": tally.pages,
        "received": tally.received,
        "source_count": tally.source_count,
        "new": counts["new"],
        "updated": counts["updated"],
        "unchanged": counts["unchanged"],
        "rejected": tally.rejected,
    }
    if tally.deleted_unknown:  # the column's default is 0
        values["deleted_unknown"] = tally.deleted_unknown
    tally.declare(page.declared_total)
    if tally.last_declared is not None:
        values["declared_total"] = tally.last_declared
    if tally.incremental:
        values["mode"] = "incremental"
    Bulk(conn).update("harvest_runs", tuple(values), [(*values.values(), harvest_id)])


def save_resume_cursor(
    conn: Connection, feed_id: str, harvest_id: int, page: Page, now: datetime
) -> None:
    """The cursor after ``page``: where a run that resumes this one starts."""
    bulk = Bulk(conn)
    cursor = dict(page.cursor) if page.cursor is not None else None
    bulk.update(
        "feeds",
        ("resume_cursor", "resume_run_id", "cursor_updated_at"),
        [(bulk.json(cursor), harvest_id, bulk.when(now), feed_id)],
    )
