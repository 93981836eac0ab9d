"""Deciding withdrawals at the end of a harvest — and holding them back when they look wrong.

A course is withdrawn (kept, marked, reactivated if it returns) only when the source deletes it
explicitly, or when it is absent from a *complete full* harvest. Even then, every withdrawal of
the run is held back — and the feed flagged for review — when the run looks unreliable
(shared/RELIABILITY.md C3–C5, C7, C10):

* the feed returned nothing while it had active courses;
* the count received differs from the count the source declared;
* the source declared different totals while the harvest read it: offset paging over a listing
  that lost an item skips the item after it, which would look absent (C7);
* the run would withdraw more than ``max_withdraw_fraction`` of the active courses;
* more than ``max_rejected_fraction`` of the records were rejected (the run is *degraded*).

Updates and new courses are applied either way; only withdrawals wait. A held course that
reappears under another key (the source changed its id scheme) is held as *renamed*, which
keeps it out of exports and the exchange until the admin decides (:mod:`catalog.store.renames`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Any, NamedTuple

from sqlalchemy import Connection, ScalarSelect, delete, func, insert, select, update

from catalog.derive.policy import HarvestPolicy
from catalog.store import renames, tables
from catalog.store.bulk import AnyRow, Bulk
from catalog.store.seen import SeenKeys

courses_t, runs_t, pages_t = tables.courses, tables.harvest_runs, tables.harvest_pages


class Candidate(NamedTuple):
    """A course the run would withdraw, and why (``deleted`` by the source, or ``absent``)."""

    id: int
    key: str
    reason: str


class Applied(NamedTuple):
    """What :func:`apply` did: courses withdrawn, or withdrawals held back."""

    withdrawn: int
    held: int


@dataclass
class Decision:
    """What the end of a harvest did about withdrawals."""

    #: The harvest chain judged (a run and the runs it resumed).
    chain_id: int = 0
    candidates: list[Candidate] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    degraded: bool = False
    full: bool = False
    #: Distinct course keys the chain's last run saw (for its exact counts).
    seen_in_last_run: int = 0
    #: Held courses that reappear under another key: id → that key (catalog.store.renames).
    renamed: dict[int, str] = field(default_factory=dict)

    @property
    def held(self) -> bool:
        return bool(self.candidates and self.reasons)


def decide(
    conn: Connection,
    feed_id: str,
    chain_id: int,
    declared_total: int | None,
    policy: HarvestPolicy,
    *,
    declared_seen: Sequence[int] = (),
) -> Decision:
    """Gather the chain's evidence and decide; nothing is written here.

    ``declared_total`` is the total the source declared last; ``declared_seen`` every total the
    chain's last run saw declared (its earlier runs recorded the last they saw).
    """
    r = runs_t.c
    run_rows = conn.execute(
        select(r.id, r.mode, r.received, r.rejected, r.source_count, r.declared_total)
        .where(r.chain_id == chain_id)
        .order_by(r.id)
    ).all()
    received = sum(r.received for r in run_rows)
    rejected = sum(r.rejected for r in run_rows)
    decision = Decision(chain_id=chain_id, full=all(r.mode == "full" for r in run_rows))
    decision.degraded = received > 0 and rejected / received > policy.max_rejected_fraction
    seen = SeenKeys(conn)
    _find_candidates(conn, feed_id, [r.id for r in run_rows], seen, decision)
    if decision.candidates:
        active_count = conn.execute(
            select(func.count())
            .select_from(courses_t)
            .where(courses_t.c.feed_id == feed_id, courses_t.c.status == "active")
        ).scalar_one()
        decision.reasons = _reasons(
            decision,
            run_rows,
            active_count,
            declared_total=declared_total,
            declared_seen=declared_seen,
            policy=policy,
        )
    if decision.held:  # do the held courses reappear under other keys? (catalog.store.renames)
        held = renames.held_courses(conn, [c.id for c in decision.candidates])
        decision.renamed = renames.twins(held, seen.present(feed_id))
    seen.clear()
    return decision


def _find_candidates(
    conn: Connection, feed_id: str, run_ids: list[int], seen: SeenKeys, decision: Decision
) -> None:
    """The courses the chain's pages delete, or (in a full harvest) never list."""
    # The keys the chain saw go to a temporary table, page by page, and absence is one
    # anti-join: memory stays flat however large the catalog (the bench at 100,000 courses).
    # The run that ends the chain goes first, so the table also tells how many courses it saw.
    deleted: set[str] = set()
    last_run = max(run_ids, default=None)
    for ids in ([last_run], [i for i in run_ids if i != last_run]):
        for keys, withdrawn in conn.execute(
            select(pages_t.c["keys"], pages_t.c.withdrawn_keys)
            .where(pages_t.c.run_id.in_(ids))
            .execution_options(yield_per=64)
        ):
            seen.add(keys or ())
            deleted.update(withdrawn or ())
        if ids == [last_run]:
            decision.seen_in_last_run = seen.count()
    re_listed = seen.among(sorted(deleted))
    gone = sorted(deleted - re_listed)  # deleted and re-listed in the same harvest: it stays
    rows = Bulk(conn).select_in(
        "SELECT key, id FROM courses WHERE feed_id = {mark} AND status = 'active' "
        "AND key IN ({in})",
        gone,
        before=(feed_id,),
    )
    active = {row.key: row.id for row in rows}
    for key in gone:
        if key in active:
            decision.candidates.append(Candidate(active[key], key, "deleted"))
    if decision.full:
        for course in sorted(seen.absent(feed_id), key=attrgetter("key")):
            if course.key not in deleted:
                decision.candidates.append(Candidate(course.id, course.key, "absent"))


def _reasons(
    decision: Decision,
    run_rows: Sequence[AnyRow],
    active_count: int,
    *,
    declared_total: int | None,
    declared_seen: Sequence[int],
    policy: HarvestPolicy,
) -> list[str]:
    """Why the run's withdrawals look wrong (nothing: they are applied)."""
    reasons = []
    received = sum(r.received for r in run_rows)
    source_count = sum(r.source_count for r in run_rows)
    if received == 0 and active_count:
        reasons.append(f"the feed returned nothing while it had {active_count} active courses")
    totals = _declared_totals(run_rows, declared_seen)
    if len(totals) > 1:
        # Offset paging over a listing that shrank or grew skips or repeats items (C6, C7).
        reasons.append(
            f"the source declared {' then '.join(map(str, totals))} items while the harvest "
            "read it: the listing changed under it, so an absent course may only have been "
            "skipped (the next harvest judges again)"
        )
    elif declared_total is not None and declared_total != source_count:
        reasons.append(
            f"the source declared {declared_total} items but {source_count} were received"
        )
    if len(decision.candidates) > policy.max_withdraw_fraction * active_count:
        reasons.append(
            f"{len(decision.candidates)} of {active_count} active courses would be withdrawn, "
            f"more than max_withdraw_fraction = {policy.max_withdraw_fraction:g}"
        )
    if decision.degraded:
        rejected = sum(r.rejected for r in run_rows)
        reasons.append(
            f"{rejected} of {received} records were rejected, more than max_rejected_fraction "
            f"= {policy.max_rejected_fraction:g}"
        )
    return reasons


def _declared_totals(run_rows: Sequence[AnyRow], declared_seen: Sequence[int]) -> list[int]:
    """The distinct totals the chain's runs declared, in the order they were declared: the
    last each earlier run saw, then every one of the last run (``declared_seen``)."""
    *earlier, last = run_rows
    seen = [r.declared_total for r in earlier] + list(declared_seen or [last.declared_total])
    return [t for t in dict.fromkeys(seen) if t is not None]


def apply(
    conn: Connection, feed_id: str, run_id: int, decision: Decision, now: datetime
) -> Applied:
    """Withdraw, or hold."""
    if not decision.candidates:
        return Applied(0, 0)
    if decision.held:
        conn.execute(
            insert(tables.held_withdrawals),
            [
                {
                    "run_id": run_id,
                    "feed_id": feed_id,
                    "course_id": c.id,
                    "key": c.key,
                    "reason": renames.REASON if c.id in decision.renamed else c.reason,
                    "created_at": now,
                }
                for c in decision.candidates
            ],
        )
        return Applied(withdrawn=0, held=len(decision.candidates))
    return Applied(
        withdrawn=withdraw(conn, [c.id for c in decision.candidates], run_id, now), held=0
    )


def withdraw(conn: Connection, course_ids: list[int], run_id: int | None, now: datetime) -> int:
    """Mark courses withdrawn (never delete them) and record the event."""
    count = 0
    for i in range(0, len(course_ids), 500):
        chunk = course_ids[i : i + 500]
        result = conn.execute(
            update(courses_t)
            .where(courses_t.c.id.in_(chunk), courses_t.c.status == "active")
            .values(status="withdrawn", updated_at=now, last_harvest_id=run_id)
        )
        count += result.rowcount or 0
    if course_ids:
        conn.execute(
            insert(tables.course_events),
            [
                {"course_id": cid, "harvest_id": run_id, "event": "withdrawn", "at": now}
                for cid in course_ids
            ],
        )
    return count


def accept_held(conn: Connection, feed_id: str, now: datetime) -> tuple[int, int | None]:
    """Apply the held withdrawals of the feed's latest holding run; returns (withdrawn, run id)."""
    held_t = tables.held_withdrawals
    run_id = conn.execute(
        select(held_t.c.run_id).where(held_t.c.feed_id == feed_id).order_by(held_t.c.run_id.desc())
    ).scalar()
    if run_id is None:
        return 0, None
    ids = list(conn.execute(select(held_t.c.course_id).where(held_t.c.run_id == run_id)).scalars())
    count = withdraw(conn, ids, run_id, now)
    conn.execute(delete(held_t).where(held_t.c.feed_id == feed_id))
    conn.execute(
        update(tables.feeds)
        .where(tables.feeds.c.id == feed_id)
        .values(needs_review=False, review_reason=None)
    )
    return count, run_id


def last_complete_chain(feed_id: str) -> ScalarSelect[Any]:
    """The chain of the feed's last complete harvest (a scalar subquery; NULL when none).

    Only its pages vouch for what a ``304`` or an unchanged digest stands for: a failed or
    unfinished harvest's validators are never sent, and its pages never carried over, until a
    resumed run completes it (shared/RELIABILITY.md N12).
    """
    return (
        select(func.max(runs_t.c.chain_id))
        .where(
            runs_t.c.feed_id == feed_id,
            runs_t.c.status == "succeeded",
            runs_t.c.complete.is_(True),
        )
        .scalar_subquery()
    )


def forget_old_pages(conn: Connection, feed_id: str, chain_id: int) -> None:
    """Page evidence of finished chains is no longer needed."""
    old_runs = select(runs_t.c.id).where(runs_t.c.feed_id == feed_id, runs_t.c.chain_id < chain_id)
    conn.execute(delete(pages_t).where(pages_t.c.run_id.in_(old_runs)))
