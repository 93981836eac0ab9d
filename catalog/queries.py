"""Read-side views of the catalog for the CLI: feeds, harvest runs, rejected records."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from catalog.db import read_only
from catalog.models import (
    Course,
    Feed,
    HarvestPage,
    HarvestRun,
    HeldWithdrawal,
    RejectedRecord,
    utcnow,
)


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
    with read_only(engine) as conn:
        counts = dict(
            conn.execute(
                select(Course.feed_id, func.count())
                .where(Course.status == "active")
                .group_by(Course.feed_id)
            ).all()
        )
        out = []
        feeds = conn.execute(select(Feed.__table__).order_by(Feed.id)).all()
        for feed in feeds:
            last = conn.execute(
                select(HarvestRun.id, HarvestRun.status, HarvestRun.started_at)
                .where(HarvestRun.feed_id == feed.id)
                .order_by(HarvestRun.id.desc())
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


def _run_info(run: HarvestRun) -> RunInfo:
    return RunInfo(
        id=run.id,
        feed_id=run.feed_id,
        status=run.status,
        trigger=run.trigger,
        started_at=run.started_at,
        finished_at=run.finished_at,
        complete=run.complete,
        pages=run.pages,
        received=run.received,
        new=run.new,
        updated=run.updated,
        unchanged=run.unchanged,
        withdrawn=run.withdrawn,
        rejected=run.rejected,
        declared_total=run.declared_total,
        error=run.error,
        mode=run.mode,
        resumed_from=run.resumed_from,
        source_count=run.source_count,
        degraded=run.degraded,
        held_withdrawals=run.held_withdrawals,
        guard=run.guard,
        deleted_unknown=run.deleted_unknown,
    )


def recent_runs(engine: Engine, feed_id: str | None = None, limit: int = 20) -> list[RunInfo]:
    """The latest harvest runs, newest first."""
    with read_only(engine) as conn, Session(bind=conn) as session:
        query = select(HarvestRun).order_by(HarvestRun.id.desc()).limit(limit)
        if feed_id is not None:
            query = query.where(HarvestRun.feed_id == feed_id)
        return [_run_info(run) for run in session.scalars(query)]


@dataclass(frozen=True, slots=True)
class HeldInfo:
    key: str
    reason: str


def run_detail(
    engine: Engine, run_id: int
) -> tuple[RunInfo, list[RejectedInfo], list[HeldInfo]] | None:
    """One run, its rejected records and its held withdrawals; None if there is no such run."""
    with read_only(engine) as conn, Session(bind=conn) as session:
        run = session.get(HarvestRun, run_id)
        if run is None:
            return None
        rejected = [
            RejectedInfo(key=r.key, reason=r.reason, excerpt=r.excerpt, page_url=r.page_url)
            for r in session.scalars(
                select(RejectedRecord)
                .where(RejectedRecord.harvest_id == run_id)
                .order_by(RejectedRecord.id)
            )
        ]
        held = [
            HeldInfo(key=h.key, reason=h.reason)
            for h in session.scalars(
                select(HeldWithdrawal)
                .where(HeldWithdrawal.run_id == run_id)
                .order_by(HeldWithdrawal.key)
            )
        ]
        carried = session.scalar(
            select(func.count())
            .select_from(HarvestPage)
            .where(HarvestPage.run_id == run_id, HarvestPage.not_modified.is_(True))
        )
        info = dataclasses.replace(_run_info(run), not_modified_pages=carried or 0)
        return info, rejected, held
