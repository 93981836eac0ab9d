"""Faults only real processes and real servers show (RELIABILITY.md S3, S5, C2, D6): two `moocx
sync` processes at once, a `kill -9` in the middle of a harvest and the next cron run that
recovers it at once, two recovering runs racing for the dead run's lease, a PostgreSQL
connection dropped mid-run. The feed is the demo's VNU platform served on loopback (98 runs, 4
pages of 25), with page 2 held open until the test lets it through."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event, text

from scheduler.cli import run
from scheduler.demo.server import DemoRequest, DemoServer, OpenEdxPlatform, Reply, load_sample
from tests.support.cli import start_moocx

CONFIG = """
[catalog]
url = "{catalog_url}"

[sync]
lease_ttl = "{ttl}"

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


class GatedPlatform:
    """The VNU demo platform; requests for page 2 wait until the gate opens (at most 30 s)."""

    def __init__(self) -> None:
        self.platform = OpenEdxPlatform(load_sample("vnu_openedx_courses.json"))
        self.gate = threading.Event()
        self.page2_requested = threading.Event()
        #: How many requests for page 2 arrived (one per process harvesting from page 1 or 2).
        self.page2_requests = 0

    def __call__(self, request: DemoRequest) -> Reply:
        if request.query.get("page") == ["2"]:
            self.page2_requests += 1
            self.page2_requested.set()
            self.gate.wait(30)
        return self.platform(request)


@pytest.fixture
def platform():
    gated = GatedPlatform()
    with DemoServer({"vnu": gated}) as server:
        gated.url = server.url("vnu")
        yield gated
        gated.gate.set()


def write_config(path: Path, catalog_url: str, base: str, ttl: str = "30s") -> Path:
    path.write_text(CONFIG.format(catalog_url=catalog_url, base=base, ttl=ttl), "utf-8")
    return path


def start_sync(config: Path) -> subprocess.Popen:
    return start_moocx("--config", str(config), "sync", "--quiet")


def snapshot(url: str) -> list[tuple]:
    engine = create_engine(url)
    with engine.connect() as conn:
        courses = conn.execute(text("SELECT key, content_hash, status FROM courses ORDER BY key"))
        courses = [tuple(r) for r in courses]
        runs = sorted(
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT c.key, r.key, r.content_hash FROM course_runs r JOIN courses c "
                    "ON c.id = r.course_id"
                )
            )
        )
    engine.dispose()
    return courses + runs


def clean_snapshot(tmp_path: Path, base: str, gate: threading.Event) -> list[tuple]:
    gate.set()
    url = f"sqlite:///{tmp_path / 'clean.db'}"
    assert (
        run(["--config", str(write_config(tmp_path / "clean.toml", url, base)), "sync", "--quiet"])
        == 0
    )
    return snapshot(url)


def rows(url: str, sql: str) -> list:
    engine = create_engine(url)
    with engine.connect() as conn:
        result = conn.execute(text(sql)).all()
    engine.dispose()
    return result


def test_two_sync_processes_never_harvest_one_feed_at_once(
    platform, tmp_path: Path, catalog_url: str
) -> None:
    config = write_config(tmp_path / "config.toml", catalog_url, platform.url)
    first = start_sync(config)
    assert platform.page2_requested.wait(30), first.communicate(timeout=5)
    second = start_sync(config)
    out, err = second.communicate(timeout=60)
    assert second.returncode == 3, err
    assert "vnu: skipped" in out and "is being synced by" in out
    platform.gate.set()
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    runs = rows(catalog_url, "SELECT status FROM harvest_runs")
    assert [r.status for r in runs] == ["succeeded"]  # the skipped process opened no run
    assert rows(catalog_url, "SELECT lease_holder FROM feeds")[0].lease_holder is None


def committed_pages(url: str) -> int:
    found = rows(url, "SELECT pages FROM harvest_runs")
    return found[0].pages if found else 0


def wait_until(condition, what: str, *procs: subprocess.Popen) -> None:
    """Poll ``condition`` (at most 60 s); on a timeout, fail with the processes' output."""
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            for proc in procs:
                proc.kill()
            outputs = [proc.communicate(timeout=30) for proc in procs]
            pytest.fail(f"{what} never happened: {outputs}")
        time.sleep(0.05)


def kill_mid_harvest(platform: GatedPlatform, url: str, config: Path) -> None:
    """``kill -9`` a `moocx sync` once page 1 is committed and page 2 is in flight."""
    assert run(["--config", str(config), "init"]) == 0  # a catalog to watch from the start
    victim = start_sync(config)
    wait_until(lambda: committed_pages(url) == 1, "a committed page", victim)
    wait_until(platform.page2_requested.is_set, "the request for page 2", victim)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    [dead] = rows(url, "SELECT status, pages FROM harvest_runs")
    assert (dead.status, dead.pages) == ("running", 1)  # page 1 committed, page 2 never was
    assert rows(url, "SELECT lease_pid FROM feeds")[0].lease_pid == victim.pid  # left behind


def test_kill_9_during_a_sync_then_the_next_sync_recovers_at_once_like_a_clean_run(
    platform, tmp_path: Path, catalog_url: str
) -> None:
    # A lease_ttl of 10 minutes: only the dead pid can let the next run in right away.
    config = write_config(tmp_path / "config.toml", catalog_url, platform.url, ttl="10m")
    kill_mid_harvest(platform, catalog_url, config)
    platform.gate.set()

    recovery = start_sync(config)  # the next cron run, right away
    out, err = recovery.communicate(timeout=120)
    assert recovery.returncode == 0, (out, err)
    assert "vnu: succeeded (full, resumed)" in out
    runs = rows(catalog_url, "SELECT id, status, resumed_from, error FROM harvest_runs ORDER BY id")
    assert [r.status for r in runs] == ["interrupted", "succeeded"]
    assert "stopped before finishing" in runs[0].error and "no longer exists" in runs[0].error
    assert runs[1].resumed_from == runs[0].id
    assert rows(catalog_url, "SELECT lease_holder FROM feeds")[0].lease_holder is None
    assert snapshot(catalog_url) == clean_snapshot(tmp_path, platform.url, platform.gate)


def test_two_syncs_recovering_one_dead_run_at_once_harvest_it_exactly_once(
    platform, tmp_path: Path, catalog_url: str
) -> None:
    config = write_config(tmp_path / "config.toml", catalog_url, platform.url, ttl="10m")
    kill_mid_harvest(platform, catalog_url, config)
    platform.page2_requests = 0  # page 2 stays held: the winner waits there

    racers = [start_sync(config), start_sync(config)]
    wait_until(
        lambda: any(r.poll() is not None for r in racers) or platform.page2_requests > 1,
        "one racer giving up",
        *racers,
    )
    assert platform.page2_requests <= 1, "both racers harvested the feed"
    [loser] = [r for r in racers if r.poll() is not None]
    [winner] = [r for r in racers if r is not loser]
    out, err = loser.communicate(timeout=30)
    assert loser.returncode == 3, (out, err)
    assert "vnu: skipped" in out and "is being synced by" in out
    platform.gate.set()
    out, err = winner.communicate(timeout=120)
    assert winner.returncode == 0, (out, err)
    assert "vnu: succeeded (full, resumed)" in out
    runs = rows(catalog_url, "SELECT status, resumed_from FROM harvest_runs ORDER BY id")
    assert [r.status for r in runs] == ["interrupted", "succeeded"]  # the loser opened no run
    assert snapshot(catalog_url) == clean_snapshot(tmp_path, platform.url, platform.gate)


@pytest.mark.parametrize("catalog_url", ["postgresql"], indirect=True)
def test_a_postgresql_connection_dropped_mid_page_fails_the_run_and_the_next_one_recovers(
    platform, tmp_path: Path, catalog_url: str
) -> None:
    platform.gate.set()
    config = write_config(tmp_path / "config.toml", catalog_url, platform.url)
    killer = create_engine(catalog_url)
    fired = []

    def drop_on_page_2(conn, cursor, statement, parameters, context, executemany):
        if "INSERT INTO harvest_pages" in statement and not fired:
            pages = conn.exec_driver_sql("SELECT count(*) FROM harvest_pages").scalar()
            if pages == 1:  # page 1 is committed; kill this very connection mid-transaction
                pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
                with killer.connect() as other:
                    other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
                fired.append(pid)

    event.listen(Engine, "before_cursor_execute", drop_on_page_2)
    try:
        assert run(["--config", str(config), "sync", "--quiet"]) == 1
    finally:
        event.remove(Engine, "before_cursor_execute", drop_on_page_2)
    assert fired
    failed = rows(catalog_url, "SELECT status, pages, error FROM harvest_runs")[0]
    assert failed.status == "failed" and failed.pages == 1
    assert "the catalog failed" in failed.error
    assert run(["--config", str(config), "sync", "--quiet"]) == 0
    assert snapshot(catalog_url) == clean_snapshot(tmp_path, platform.url, platform.gate)
    killer.dispose()
