"""S6: a sync paused past its lease (a GC pause, a laptop lid, a partition) wakes up after its
successor took the feed over, and can write nothing — no page, no withdrawal, no end-of-run or
feed state. Real processes: the old syncer is frozen with SIGSTOP (its heartbeat thread too)
while it waits for the last page, the successor resumes and finishes the harvest, then the old
one is thawed and handed a stale last page that would change a title, add a course and withdraw
another. SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from catalog.store import tables
from catalog.store.tables import utcnow
from scheduler.cli import run
from scheduler.demo.server import DemoRequest, DemoServer, OpenEdxPlatform, Reply
from tests.support import openedx_feed as feed
from tests.support.cli import start_moocx

CONFIG = """
[catalog]
url = "{catalog_url}"

[http]
max_retries = 0

[sync]
lease_ttl = "1s"

[[institutions]]
id = "vnu"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[feeds]]
id = "vnu"
institution = "vnu"
connector = "openedx"
base_url = "{base}"

[feeds.options]
page_size = 3
"""
RUNS = [feed.run(f"C{i:02d}") for i in range(12)]  # 4 pages of 3
#: What the source said a moment earlier: C09 renamed, C11 gone, C99 new (still 12 runs).
STALE = [*RUNS[:9], feed.run("C09", "Tên cũ"), RUNS[10], feed.run("C99")]


class StallingPlatform:
    """The feed; the first request for page 4 waits for the gate, then gets ``stale_reply``."""

    def __init__(self) -> None:
        self.current = OpenEdxPlatform(RUNS)
        self.stale = OpenEdxPlatform(STALE)
        self.armed = False
        self.stalled = threading.Event()
        self.gate = threading.Event()
        self.stale_reply = "page"  # or "error": a 500 instead

    def __call__(self, request: DemoRequest) -> Reply:
        if self.armed and request.query.get("page") == ["4"]:
            self.armed = False
            self.stalled.set()
            self.gate.wait(60)
            if self.stale_reply == "error":
                return 500, {"Content-Type": "application/json"}, b'{"detail": "oops"}'
            return self.stale(request)
        return self.current(request)


@pytest.fixture
def platform():
    stalling = StallingPlatform()
    with DemoServer({"vnu": stalling}) as server:
        stalling.url = server.url("vnu")
        yield stalling
        stalling.gate.set()


def query(url: str, sql: str) -> list:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(sql)).all()
    engine.dispose()
    return rows


def catalog_state(url: str) -> dict[str, object]:
    """Everything a harvest writes: courses, runs, events, held withdrawals, pages, the feed."""
    return {
        "courses": query(url, "SELECT key, title, content_hash, status FROM courses ORDER BY key"),
        "runs": query(url, "SELECT course_id, key, content_hash FROM course_runs ORDER BY id"),
        "events": query(url, "SELECT course_id, harvest_id, event FROM course_events ORDER BY id"),
        "held": query(url, "SELECT course_id, run_id FROM held_withdrawals ORDER BY id"),
        "pages": query(url, "SELECT run_id, number, url FROM harvest_pages ORDER BY id"),
        "feed": query(
            url,
            "SELECT cursor, resume_cursor, resume_run_id, last_success_at, last_full_at, "
            "consecutive_failures, needs_review, review_reason, lease_holder FROM feeds",
        ),
    }


def feed_row_is_free(url: str) -> bool:
    """No open write transaction holds the feed's row (so a frozen process holds no lock)."""
    sqlite = url.startswith("sqlite")
    engine = create_engine(url, connect_args={"timeout": 0.2} if sqlite else {})
    try:
        with engine.begin() as conn:
            if not sqlite:
                conn.execute(text("SET LOCAL lock_timeout = '200ms'"))
            conn.execute(text("UPDATE feeds SET lease_pid = lease_pid WHERE id = 'vnu'"))
            conn.rollback()
        return True
    except Exception as exc:  # "database is locked" / LockNotAvailable
        if "lock" not in str(exc).lower():
            raise
        return False
    finally:
        engine.dispose()


def freeze(proc: subprocess.Popen, url: str) -> None:
    """SIGSTOP ``proc`` at a moment it holds no database lock (a heartbeat may be mid-renewal:
    thaw it and try again)."""
    for _ in range(50):
        os.kill(proc.pid, signal.SIGSTOP)
        if feed_row_is_free(url):
            return
        os.kill(proc.pid, signal.SIGCONT)
        time.sleep(0.05)
    pytest.fail("the old syncer never let go of the feed's row")


def wait_until(condition, what: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            os.kill(proc.pid, signal.SIGCONT)
            proc.kill()
            pytest.fail(f"{what} never happened: {proc.communicate(timeout=30)}")
        time.sleep(0.05)


def lease_expired(url: str) -> bool:
    engine = create_engine(url)
    with engine.connect() as conn:
        expires = conn.execute(select(tables.feeds.c.lease_expires_at)).scalar()
    engine.dispose()
    return expires is not None and expires < utcnow()


@pytest.mark.parametrize("stale_reply", ["page", "error"], ids=["stale-last-page", "http-500"])
def test_a_sync_paused_past_its_lease_writes_nothing_after_its_successor_took_over(
    platform, tmp_path: Path, catalog_url: str, stale_reply: str, capsys
) -> None:
    """S6: the fencing holds — the catalog is exactly what the successor alone made."""
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(catalog_url=catalog_url, base=platform.url), "utf-8")
    assert run(["--config", str(config), "sync", "--quiet"]) == 0  # the catalog of yesterday
    platform.armed, platform.stale_reply = True, stale_reply

    old = start_moocx("--config", str(config), "sync", "--full", "-q")
    try:
        wait_until(platform.stalled.is_set, "the request for the last page", old)
        [(old_run, pages)] = query(catalog_url, "SELECT id, pages FROM harvest_runs WHERE id = 2")
        assert pages == 3  # pages 1-3 committed; page 4 on its way
        freeze(old, catalog_url)
        wait_until(lambda: lease_expired(catalog_url), "the frozen syncer's lease to expire", old)

        capsys.readouterr()
        assert run(["--config", str(config), "sync", "--quiet"]) == 0  # the successor
        assert "vnu: succeeded (full, resumed)" in capsys.readouterr().out
        successor = catalog_state(catalog_url)
    finally:
        os.kill(old.pid, signal.SIGCONT)
        platform.gate.set()
    out, err = old.communicate(timeout=60)

    assert old.returncode == 1, (out, err)
    assert "vnu: interrupted" in out and "lost its lease" in out, (out, err)
    assert catalog_state(catalog_url) == successor  # not a page, not a withdrawal, no feed state
    [mine] = query(
        catalog_url, f"SELECT status, complete, pages, error FROM harvest_runs WHERE id = {old_run}"
    )
    assert (mine.status, mine.complete, mine.pages) == ("interrupted", False, 3)
    assert "lost its lease" in mine.error and "another sync took the feed over" in mine.error
    [(failures,)] = query(catalog_url, "SELECT consecutive_failures FROM feeds")
    assert failures == 0  # the old syncer's HTTP 500 counts nothing against the feed
    assert [r.title for r in query(catalog_url, "SELECT title FROM courses ORDER BY key")] == [
        r["name"] for r in RUNS
    ]  # what the source says now: C09's old title, C99 and C11's withdrawal never landed
    assert {r.status for r in query(catalog_url, "SELECT status FROM courses")} == {"active"}
