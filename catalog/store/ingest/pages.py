"""The run's page rows: what each page listed, and what the last harvest saw on a URL.

A ``harvest_pages`` row keeps a page's course keys, its deletions, its count, its validators
(ETag, Last-Modified, digest) and the cursor after it. The end of the harvest reads the keys to
find absent courses (:mod:`catalog.store.withdrawals`); a later harvest that gets a ``304`` (or the
same bytes) for the URL carries that row's keys and counts over instead of re-reading the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, func, select

from catalog.store import tables, withdrawals
from catalog.store.audit import audit_text
from catalog.store.bulk import CHUNK, Bulk
from catalog.store.validate import column_limit
from connectors.records import Page

_pages = tables.harvest_pages.c
_URL_CHARS = column_limit(_pages.url)
_ETAG_CHARS = column_limit(_pages.etag)
_LAST_MODIFIED_CHARS = column_limit(_pages.last_modified)
_DIGEST_CHARS = column_limit(_pages.digest)
_COLUMNS = (
    "run_id",
    "number",
    "url",
    "keys",
    "withdrawn_keys",
    "source_count",
    "etag",
    "last_modified",
    "digest",
    "next_cursor",
    "not_modified",
    "created_at",
)


class PreviousPage(NamedTuple):
    """A URL's page as the feed's last complete harvest read it, with its run's declared total."""

    url: str
    keys: list[str] | None
    source_count: int
    etag: str | None
    last_modified: str | None
    digest: str | None
    declared_total: int | None


class Validators(NamedTuple):
    """What vouches for a page's content the next time its URL is asked for."""

    etag: str | None = None
    last_modified: str | None = None
    digest: str | None = None

    @classmethod
    def of(cls, page: Page, previous: PreviousPage | None = None) -> Validators:
        """The page's own validators, each falling back to the previous harvest's."""
        given: Mapping[str, str] = page.validators or {}
        if previous is None:
            return cls(given.get("etag"), given.get("last_modified"), given.get("digest"))
        return cls(
            given.get("etag") or previous.etag,
            given.get("last_modified") or previous.last_modified,
            given.get("digest") or previous.digest,
        )


def page_url(page: Page) -> str:
    """The page's URL as its row stores it."""
    return page.url[:_URL_CHARS]


def record_page(
    conn: Connection,
    harvest_id: int,
    page: Page,
    now: datetime,
    *,
    keys: list[str],
    withdrawn: list[str],
    source_count: int,
    validators: Validators,
    not_modified: bool = False,
) -> None:
    """Store the page's row (the cursor after it only when it is not the last)."""
    bulk = Bulk(conn)
    cursor = None if page.last or page.cursor is None else dict(page.cursor)
    etag, last_modified, digest = validators.etag, validators.last_modified, validators.digest
    row = (
        harvest_id,
        page.number,
        page_url(page),
        bulk.json(keys),
        bulk.json(withdrawn),
        source_count,
        audit_text(etag, _ETAG_CHARS) if etag else None,
        audit_text(last_modified, _LAST_MODIFIED_CHARS) if last_modified else None,
        digest[:_DIGEST_CHARS] if digest else None,
        bulk.json(cursor),
        not_modified,
        bulk.when(now),
    )
    bulk.insert("harvest_pages", _COLUMNS, [row])


def previous_pages(conn: Connection, feed_id: str, urls: Sequence[str]) -> dict[str, PreviousPage]:
    """URL → that page as the feed's last complete harvest read it, with the total its run
    declared: exactly what the validators the connector was given vouch for (they come from
    the same harvest, :func:`catalog.store.harvests.plan`), never a failed run's page."""
    p, r = _pages, tables.harvest_runs.c
    chain = withdrawals.last_complete_chain(feed_id)
    found: dict[str, PreviousPage] = {}
    for start in range(0, len(urls), CHUNK):
        newest = (
            select(func.max(p.id))
            .join(tables.harvest_runs, r.id == p.run_id)
            .where(r.chain_id == chain, p.url.in_(urls[start : start + CHUNK]))
            .group_by(p.url)
        )
        rows = conn.execute(
            select(
                p.url,
                p["keys"],
                p.source_count,
                p.etag,
                p.last_modified,
                p.digest,
                r.declared_total,
            )
            .join(tables.harvest_runs, r.id == p.run_id)
            .where(p.id.in_(newest))
        )
        found.update({row.url: PreviousPage._make(row) for row in rows})
    return found
