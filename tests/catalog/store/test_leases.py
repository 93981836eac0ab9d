"""Leases whose holder died: taken over at once when this host can prove the holder is gone,
kept until their TTL otherwise (shared/RELIABILITY.md S3, S5) — with real holder processes, on
SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from catalog.store import leases, liveness, tables
from catalog.store.tables import utcnow

ROOT = Path(__file__).resolve().parents[3]
HOUR = timedelta(hours=1)
#: A process that takes the feed's lease for an hour, says so, and then waits to be killed.
HOLDER = """
import sys, time
from datetime import timedelta
from catalog.store import leases
from catalog.store.db import make_engine
lease = leases.acquire(make_engine(sys.argv[1]), "vnu", timedelta(hours=1))
print(lease.holder, flush=True)
time.sleep(120)
"""


@contextmanager
def holder_process(catalog_url: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """A live process holding the lease of feed ``vnu``: (the process, its holder id)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, catalog_url], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        holder = proc.stdout.readline().strip()
        assert holder, proc.communicate(timeout=30)
        yield proc, holder
    finally:
        proc.kill()
        proc.wait(timeout=30)


def dead_holder(catalog_url: str) -> tuple[int, str]:
    """The pid and holder id of a process that took the lease and was killed with -9."""
    with holder_process(catalog_url) as (proc, holder):
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    return proc.pid, holder


def lease_row(engine) -> dict:
    c = tables.feeds.c
    with engine.connect() as conn:
        row = conn.execute(
            select(c.lease_holder, c.lease_host, c.lease_pid, c.lease_expires_at)
        ).one()
    return dict(row._mapping)


def set_lease(engine, **values: object) -> None:
    """Rewrite the lease row as another holder would have left it."""
    with engine.begin() as conn:
        conn.execute(
            update(tables.feeds)
            .where(tables.feeds.c.id == "vnu")
            .values({f"lease_{name}": value for name, value in values.items()})
        )


def test_a_lease_whose_holder_was_killed_is_taken_over_at_once(engine, catalog_url) -> None:
    pid, holder = dead_holder(catalog_url)
    assert lease_row(engine)["lease_expires_at"] > utcnow() + timedelta(minutes=50)
    lease = leases.acquire(engine, "vnu", HOUR)
    assert isinstance(lease, leases.Lease)
    assert lease.took_over is not None and lease.took_over.holder == holder
    assert lease.why == f"pid {pid} no longer exists on {socket.gethostname()}"
    assert lease_row(engine)["lease_holder"] == lease.holder
    assert lease_row(engine)["lease_pid"] == os.getpid()


def test_a_lease_whose_holder_lives_is_kept(engine, catalog_url) -> None:
    with holder_process(catalog_url) as (proc, holder):
        held = leases.acquire(engine, "vnu", HOUR)
        assert isinstance(held, leases.LeaseHolder)
        assert (held.holder, held.pid) == (holder, proc.pid)
        assert "pid" in held.describe() and str(proc.pid) in held.describe()


def test_a_killed_holder_not_yet_reaped_counts_as_gone(engine, catalog_url) -> None:
    with holder_process(catalog_url) as (proc, _holder):
        os.kill(proc.pid, signal.SIGKILL)  # a zombie until its parent (this test) waits
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)  # dead, and not reaped
        lease = leases.acquire(engine, "vnu", HOUR)
        assert isinstance(lease, leases.Lease) and lease.took_over is not None
        assert lease.why == f"pid {proc.pid} on {socket.gethostname()} has exited"


def test_a_reused_pid_is_not_taken_for_the_dead_holder(engine, catalog_url) -> None:
    _pid, holder = dead_holder(catalog_url)
    # The dead holder's pid now belongs to a live process that started at another time.
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        set_lease(engine, holder=holder, pid=other.pid)
        lease = leases.acquire(engine, "vnu", HOUR)
        assert isinstance(lease, leases.Lease)
        assert lease.why == f"pid {other.pid} on {socket.gethostname()} is now another process"
    finally:
        other.kill()
        other.wait(timeout=30)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"host": "sync-2.partner.example"}, id="another-host"),
        pytest.param({"boot": "0123456789ab"}, id="another-boot"),
        pytest.param({"pidns": "1"}, id="another-pid-namespace"),
        pytest.param({"unmarked": True}, id="a-holder-id-without-a-mark"),
    ],
)
def test_a_dead_holder_this_host_cannot_vouch_for_keeps_its_lease_until_the_ttl(
    engine, catalog_url, change: dict
) -> None:
    _pid, holder = dead_holder(catalog_url)
    mark = liveness.decode(holder)
    assert mark is not None
    random_part = holder.split("~")[0]
    if "host" in change:
        set_lease(engine, host=change["host"])
    elif "unmarked" in change:
        set_lease(engine, holder=random_part)
    else:
        fields = {"boot": mark.boot, "pidns": mark.pidns, **change}
        other = liveness.ProcessMark(fields["boot"], fields["pidns"], mark.started)
        set_lease(engine, holder=liveness.encode(random_part, other))
    kept = leases.acquire(engine, "vnu", HOUR)
    assert isinstance(kept, leases.LeaseHolder)
    set_lease(engine, expires_at=utcnow() - timedelta(seconds=1))  # its TTL ran out
    lease = leases.acquire(engine, "vnu", HOUR)
    assert isinstance(lease, leases.Lease) and lease.took_over is None


def test_two_takers_of_one_dead_lease_race_and_exactly_one_wins(
    engine, catalog_url, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pid, holder = dead_holder(catalog_url)
    both_judged = threading.Barrier(2, timeout=30)
    judge = liveness.why_dead

    def judge_then_wait(*args: object) -> str | None:
        verdict = judge(*args)  # type: ignore[arg-type]
        both_judged.wait()  # both takers believe the holder dead before either writes
        return verdict

    monkeypatch.setattr(liveness, "why_dead", judge_then_wait)
    results: list[leases.Lease | leases.LeaseHolder] = []

    def take() -> None:
        results.append(leases.acquire(engine, "vnu", HOUR))

    threads = [threading.Thread(target=take) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    winners = [r for r in results if isinstance(r, leases.Lease)]
    losers = [r for r in results if isinstance(r, leases.LeaseHolder)]
    assert len(winners) == 1 and len(losers) == 1
    assert winners[0].took_over is not None and winners[0].took_over.holder == holder
    assert losers[0].holder == winners[0].holder == lease_row(engine)["lease_holder"]


def test_a_holder_id_carries_this_process_mark_and_reads_back() -> None:
    mark = liveness.own_mark()
    if mark is None:
        pytest.skip("no /proc here: leases keep the TTL rule only")
    holder = leases.new_holder_id()
    assert len(holder) <= 64  # feeds.lease_holder is VARCHAR(64)
    assert liveness.decode(holder) == mark
    assert liveness.decode("0123abcd" * 4) is None  # a holder id of an older release
    assert (
        liveness.why_dead(holder, socket.gethostname(), os.getpid(), socket.gethostname()) is None
    )
