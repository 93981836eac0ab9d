"""Faults only real processes and real servers show (RELIABILITY.md S3, C2, D6): two `moocx sync`
processes at once, a `kill -9` in the middle of a page, a PostgreSQL connection dropped mid-run.
The feed is the demo's VNU platform served on loopback, with page 2 held open on demand."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event, text

from scheduler.cli import run
from scheduler.demo.server import DemoRequest, DemoServer, OpenEdxPlatform, Reply, load_sample

ROOT = Path(__file__).resolve().parents[2]
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

    def __call__(self, request: DemoRequest) -> Reply:
        if request.query.get("page") == ["2"]:
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
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", "--config", str(config), "sync", "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


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


def test_kill_9_in_the_middle_of_a_page_then_a_recovery_run_ends_like_a_clean_run(
    platform, tmp_path: Path, catalog_url: str
) -> None:
    config = write_config(tmp_path / "config.toml", catalog_url, platform.url, ttl="1s")
    victim = start_sync(config)
    assert platform.page2_requested.wait(30), victim.communicate(timeout=5)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    [dead] = rows(catalog_url, "SELECT status, pages FROM harvest_runs")
    assert (dead.status, dead.pages) == ("running", 1)  # page 1 committed, page 2 never was

    platform.gate.set()  # the victim is gone; let the recovery run through

    # The dead process's lease runs out after lease_ttl (1 s); until then a sync is refused.
    deadline = time.monotonic() + 30
    while (code := run(["--config", str(config), "sync", "--quiet"])) == 3:
        assert time.monotonic() < deadline, "the dead process's lease never expired"
        time.sleep(0.2)
    assert code == 0
    runs = rows(catalog_url, "SELECT id, status, resumed_from, error FROM harvest_runs ORDER BY id")
    assert runs[0].status == "interrupted" and "stopped before finishing" in runs[0].error
    assert runs[-1].status == "succeeded" and runs[-1].resumed_from == runs[0].id
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
