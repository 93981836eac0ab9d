"""The catalog database under faults, seen from `moocx` (RELIABILITY.md D1, D3, D7).

- D1: two writers on one SQLite catalog. The second waits for the first (``busy_timeout``), and
  when the first holds the write lock for longer than that, the second stops with a message
  that names the catalog and says what to do — not a ``database is locked`` traceback.
- D3: ``kill -9`` of a real `moocx sync` *inside* an open write transaction (page 2's courses
  written, not committed): the catalog is whole (``PRAGMA integrity_check``), holds exactly
  what was committed before that transaction, and one recovery sync gives the clean catalog.
- D7: a PostgreSQL advisory lock (catalog/store/db.py ``serialize``) whose holder dies — killed, or
  its session terminated — is free again at once; and the locks are transaction-scoped, so no
  pooled connection keeps one after its transaction.

A real process stops at a known point through tests/support/paused.py (a pause planted from
outside the product), so every kill strikes where the test says.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event, make_url, text

import catalog.store.db
from scheduler.cli import run
from scheduler.demo.server import DemoServer, OpenEdxPlatform, load_sample
from tests.support.cli import ROOT
from tests.support.cli import moocx as run_moocx

CONFIG = """
[catalog]
url = "{catalog_url}"

[[institutions]]
id = "vnu"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[feeds]]
id = "vnu"
institution = "vnu"
connector = "openedx"
base_url = "{base}"

[feeds.options]
page_size = 25
"""


@pytest.fixture(scope="module")
def platform_url() -> Iterator[str]:
    """The demo's VNU platform on loopback: 98 runs, 4 pages of 25."""
    with DemoServer({"vnu": OpenEdxPlatform(load_sample("vnu_openedx_courses.json"))}) as server:
        yield server.url("vnu")


def write_config(path: Path, catalog_url: str, base: str) -> Path:
    path.write_text(CONFIG.format(catalog_url=catalog_url, base=base), "utf-8")
    return path


def start_paused(marker: Path, pause: list[str], moocx: list[str]) -> subprocess.Popen:
    """`moocx MOOCX` in a real process that stops dead where ``pause`` says (paused.py)."""
    launcher = [sys.executable, "-m", "tests.support.paused", "--marker", str(marker)]
    return subprocess.Popen(
        [*launcher, *pause, "--", *moocx],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(condition: Callable[[], bool], what: str, proc: subprocess.Popen | None) -> None:
    """Poll ``condition`` (at most 60 s); on a timeout, fail with the process's output."""
    deadline = time.monotonic() + 60
    while not condition():
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"{what}: the process ended first: {proc.communicate(timeout=30)}")
        if time.monotonic() > deadline:
            if proc is not None:
                proc.kill()
            pytest.fail(f"{what} never happened: {proc and proc.communicate(timeout=30)}")
        time.sleep(0.05)


def kill_9(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    proc.communicate(timeout=30)


def rows(url: str, sql: str) -> list:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(text(sql)).all()
    engine.dispose()
    return found


def snapshot(url: str) -> list[tuple]:
    """Every course and run, with their content hashes: what a sync wrote."""
    return [
        tuple(r)
        for r in rows(
            url,
            "SELECT c.key, c.content_hash, c.status, r.key, r.content_hash FROM courses c "
            "LEFT JOIN course_runs r ON r.course_id = c.id ORDER BY c.key, r.key",
        )
    ]


def sqlite_path(url: str) -> str:
    database = make_url(url).database
    assert database
    return database


# ---------------------------------------------------------------- D3


def in_open_write_transaction(url: str) -> bool:
    """Whether some connection holds an uncommitted write transaction on the catalog now."""
    if url.startswith("sqlite"):
        probe = sqlite3.connect(sqlite_path(url), timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            return "locked" in str(exc)
        finally:
            probe.close()
        return False
    writing = rows(
        url,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND state = 'idle in transaction' AND backend_xid IS NOT NULL",
    )
    return writing[0][0] == 1


def uncommitted_wal_frames(database: str) -> int:
    """Frames of the SQLite WAL file written after its last commit frame: a transaction's
    changes on disk, not committed (the WAL format: a 32-byte header, then frames of a 24-byte
    header — a non-zero database size marks a commit — and one page)."""
    data = Path(f"{database}-wal").read_bytes()
    page_size, salts = int.from_bytes(data[8:12], "big"), data[16:24]
    frames, last_commit, at = 0, 0, 32
    while at + 24 + page_size <= len(data) and data[at + 8 : at + 16] == salts:
        frames += 1
        if int.from_bytes(data[at + 4 : at + 8], "big"):
            last_commit = frames
        at += 24 + page_size
    return frames - last_commit


def test_kill_9_inside_a_page_transaction_keeps_the_committed_state_and_one_sync_recovers(
    tmp_path: Path, catalog_url: str, platform_url: str
) -> None:
    """D3: killed with page 2's courses and runs written but not committed (on SQLite with a
    page cache so small that they spilled into the WAL file): nothing of page 2 is in the
    catalog, page 1 is, the database checks out whole, and the next sync resumes to the catalog
    a clean run gives."""
    config = write_config(tmp_path / "config.toml", catalog_url, platform_url)
    assert run(["--config", str(config), "init"]) == 0
    marker = tmp_path / "paused"
    victim = start_paused(
        marker,
        ["--before-sql", "INSERT INTO harvest_pages", "--nth", "2", "--sqlite-cache-pages", "8"],
        ["--config", str(config), "sync", "--quiet"],
    )
    wait_until(marker.exists, "the pause inside page 2's transaction", victim)
    assert in_open_write_transaction(catalog_url)
    if catalog_url.startswith("sqlite"):
        assert uncommitted_wal_frames(sqlite_path(catalog_url)) > 0
    committed = snapshot(catalog_url)
    assert len({key for key, *_ in committed}) > 0
    kill_9(victim)

    if catalog_url.startswith("sqlite"):
        check = sqlite3.connect(sqlite_path(catalog_url))
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert check.execute("PRAGMA foreign_key_check").fetchall() == []
        check.close()
    assert snapshot(catalog_url) == committed  # the state before the killed transaction
    [dead] = rows(catalog_url, "SELECT status, pages FROM harvest_runs")
    assert (dead.status, dead.pages) == ("running", 1)

    recovery = run_moocx("--config", str(config), "sync", "--quiet")
    assert recovery.returncode == 0, (recovery.stdout, recovery.stderr)
    assert "vnu: succeeded (full, resumed)" in recovery.stdout
    clean_url = f"sqlite:///{tmp_path / 'clean.db'}"
    clean = write_config(tmp_path / "clean.toml", clean_url, platform_url)
    assert run(["--config", str(clean), "sync", "--quiet"]) == 0
    assert snapshot(catalog_url) == snapshot(clean_url)
    statuses = rows(catalog_url, "SELECT status FROM harvest_runs ORDER BY id")
    assert [r.status for r in statuses] == ["interrupted", "succeeded"]


# ---------------------------------------------------------------- D1


@pytest.fixture
def write_lock(tmp_path: Path) -> Iterator[Callable[[str], sqlite3.Connection]]:
    """``hold(url)``: another writer's connection, holding the SQLite catalog's write lock."""
    held: list[sqlite3.Connection] = []

    def hold(url: str) -> sqlite3.Connection:
        conn = sqlite3.connect(sqlite_path(url), isolation_level=None, check_same_thread=False)
        conn.execute("BEGIN IMMEDIATE")
        held.append(conn)
        return conn

    yield hold
    for conn in held:
        conn.close()


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "command",
    [pytest.param(["sync", "--quiet"], id="sync"), pytest.param(["exchange"], id="admin")],
)
def test_a_writer_held_up_past_the_busy_timeout_stops_with_a_clear_message(
    tmp_path: Path, catalog_url: str, platform_url: str, write_lock, monkeypatch, capsys, command
) -> None:
    """D1: another writer keeps the write lock longer than the busy timeout (0.2 s here): the
    command exits 1 with one line naming the catalog and what to do, writes nothing, and
    runs once the lock is free."""
    config = write_config(tmp_path / "config.toml", catalog_url, platform_url)
    assert run(["--config", str(config), "init"]) == 0
    monkeypatch.setattr(catalog.store.db, "DEFAULT_BUSY_TIMEOUT_MS", 200)
    holder = write_lock(catalog_url)
    capsys.readouterr()
    assert run(["--config", str(config), *command]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        f"catalog: the catalog {sqlite_path(catalog_url)} is busy: another process (a sync, "
        "moocx serve or an admin command) has held its write lock for longer than the busy "
        "timeout (0.2 s)"
    )
    assert err.endswith(
        "so this step was not written. Run the command again once the other one has finished "
        "(moocx feeds shows which feed is being synced)\n"
    )
    assert err.count("\n") == 1, err  # one line, however long
    assert "Traceback" not in err and "sqlite3.OperationalError" not in err
    holder.execute("ROLLBACK")
    assert rows(catalog_url, "SELECT count(*) FROM harvest_runs")[0][0] == 0
    assert run(["--config", str(config), *command]) == 0


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_a_second_writer_waits_for_the_first_and_then_writes(
    tmp_path: Path, catalog_url: str, platform_url: str, write_lock
) -> None:
    """D1: a sync that finds the write lock taken waits (busy_timeout, 30 s by default) and
    succeeds once the other writer lets go — half a second after the sync asked for it."""
    config = write_config(tmp_path / "config.toml", catalog_url, platform_url)
    assert run(["--config", str(config), "init"]) == 0
    holder = write_lock(catalog_url)
    asked: list[bool] = []

    def let_go_later(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement == "BEGIN IMMEDIATE" and not asked:
            asked.append(holder.in_transaction)  # the sync asks while the lock is held
            threading.Timer(0.5, holder.execute, ("ROLLBACK",)).start()

    event.listen(Engine, "before_cursor_execute", let_go_later)
    try:
        assert run(["--config", str(config), "sync", "--quiet"]) == 0
    finally:
        event.remove(Engine, "before_cursor_execute", let_go_later)
    assert asked == [True]
    assert rows(catalog_url, "SELECT count(*) FROM courses")[0][0] == 58  # every course


# ---------------------------------------------------------------- D7

REGISTER_LOCK = "SELECT pg_try_advisory_xact_lock(hashtext('moocx:register'))"


def advisory_holders(url: str) -> list[int]:
    return [r.pid for r in rows(url, "SELECT pid FROM pg_locks WHERE locktype = 'advisory'")]


@pytest.mark.parametrize("catalog_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("death", ["kill -9", "pg_terminate_backend"])
def test_an_advisory_lock_whose_holder_dies_is_free_again(
    tmp_path: Path, catalog_url: str, platform_url: str, death: str
) -> None:
    """D7: a `moocx sync` stopped while it holds the lock that serializes catalog registration
    (catalog/store/db.py ``serialize``) blocks the next one; once its process is killed, or its
    session terminated, the lock is free and the next sync registers and harvests."""
    config = write_config(tmp_path / "config.toml", catalog_url, platform_url)
    assert run(["--config", str(config), "init"]) == 0
    marker = tmp_path / "paused"
    victim = start_paused(
        marker, ["--after-sql", "pg_advisory_xact_lock"], ["--config", str(config), "sync"]
    )
    try:
        wait_until(marker.exists, "the pause holding the advisory lock", victim)
        [holder] = advisory_holders(catalog_url)
        assert rows(catalog_url, REGISTER_LOCK)[0][0] is False  # held: another sync would wait
        if death == "kill -9":
            kill_9(victim)
        else:
            assert rows(catalog_url, f"SELECT pg_terminate_backend({holder})")[0][0] is True
        wait_until(lambda: not advisory_holders(catalog_url), "the lock's release", None)
        assert rows(catalog_url, REGISTER_LOCK)[0][0] is True
        assert run(["--config", str(config), "sync", "--quiet"]) == 0
    finally:
        if victim.poll() is None:
            kill_9(victim)


@pytest.mark.parametrize("catalog_url", ["postgresql"], indirect=True)
def test_advisory_locks_end_with_their_transaction_so_pooled_connections_keep_none(
    tmp_path: Path, catalog_url: str, platform_url: str
) -> None:
    """D7: the catalog takes only transaction-scoped advisory locks (``pg_advisory_xact_lock``):
    after a migration, a registration and a whole sync, the pooled connections — still open —
    hold none. A session lock would stay with its pooled connection until it closed."""
    from catalog.store import harvests, schema
    from catalog.store.db import make_engine

    engine = make_engine(catalog_url)
    schema.upgrade(engine)
    vnu = harvests.InstitutionInfo("vnu", {"vi": "ĐHQGHN"}, "VN", "Asia/Ho_Chi_Minh")
    harvests.register(engine, [vnu], [])
    with engine.connect() as conn:  # the pool's connection, as the next caller gets it
        mine = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        )
        assert mine.scalar() == 0
    config = write_config(tmp_path / "config.toml", catalog_url, platform_url)
    assert run(["--config", str(config), "sync", "--quiet"]) == 0
    assert engine.pool.checkedin() >= 1  # still open
    assert advisory_holders(catalog_url) == []
    engine.dispose()
    sources = [*ROOT.glob("catalog/**/*.py"), *ROOT.glob("scheduler/**/*.py")]
    session_locks = [
        str(path.relative_to(ROOT))
        for path in sources
        for call in ("pg_advisory_lock(", "pg_try_advisory_lock(", "pg_advisory_lock_shared(")
        if call in path.read_text(encoding="utf-8")
    ]
    assert session_locks == []
