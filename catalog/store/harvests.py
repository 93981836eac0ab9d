"""Bookkeeping around harvests: registering institutions and feeds, opening and closing runs.

The config is the source of truth for institutions and feeds; :func:`register` mirrors it into
the catalog (ids never change meaning: a feed that leaves the config keeps its courses and runs,
it is simply no longer harvested).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, or_, select, update

from catalog.derive.policy import HarvestPolicy
from catalog.errors import UnknownFeedError
from catalog.store import tables, withdrawals
from catalog.store.db import read_only, serialize
from catalog.store.leases import Lease, LeaseLost, close_abandoned_runs, renew_in
from catalog.store.tables import utcnow
from connectors.feedlog import FeedLog

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InstitutionInfo:
    id: str
    names: dict[str, str]
    country: str | None
    timezone: str
    #: The language its students read (vi, zh, en).
    language: str | None = None


@dataclass(frozen=True, slots=True)
class FeedInfo:
    id: str
    institution: str
    connector: str
    base_url: str


def register(
    engine: Engine, institutions: Iterable[InstitutionInfo], feeds: Iterable[FeedInfo]
) -> None:
    """Insert or update institutions and feeds as the config describes them."""
    inst_t, feed_t = tables.institutions, tables.feeds
    with engine.begin() as conn:
        serialize(conn, "moocx:register")  # replicas starting together read, then insert
        known_inst = {row.id: row for row in conn.execute(select(inst_t))}
        for inst in institutions:
            values: dict[str, Any] = {
                "names": inst.names,
                "country": inst.country,
                "timezone": inst.timezone,
                "language": inst.language,
            }
            old = known_inst.get(inst.id)
            if old is None:
                conn.execute(insert(inst_t).values(id=inst.id, **values))
            elif (old.names, old.country, old.timezone, old.language) != tuple(values.values()):
                conn.execute(update(inst_t).where(inst_t.c.id == inst.id).values(**values))
        known_feeds = {row.id: row for row in conn.execute(select(feed_t))}
        for feed in feeds:
            old = known_feeds.get(feed.id)
            if old is None:
                conn.execute(
                    insert(feed_t).values(
                        id=feed.id,
                        institution_id=feed.institution,
                        connector=feed.connector,
                        base_url=feed.base_url,
                        created_at=utcnow(),
                    )
                )
            elif (old.institution_id, old.connector, old.base_url) != (
                feed.institution,
                feed.connector,
                feed.base_url,
            ):
                changes: dict[str, Any] = {
                    "institution_id": feed.institution,
                    "connector": feed.connector,
                    "base_url": feed.base_url,
                }
                if (old.connector, old.base_url) != (feed.connector, feed.base_url):
                    # A cursor belongs to one endpoint and format; it means nothing for another.
                    changes.update(cursor=None, cursor_updated_at=None)
                conn.execute(update(feed_t).where(feed_t.c.id == feed.id).values(**changes))


@dataclass(frozen=True, slots=True)
class Plan:
    """What the next harvest of a feed will be."""

    #: "resume" (continue an unfinished harvest), "full" or "incremental".
    kind: str
    #: The cursor to hand to the connector: only what the connector itself put there.
    cursor: dict[str, Any] | None
    #: For a resume: the chain the unfinished harvest belongs to, and its last run.
    chain_id: int | None = None
    resumed_from: int | None = None
    why: str = ""
    #: What the last complete harvest read, by page URL (validators and the cursor after the
    #: page), handed to the connector beside the cursor: unchanged pages are carried over.
    known_pages: dict[str, dict[str, Any]] | None = None


def plan(
    engine: Engine,
    feed_id: str,
    policy: HarvestPolicy,
    *,
    force_full: bool = False,
    ignore_resume: bool = False,
) -> Plan:
    """Decide how to harvest ``feed_id`` now: resume, incremental, or a full sweep."""
    now = utcnow()
    c = tables.feeds.c
    with read_only(engine) as conn:
        feed = conn.execute(select(tables.feeds).where(c.id == feed_id)).first()
        if feed is None:
            raise UnknownFeedError(f"feed {feed_id!r} is not in the catalog")
        last = None
        if not ignore_resume and feed.resume_cursor is not None and feed.resume_run_id is not None:
            r = tables.harvest_runs.c
            last = conn.execute(
                select(r.id, r.chain_id, r.started_at).where(r.id == feed.resume_run_id)
            ).first()
        validators = _validators(conn, feed_id)
    if force_full:
        return Plan("full", None, why="a full harvest was asked for (--full)")
    if last is not None:
        chain_start = _chain_start(engine, last.chain_id or last.id)
        if now - chain_start <= policy.resume_max_age:
            return Plan(
                "resume",
                feed.resume_cursor,
                chain_id=last.chain_id or last.id,
                resumed_from=last.id,
                why=f"resuming run {last.id}, which stopped before the end of the feed",
                known_pages=validators or None,
            )
        FeedLog(log, feed_id).info("unfinished harvest from %s is too old to resume", chain_start)
    if feed.last_full_at is None or now - feed.last_full_at >= policy.full_sync_every:
        return Plan("full", None, why="a full sweep is due (full_sync_every)")
    if feed.cursor is not None:
        return Plan(
            "incremental",
            feed.cursor,
            why="changes since the last harvest",
            known_pages=validators or None,
        )
    if validators:
        # Each page is asked for with If-None-Match / If-Modified-Since; a 304 stands for the
        # page the last harvest read, so the harvest still sees the whole listing.
        return Plan(
            "conditional",
            None,
            why="conditional requests: unchanged pages answer 304",
            known_pages=validators,
        )
    return Plan("full", None, why="no incremental state")


def _validators(conn: Any, feed_id: str) -> dict[str, dict[str, Any]]:
    """URL → validators and next cursor, from the pages of the feed's last complete harvest.

    A page that an unfinished harvest read again since is left out: the catalog now holds what
    that harvest applied from it, which the old validators do not vouch for, so it is asked for
    unconditionally (shared/RELIABILITY.md N12).
    """
    r, p = tables.harvest_runs.c, tables.harvest_pages.c
    chain = conn.execute(select(withdrawals.last_complete_chain(feed_id))).scalar()
    if chain is None:
        return {}
    later_page, later_run = tables.harvest_pages.alias("later_page"), tables.harvest_runs.alias()
    read_again = (
        select(later_page.c.url)
        .join(later_run, later_run.c.id == later_page.c.run_id)
        .where(later_run.c.feed_id == feed_id, later_run.c.chain_id > chain)
    )
    rows = conn.execute(
        select(p.url, p.etag, p.last_modified, p.digest, p.next_cursor)
        .join(tables.harvest_runs, tables.harvest_runs.c.id == p.run_id)
        .where(
            r.chain_id == chain,
            or_(p.etag.is_not(None), p.last_modified.is_not(None), p.digest.is_not(None)),
            p.url.not_in(read_again),
        )
    )
    return {
        row.url: {
            key: value
            for key, value in (
                ("etag", row.etag),
                ("last_modified", row.last_modified),
                ("digest", row.digest),
            )
            if value
        }
        | {"next": row.next_cursor}
        for row in rows
    }


def _chain_start(engine: Engine, chain_id: int) -> datetime:
    r = tables.harvest_runs.c
    with read_only(engine) as conn:
        started = conn.execute(select(r.started_at).where(r.id == chain_id)).scalar()
    return started or utcnow()


def prepare_run(engine: Engine, lease: Lease, *, accept_withdrawals: bool = False) -> int:
    """What a sync does first under the feed's lease: close the runs that died mid-harvest,
    and apply the withdrawals a guard held back when asked to; how many it applied."""
    feed_id = lease.feed_id
    abandoned = close_abandoned_runs(engine, lease)
    if abandoned:
        FeedLog(log, feed_id).warning("%d earlier run(s) had died mid-harvest", abandoned)
    if not accept_withdrawals:
        return 0
    accepted, held_run = accept_held_withdrawals(engine, lease)
    noun = "withdrawal" if accepted == 1 else "withdrawals"
    FeedLog(log, feed_id).warning("applied %d %s held by run %s", accepted, noun, held_run)
    return accepted


def start_run(
    engine: Engine, feed_id: str, *, trigger: str = "cli", plan: Plan | None = None
) -> int:
    """Open a harvest run for ``feed_id`` and return its id."""
    plan = plan or Plan("full", None)
    r = tables.harvest_runs
    with engine.begin() as conn:
        f = tables.feeds.c
        if conn.execute(select(f.id).where(f.id == feed_id)).first() is None:
            raise UnknownFeedError(f"feed {feed_id!r} is not in the catalog")
        run_id = int(
            conn.execute(
                insert(r)
                .values(
                    feed_id=feed_id,
                    status="running",
                    started_at=utcnow(),
                    trigger=trigger,
                    mode="incremental" if plan.kind == "incremental" else "full",
                    chain_id=plan.chain_id,
                    resumed_from=plan.resumed_from,
                )
                .returning(r.c.id)
            ).scalar_one()
        )
        if plan.chain_id is None:
            conn.execute(update(r).where(r.c.id == run_id).values(chain_id=run_id))
        if plan.kind == "resume":
            # The chain's mode is the mode of the harvest being resumed.
            mode = conn.execute(select(r.c.mode).where(r.c.id == plan.resumed_from)).scalar()
            conn.execute(update(r).where(r.c.id == run_id).values(mode=mode or "full"))
        return run_id


def restart_chain(
    engine: Engine, run_id: int, feed_id: str, plan: Plan, lease: Lease | None = None
) -> None:
    """The resume cursor no longer works: this run starts a fresh chain with ``plan`` (fenced
    by ``lease``: it clears the feed's resume cursor)."""
    r = tables.harvest_runs
    with engine.begin() as conn:
        if lease is not None:
            renew_in(conn, lease)
        conn.execute(
            update(r)
            .where(r.c.id == run_id)
            .values(
                chain_id=run_id,
                resumed_from=None,
                mode="incremental" if plan.kind == "incremental" else "full",
            )
        )
        conn.execute(
            update(tables.feeds)
            .where(tables.feeds.c.id == feed_id)
            .values(resume_cursor=None, resume_run_id=None)
        )


def finish_run(
    engine: Engine,
    run_id: int,
    *,
    status: str,
    error: str | None = None,
    finished_at: datetime | None = None,
    lease: Lease | None = None,
) -> tuple[str, str | None]:
    """Close a harvest run that did not complete (a completed one is closed with its last page);
    returns the status and error recorded.

    A failed run counts against the feed's health; an interrupted one does not. With ``lease``,
    the end is fenced like every page: a sync whose lease another process took meanwhile may
    no longer touch the feed, so its run is recorded as interrupted by that loss — even when
    the successor already closed it as abandoned — and nothing counts against the feed.
    """
    r = tables.harvest_runs
    with engine.begin() as conn:
        still_open = [r.c.status == "running"]
        if lease is not None:
            try:
                renew_in(conn, lease)
            except LeaseLost as lost:
                if error is not None and error != str(lost):
                    error = f"{lost} (it had then ended with: {error})"
                status, error = "interrupted", str(lost) if error is None else error
                still_open = [r.c.status.in_(("running", "interrupted"))]
        values: dict[str, Any] = {"status": status, "finished_at": finished_at or utcnow()}
        if error is not None:
            values["error"] = error.replace("\x00", "")[:4000]
        conn.execute(update(r).where(r.c.id == run_id, *still_open).values(**values))
        if status == "failed":
            feed_id = conn.execute(select(r.c.feed_id).where(r.c.id == run_id)).scalar_one()
            f = tables.feeds
            conn.execute(
                update(f)
                .where(f.c.id == feed_id)
                .values(consecutive_failures=f.c.consecutive_failures + 1)
            )
    return status, error


def accept_held_withdrawals(engine: Engine, lease: Lease) -> tuple[int, int | None]:
    """Apply the withdrawals a guard held back for the leased feed; (count, run id)."""
    with engine.begin() as conn:
        renew_in(conn, lease)
        return withdrawals.accept_held(conn, lease.feed_id, utcnow())


def record_schedule(
    engine: Engine, feed_id: str, next_run_at: datetime | None, backoff_until: datetime | None
) -> None:
    """What the sync service plans for the feed, for ``moocx feeds`` to show."""
    f = tables.feeds
    with engine.begin() as conn:
        conn.execute(
            update(f)
            .where(f.c.id == feed_id)
            .values(next_run_at=next_run_at, backoff_until=backoff_until)
        )


def consecutive_failures(engine: Engine, feed_id: str) -> int:
    with read_only(engine) as conn:
        f = tables.feeds.c
        value = conn.execute(select(f.consecutive_failures).where(f.id == feed_id)).scalar()
    return int(value or 0)
