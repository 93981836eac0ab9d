"""The end of a harvest, in the last page's transaction: withdrawals, the run, the feed.

First the withdrawals are judged (:mod:`catalog.store.withdrawals`): applied, or held back with the
feed flagged for review when the run looks unreliable; the run's running counts are replaced by
the exact ones. Then the run is closed as succeeded and complete, the feed gets the cursor for
its next harvest and its health (last success, failures reset, review flag), and the page
evidence of older chains is dropped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from catalog.derive.policy import HarvestPolicy
from catalog.store import tables, withdrawals
from catalog.store.bulk import Bulk
from catalog.store.ingest.tally import HarvestTally
from connectors.records import Page


def judge_withdrawals(
    conn: Connection,
    *,
    feed_id: str,
    harvest_id: int,
    tally: HarvestTally,
    policy: HarvestPolicy,
    now: datetime,
) -> withdrawals.Decision:
    """Decide and apply (or hold) the chain's withdrawals; the exact counts into ``tally``."""
    runs = tables.harvest_runs.c
    chain_id = (
        conn.execute(select(runs.chain_id).where(runs.id == harvest_id)).scalar() or harvest_id
    )
    decision = withdrawals.decide(
        conn, feed_id, chain_id, tally.last_declared, policy, declared_seen=tally.declared
    )
    settle_counts(conn, harvest_id, tally, decision.seen_in_last_run)
    tally.withdrawn, tally.held = withdrawals.apply(conn, feed_id, harvest_id, decision, now)
    return decision


def settle_counts(conn: Connection, harvest_id: int, tally: HarvestTally, seen: int) -> None:
    """Exact new / updated / unchanged of this run, from its course events and pages."""
    ev = tables.course_events.c
    mine = ev.harvest_id == harvest_id
    created = select(ev.course_id).where(mine, ev.event == "new")
    new = conn.execute(select(func.count()).select_from(created.subquery())).scalar_one()
    updated = conn.execute(
        select(func.count(func.distinct(ev.course_id))).where(
            mine, ev.event.in_(("updated", "reactivated")), ev.course_id.not_in(created)
        )
    ).scalar_one()
    unchanged = max(seen - new - updated, 0)
    tally.settle(new, updated, unchanged)
    Bulk(conn).update(
        "harvest_runs", ("new", "updated", "unchanged"), [(new, updated, unchanged, harvest_id)]
    )


def close_harvest(
    conn: Connection,
    *,
    feed_id: str,
    harvest_id: int,
    page: Page,
    decision: withdrawals.Decision,
    tally: HarvestTally,
    now: datetime,
) -> None:
    """Close the run and bring the feed up to date after the withdrawals were judged."""
    held = tally.held
    runs = tables.harvest_runs
    conn.execute(
        update(runs)
        .where(runs.c.id == harvest_id)
        .values(
            status="succeeded",
            complete=True,
            finished_at=now,
            withdrawn=tally.withdrawn,
            held_withdrawals=held,
            degraded=decision.degraded,
            guard="; ".join(decision.reasons) if held else None,
        )
    )
    feed_values: dict[str, Any] = {
        "cursor": dict(page.cursor) if page.cursor is not None else None,
        "cursor_updated_at": now,
        "resume_cursor": None,
        "resume_run_id": None,
        "last_success_at": now,
        "consecutive_failures": 0,
    }
    if decision.full:
        feed_values["last_full_at"] = now
    feed_values.update(_review(conn, feed_id, harvest_id, decision, held))
    feeds = tables.feeds
    conn.execute(update(feeds).where(feeds.c.id == feed_id).values(**feed_values))
    withdrawals.forget_old_pages(conn, feed_id, decision.chain_id)


def _review(
    conn: Connection, feed_id: str, harvest_id: int, decision: withdrawals.Decision, held: int
) -> dict[str, Any]:
    """The feed's review flag after this run: raised when it held withdrawals, cleared (with
    the older holds) by a complete full harvest that passed every guard."""
    feeds = tables.feeds.c
    if held:
        reasons = "; ".join(decision.reasons)
        return {
            "needs_review": True,
            "review_reason": f"run {harvest_id} held {held} withdrawals: {reasons}",
        }
    if not decision.full:
        return {}
    if not conn.execute(select(feeds.needs_review).where(feeds.id == feed_id)).scalar():
        return {}
    held_t = tables.held_withdrawals
    conn.execute(delete(held_t).where(held_t.c.feed_id == feed_id))
    return {"needs_review": False, "review_reason": None}
