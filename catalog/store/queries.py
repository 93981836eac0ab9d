"""Read-side views of the catalog for the CLI: feeds, harvest runs, rejected records.

Core queries on ``catalog/store/tables.py``: no ORM is imported or configured to show a table.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from catalog.store import tables
from catalog.store.db import read_only
from catalog.store.tables import utcnow


@dataclass(frozen=True, slots=True)
class FeedStatus:
    id: str
    institution: str
    connector: str
    base_url: str
    courses: int
    last_run_id: int | None
    last_run_status: str | None
    last_run_started: datetime | None
    last_success: datetime | None
    last_full: datetime | None
    consecutive_failures: int
    needs_review: bool
    review_reason: str | None
    lease: str | None
    next_run: datetime | None
    backoff_until: datetime | None


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: int
    feed_id: str
    status: str
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    complete: bool
    pages: int
    received: int
    new: int
    updated: int
    unchanged: int
    withdrawn: int
    rejected: int
    declared_total: int | None
    error: str | None
    mode: str
    resumed_from: int | None
    source_count: int
    degraded: bool
    held_withdrawals: int
    guard: str | None
    #: Pages the source vouched for (a 304, or the same bytes as last time): carried over unread.
    not_modified_pages: int = 0
    #: Deletions the source reported for courses the catalog never stored.
    deleted_unknown: int = 0

    @property
    def duration(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True, slots=True)
class RejectedInfo:
    key: str | None
    reason: str
    excerpt: str | None
    page_url: str | None


def feed_statuses(engine: Engine) -> list[FeedStatus]:
    """One line per feed in the catalog, with its course count and latest runs."""
    c, f, h = tables.courses.c, tables.feeds.c, tables.harvest_runs.c
    with read_only(engine) as conn:
        counts: dict[str, int] = {
            feed: n
            for feed, n in conn.execute(
                select(c.feed_id, func.count()).where(c.status == "active").group_by(c.feed_id)
            )
        }
        out = []
        for feed in conn.execute(select(tables.feeds).order_by(f.id)).all():
            last = conn.execute(
                select(h.id, h.status, h.started_at)
                .where(h.feed_id == feed.id)
                .order_by(h.id.desc())
                .limit(1)
            ).first()
            lease = None
            if feed.lease_holder and feed.lease_expires_at and feed.lease_expires_at > utcnow():
                lease = f"{feed.lease_host} pid {feed.lease_pid}"
            out.append(
                FeedStatus(
                    id=feed.id,
                    institution=feed.institution_id,
                    connector=feed.connector,
                    base_url=feed.base_url,
                    courses=counts.get(feed.id, 0),
                    last_run_id=last.id if last else None,
                    last_run_status=last.status if last else None,
                    last_run_started=last.started_at if last else None,
                    last_success=feed.last_success_at,
                    last_full=feed.last_full_at,
                    consecutive_failures=feed.consecutive_failures,
                    needs_review=feed.needs_review,
                    review_reason=feed.review_reason,
                    lease=lease,
                    next_run=feed.next_run_at,
                    backoff_until=feed.backoff_until,
                )
            )
        return out


_RUN_FIELDS = tuple(
    field.name for field in dataclasses.fields(RunInfo) if field.name != "not_modified_pages"
)


def _run_info(run: Any) -> RunInfo:
    """A ``harvest_runs`` row as a :class:`RunInfo`."""
    return RunInfo(**{name: getattr(run, name) for name in _RUN_FIELDS})


def recent_runs(engine: Engine, feed_id: str | None = None, limit: int = 20) -> list[RunInfo]:
    """The latest harvest runs, newest first."""
    h = tables.harvest_runs.c
    query = select(tables.harvest_runs).order_by(h.id.desc()).limit(limit)
    if feed_id is not None:
        query = query.where(h.feed_id == feed_id)
    with read_only(engine) as conn:
        return [_run_info(run) for run in conn.execute(query)]


@dataclass(frozen=True, slots=True)
class HeldInfo:
    key: str
    reason: str


def run_detail(
    engine: Engine, run_id: int
) -> tuple[RunInfo, list[RejectedInfo], list[HeldInfo]] | None:
    """One run, its rejected records and its held withdrawals; None if there is no such run."""
    h, r, w = tables.harvest_runs.c, tables.rejected_records.c, tables.held_withdrawals.c
    p = tables.harvest_pages.c
    with read_only(engine) as conn:
        run = conn.execute(select(tables.harvest_runs).where(h.id == run_id)).first()
        if run is None:
            return None
        rejected = [
            RejectedInfo(key=x.key, reason=x.reason, excerpt=x.excerpt, page_url=x.page_url)
            for x in conn.execute(
                select(r.key, r.reason, r.excerpt, r.page_url)
                .where(r.harvest_id == run_id)
                .order_by(r.id)
            )
        ]
        held = [
            HeldInfo(key=x.key, reason=x.reason)
            for x in conn.execute(select(w.key, w.reason).where(w.run_id == run_id).order_by(w.key))
        ]
        carried = conn.execute(
            select(func.count()).where(p.run_id == run_id, p.not_modified.is_(True))
        ).scalar()
        info = dataclasses.replace(_run_info(run), not_modified_pages=carried or 0)
        return info, rejected, held
