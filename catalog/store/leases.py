"""One syncer per feed: a lease row in the catalog database, portable across backends.

A lease is the feed row's ``lease_*`` columns. Taking it is one conditional ``UPDATE`` — free,
expired, or already ours — so on SQLite it runs under ``BEGIN IMMEDIATE`` (writers queue) and on
PostgreSQL the row lock the ``UPDATE`` takes makes a concurrent taker re-check the condition
after the first commits: exactly one wins. The holder renews it while it works (a heartbeat and
every committed page); every page commit is *fenced* by the holder id, so a process that lost
its lease (paused past the TTL, partitioned) cannot write over its successor.

A lease whose holder died (``kill -9``, the OOM killer, a power cut) stays behind. It expires
after the TTL — the rule for a holder on another host — but when the holder was on this host and
its process is provably gone (:mod:`catalog.store.liveness`: its pid no longer exists, or belongs
to a process that started at another time), the lease is taken over at once, so the next cron run
recovers the crashed sync instead of skipping it. That takeover is a second conditional
``UPDATE``, on the dead holder's id: two recovering processes that both judged it dead race on
that row like any two takers, and exactly one wins.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, Engine, or_, select, update

from catalog.errors import CatalogError, LeaseLost
from catalog.store import liveness, tables
from catalog.store.tables import utcnow
from connectors.feedlog import FeedLog

log = logging.getLogger(__name__)
feeds_t = tables.feeds


@dataclass(frozen=True, slots=True)
class LeaseHolder:
    """Who holds a feed's lease (for "skipped: held by …" messages)."""

    holder: str | None
    host: str | None
    pid: int | None
    acquired_at: datetime | None
    expires_at: datetime | None

    def describe(self) -> str:
        since = f" since {self.acquired_at:%Y-%m-%d %H:%M:%S} UTC" if self.acquired_at else ""
        return f"{self.host or '?'} pid {self.pid or '?'}{since}"


@dataclass(frozen=True, slots=True)
class Lease:
    feed_id: str
    holder: str
    ttl: timedelta
    #: The dead holder this lease was taken from before its TTL ran out, and how we know.
    took_over: LeaseHolder | None = None
    why: str | None = None


def new_holder_id() -> str:
    """A unique holder id that also marks this process (see :mod:`catalog.store.liveness`)."""
    return liveness.encode(uuid.uuid4().hex[:16], liveness.own_mark())


def acquire(
    engine: Engine, feed_id: str, ttl: timedelta, holder: str | None = None
) -> Lease | LeaseHolder:
    """Take the feed's lease: a :class:`Lease`, or the :class:`LeaseHolder` that has it.

    Free, expired or already ours: taken. Held by a process of this host that is provably gone:
    taken over at once (``Lease.took_over``). Otherwise its holder keeps it.
    """
    holder = holder or new_holder_id()
    c = feeds_t.c
    current = _take(
        engine,
        feed_id,
        ttl,
        holder,
        lambda now: [
            or_(c.lease_holder.is_(None), c.lease_expires_at < now, c.lease_holder == holder)
        ],
    )
    if current is None:
        return Lease(feed_id, holder, ttl)
    if current.holder is None:  # released between our two statements: try again next run
        return current
    why = liveness.why_dead(current.holder, current.host, current.pid, _this_host())
    if why is None:
        return current
    # Exactly one taker matches the dead holder's id: the others see the winner's lease.
    after = _take(engine, feed_id, ttl, holder, lambda now: [c.lease_holder == current.holder])
    if after is not None:
        return after
    FeedLog(log, feed_id).warning(
        "the lease holder is gone (%s); its lease is taken over now, not after the TTL", why
    )
    return Lease(feed_id, holder, ttl, took_over=current, why=why)


def _take(
    engine: Engine,
    feed_id: str,
    ttl: timedelta,
    holder: str,
    condition: Callable[[datetime], list[ColumnElement[bool]]],
) -> LeaseHolder | None:
    """One conditional ``UPDATE`` that makes ``holder`` the lease's holder if ``condition``
    holds; None when it did, else who holds the lease."""
    now = utcnow()
    c = feeds_t.c
    with engine.begin() as conn:
        result = conn.execute(
            update(feeds_t)
            .where(c.id == feed_id, *condition(now))
            .values(
                lease_holder=holder,
                lease_host=_this_host(),
                lease_pid=os.getpid(),
                lease_acquired_at=now,
                lease_expires_at=now + ttl,
            )
        )
        if result.rowcount == 1:
            return None
        row = conn.execute(
            select(
                c.lease_holder, c.lease_host, c.lease_pid, c.lease_acquired_at, c.lease_expires_at
            ).where(c.id == feed_id)
        ).first()
    if row is None:
        raise CatalogError(f"feed {feed_id!r} is not in the catalog")
    return LeaseHolder(
        row.lease_holder, row.lease_host, row.lease_pid, row.lease_acquired_at, row.lease_expires_at
    )


def _this_host() -> str:
    return socket.gethostname()[:255]


def renew_in(conn: Connection, lease: Lease) -> None:
    """Extend the lease inside a write transaction; raise :class:`LeaseLost` if it is not ours."""
    c = feeds_t.c
    result = conn.execute(
        update(feeds_t)
        .where(c.id == lease.feed_id, c.lease_holder == lease.holder)
        .values(lease_expires_at=utcnow() + lease.ttl)
    )
    if result.rowcount != 1:
        raise LeaseLost(lease.feed_id)


def renew(engine: Engine, lease: Lease) -> bool:
    """Extend the lease in its own transaction; False if it is no longer ours."""
    try:
        with engine.begin() as conn:
            renew_in(conn, lease)
    except LeaseLost:
        return False
    return True


def release(engine: Engine, lease: Lease) -> None:
    """Give the lease up (only if still ours)."""
    c = feeds_t.c
    with engine.begin() as conn:
        conn.execute(
            update(feeds_t)
            .where(c.id == lease.feed_id, c.lease_holder == lease.holder)
            .values(
                lease_holder=None,
                lease_host=None,
                lease_pid=None,
                lease_acquired_at=None,
                lease_expires_at=None,
            )
        )


def close_abandoned_runs(engine: Engine, lease: Lease) -> int:
    """Runs still marked running for this feed belong to a process that died: we hold the lease
    now, so no live process can be running them. Mark them interrupted."""
    how = f"{lease.why}, so its lease was taken over" if lease.why else "its lease expired"
    r = tables.harvest_runs.c
    with engine.begin() as conn:
        renew_in(conn, lease)
        result = conn.execute(
            update(tables.harvest_runs)
            .where(r.feed_id == lease.feed_id, r.status == "running")
            .values(
                status="interrupted",
                finished_at=utcnow(),
                error=f"the process running this harvest stopped before finishing ({how}); "
                "the next run resumes from its last committed page",
            )
        )
        return result.rowcount or 0


class Heartbeat:
    """Renews a lease in the background while a long page is being fetched."""

    def __init__(
        self, engine: Engine, lease: Lease, on_lost: threading.Event | None = None
    ) -> None:
        self.engine = engine
        self.lease = lease
        self.lost = on_lost or threading.Event()
        self._stop = threading.Event()
        self.log = FeedLog(log, lease.feed_id)
        self._thread = threading.Thread(
            target=self._run, name=f"lease-{lease.feed_id}", daemon=True
        )

    def _run(self) -> None:
        interval = max(self.lease.ttl.total_seconds() / 3, 0.05)
        while not self._stop.wait(interval):
            try:
                if not renew(self.engine, self.lease):
                    self.log.error("lease lost; stopping the sync")
                    self.lost.set()
                    return
            except Exception:  # a database hiccup: try again next beat, the TTL has slack
                self.log.warning("could not renew the lease", exc_info=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
