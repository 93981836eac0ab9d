"""Sorting a page's items into valid records, rejections and deletions; storing the rejections.

Records are validated first (``catalog.store.validate``: the columns' own limits, on every backend),
so what reaches the database fits it; what does not is stored as rejected with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import Connection, insert

from catalog.store import tables
from catalog.store.audit import REASON_CHARS, audit_key, audit_text, excerpt
from catalog.store.validate import (
    PRECEDENCE_LIMIT,
    InvalidRecord,
    key_problem,
    stored_precedence,
    validate,
)
from connectors.records import CourseRecord, Page, Rejected, Withdrawn


@dataclass(slots=True)
class PageItems:
    """A page's items, sorted."""

    #: The valid records by key (duplicates collapse to the last).
    records: dict[str, CourseRecord] = field(default_factory=dict)
    #: The connector's rejections and validation's.
    rejected: list[Rejected] = field(default_factory=list)
    #: The keys the source deletes.
    withdrawn: list[str] = field(default_factory=list)


def sort_items(page: Page) -> PageItems:
    """The page's valid records, its rejected items and the keys it withdraws."""
    items = PageItems()
    for item in page.items:
        if isinstance(item, CourseRecord):
            try:
                validate(item)
            except InvalidRecord as exc:
                items.rejected.append(Rejected(reason=exc.reason, key=item.key, raw=item.raw))
                continue
            items.records[item.key] = (
                item
                if len(item.precedence) <= PRECEDENCE_LIMIT
                else replace(item, precedence=stored_precedence(item.precedence))
            )
        elif isinstance(item, Withdrawn):
            problem = key_problem(item.key)
            if problem is None:
                items.withdrawn.append(item.key)
            else:  # no stored course has such a key, and it must not reach a query
                items.rejected.append(Rejected(reason=f"deletion: {problem}", key=item.key))
        else:
            items.rejected.append(item)
    return items


def store_rejected(
    conn: Connection,
    harvest_id: int,
    rejected: Sequence[Rejected],
    page_url: str,
    now: datetime,
) -> None:
    """Rejected items with their reason and excerpt, escaped and cut to fit (catalog.store.audit):
    storing a rejection must never fail the page."""
    conn.execute(
        insert(tables.rejected_records),
        [
            {
                "harvest_id": harvest_id,
                "key": audit_key(r.key),
                "reason": audit_text(r.reason, REASON_CHARS) or "(no reason given)",
                "excerpt": excerpt(r.raw),
                "page_url": page_url,
                "created_at": now,
            }
            for r in rejected
        ],
    )
