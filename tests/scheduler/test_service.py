"""`moocx serve`: the schedule built from the config, reloads, back-off, the status file, and
real processes stopped with SIGTERM in the middle of a page — on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import json
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import responses
from apscheduler.events import (
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from scheduler import after_sync as after_sync_module
from scheduler.cli import run
from scheduler.config import load_config
from scheduler.demo.server import DemoServer, load_sample
from scheduler.demo.xuetangx_platform import XuetangXPlatform
from scheduler.service import Service, backoff, job_id
from tests.scheduler.test_sync_processes import GatedPlatform
from tests.support import openedx_feed as feed

ROOT = Path(__file__).resolve().parents[2]

CONFIG = """
[catalog]
url = "{catalog_url}"

[service]
timezone = "{timezone}"
status_file = "status/moocx-status.json"
heartbeat_interval = "1s"
stop_timeout = "{stop_timeout}"
backoff_base = "5m"
backoff_max = "1h"

[sync]
lease_ttl = "10s"

[[exports]]
format = "json"
path = "exports/catalog.json"

[[institutions]]
id = "vnu"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[institutions]]
id = "tsinghua"
names = {{ zh = "清华大学" }}

[[feeds]]
id = "vnu"
institution = "vnu"
connector = "openedx"
base_url = "{vnu}"
schedule = "{vnu_schedule}"

[feeds.options]
page_size = 25
{more}
"""

XUETANGX_FEED = """
[[feeds]]
id = "tsinghua"
institution = "tsinghua"
connector = "xuetangx"
base_url = "{tsinghua}"
schedule = "{schedule}"

[feeds.options]
requests_per_second = 1000
"""


def write(path: Path, catalog_url: str, vnu: str, **values: str) -> Path:
    values = {
        "timezone": "UTC",
        "stop_timeout": "20s",
        "vnu_schedule": "0 */6 * * *",
        "more": "",
        **values,
    }
    path.write_text(CONFIG.format(catalog_url=catalog_url, vnu=vnu, **values), "utf-8")
    return path


def service_for(config: Path) -> Service:
    service = Service(config, load_config(config), scheduler_class=BackgroundScheduler)
    service.scheduler.start(paused=True)
    return service


# -- the schedule ------------------------------------------------------------------------------


def test_the_schedule_has_one_job_per_enabled_feed_at_the_right_times(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    more = XUETANGX_FEED.format(tsinghua="https://www.xuetangx.com", schedule="30 2 * * 0")
    more += '\n[[feeds]]\nid = "off"\ninstitution = "vnu"\nconnector = "openedx"\n'
    more += 'base_url = "https://x.example"\nenabled = false\n'
    config = write(
        tmp_path / "c.toml",
        url,
        "https://lms.example",
        timezone="Asia/Ho_Chi_Minh",
        vnu_schedule="0 8 * * 1-5",
        more=more,
    )
    service = service_for(config)
    service.schedule()
    jobs = {j.id: j for j in service.scheduler.get_jobs()}
    assert set(jobs) == {"feed:vnu", "feed:tsinghua"}
    assert jobs["feed:vnu"].args == ("vnu",) and jobs["feed:vnu"].kwargs == {}
    assert jobs["feed:vnu"].max_instances == 1 and jobs["feed:vnu"].coalesce
    assert jobs["feed:vnu"].misfire_grace_time == 3600
    wednesday = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 09:00 in Hanoi
    nxt = jobs["feed:vnu"].trigger.get_next_fire_time(None, wednesday)
    assert nxt.astimezone(UTC) == datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # Thu 08:00 Hanoi
    sunday = jobs["feed:tsinghua"].trigger.get_next_fire_time(None, wednesday)
    assert sunday.astimezone(UTC) == datetime(2026, 11, 28, 19, 30, tzinfo=UTC)  # Sun 02:30 +7
    service.scheduler.shutdown(wait=False)


def test_reload_adds_removes_and_reschedules_and_a_bad_config_keeps_the_old_jobs(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    config = write(tmp_path / "c.toml", url, "https://lms.example")
    service = service_for(config)
    service.schedule()
    assert [j.id for j in service.scheduler.get_jobs()] == ["feed:vnu"]

    more = XUETANGX_FEED.format(tsinghua="https://www.xuetangx.com", schedule="15 1 * * *")
    write(config, url, "https://lms.example", vnu_schedule="45 * * * *", more=more)
    assert service.reload()
    jobs = {j.id: j for j in service.scheduler.get_jobs()}
    assert set(jobs) == {"feed:vnu", "feed:tsinghua"}
    assert str(jobs["feed:vnu"].trigger.fields[6]) == "45"  # minute field rescheduled

    good = config.read_text()
    config.write_text(good.replace('schedule = "45 * * * *"', 'schedule = "0 25 * * *"'))
    assert not service.reload()  # refused: the old jobs keep running
    assert {j.id for j in service.scheduler.get_jobs()} == {"feed:vnu", "feed:tsinghua"}
    assert str(service.scheduler.get_job("feed:vnu").trigger.fields[6]) == "45"

    write(config, url, "https://lms.example", vnu_schedule="45 * * * *")  # tsinghua removed
    assert service.reload()
    assert [j.id for j in service.scheduler.get_jobs()] == ["feed:vnu"]
    service.scheduler.shutdown(wait=False)


def test_backoff_grows_exponentially_up_to_the_cap() -> None:
    base, cap = timedelta(minutes=5), timedelta(hours=1)
    assert [backoff(n, base, cap) for n in range(0, 6)] == [
        timedelta(0),
        timedelta(minutes=5),
        timedelta(minutes=10),
        timedelta(minutes=20),
        timedelta(minutes=40),
        timedelta(hours=1),
    ]


@responses.activate
def test_a_failing_feed_backs_off_without_delaying_others_and_a_success_resets_it(
    tmp_path: Path, catalog_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path / "c.toml", catalog_url, feed.BASE, vnu_schedule="* * * * *")
    service = service_for(config)
    service.schedule()
    service.scheduler.resume()
    service.scheduler.pause()
    responses.get(feed.page_url(1, 25), status=500, json={"detail": "down"})
    before = datetime.now(UTC)

    service.run_feed("vnu")
    first = service.feeds["vnu"]
    assert (first.last_status, first.consecutive_failures) == ("failed", 1)
    until = datetime.fromisoformat(first.backoff_until)
    assert timedelta(minutes=4) < until - before <= timedelta(minutes=6)
    assert service.scheduler.get_job(job_id("vnu")).next_run_time >= until - timedelta(seconds=1)

    service.run_feed("vnu")
    second = datetime.fromisoformat(service.feeds["vnu"].backoff_until)
    assert timedelta(minutes=9) < second - before <= timedelta(minutes=11)
    capsys.readouterr()
    assert run(["--config", str(config), "feeds"]) == 0
    header, row = capsys.readouterr().out.splitlines()[:2]
    assert header.split()[-4:] == ["by", "next", "run", "back-off"]  # every value has a header
    assert row.rstrip().endswith(f"until {second.astimezone(UTC):%Y-%m-%d %H:%M} +00:00")

    responses.reset()
    feed.serve([feed.run("C01")], page_size=25)
    service.run_feed("vnu")
    status = service.feeds["vnu"]
    assert (status.last_status, status.consecutive_failures, status.backoff_until) == (
        "succeeded",
        0,
        None,
    )
    job = service.scheduler.get_job(job_id("vnu"))
    assert job.next_run_time - datetime.now(UTC) <= timedelta(minutes=1, seconds=1)
    assert json.loads((tmp_path / "exports" / "catalog.json").read_text())["courses"]
    service.scheduler.shutdown(wait=False)


@responses.activate
def test_a_run_that_raises_is_named_in_one_line_and_the_feed_stays_scheduled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    config = write(tmp_path / "c.toml", f"sqlite:///{tmp_path / 'c.db'}", feed.BASE)
    service = service_for(config)
    service.schedule()
    feed.serve([feed.run("C01")], page_size=25)

    def broken(*_args: object) -> None:
        raise RuntimeError("the exchange rules could not be applied")

    monkeypatch.setattr(after_sync_module, "rebuild_exchange", broken)
    with caplog.at_level(logging.INFO, logger="moocx.service"):
        service.run_job("vnu")  # as APScheduler calls it: it must not raise
    by_event = {r.event: r for r in caplog.records if hasattr(r, "event")}
    assert by_event["run_finished"].outcome == "succeeded"  # the run is still said, and recorded
    crashed = by_event["run_crashed"]
    assert crashed.feed == "vnu" and crashed.levelno == logging.ERROR
    assert crashed.getMessage() == "vnu: the run failed unexpectedly; the schedule goes on"
    assert "the exchange rules could not be applied" in caplog.text  # the traceback follows
    assert service.feeds["vnu"].last_status == "succeeded"
    assert service.scheduler.get_job(job_id("vnu")) is not None
    service.scheduler.shutdown(wait=False)


def test_missed_and_overlapping_runs_are_said_in_the_service_zone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = write(
        tmp_path / "c.toml",
        f"sqlite:///{tmp_path / 'c.db'}",
        "https://lms.example",
        timezone="Asia/Ho_Chi_Minh",
    )
    service = service_for(config)
    due = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    with caplog.at_level(logging.INFO, logger="moocx.service"):
        service._missed(JobExecutionEvent(EVENT_JOB_MISSED, "feed:vnu", "default", due))
        service._overlapped(
            JobSubmissionEvent(EVENT_JOB_MAX_INSTANCES, "feed:vnu", "default", [due])
        )
    missed, overlapped = caplog.records
    assert missed.getMessage().startswith("vnu: the run due at 2026-12-02 08:00 +07:00 was missed")
    assert (missed.event, missed.feed, missed.due) == (
        "run_missed",
        "vnu",
        "2026-12-02T08:00:00+07:00",
    )
    assert overlapped.getMessage() == (
        "vnu: still running; the run due at 2026-12-02 08:00 +07:00 was skipped"
    )
    assert overlapped.event == "run_overlapped"
    service.scheduler.shutdown(wait=False)


def test_status_reports_a_stale_heartbeat_and_a_failing_feed(tmp_path: Path, capsys) -> None:
    config = write(tmp_path / "c.toml", f"sqlite:///{tmp_path / 'c.db'}", "https://lms.example")
    assert run(["--config", str(config), "status"]) == 1
    assert "no status file" in capsys.readouterr().out
    status_file = tmp_path / "status" / "moocx-status.json"
    status_file.parent.mkdir()
    now = datetime.now(UTC)

    def status(heartbeat: datetime, failures: int) -> None:
        status_file.write_text(
            json.dumps(
                {
                    "service": {
                        "pid": 1,
                        "host": "h",
                        "started_at": now.isoformat(),
                        "heartbeat_at": heartbeat.isoformat(),
                        "heartbeat_interval": 1,
                    },
                    "feeds": {
                        "vnu": {
                            "schedule": "* * * * *",
                            "last_status": "failed",
                            "consecutive_failures": failures,
                        }
                    },
                }
            )
        )

    status(now, 1)
    assert run(["--config", str(config), "status"]) == 0
    assert "healthy" in capsys.readouterr().out
    status(now - timedelta(seconds=10), 1)
    assert run(["--config", str(config), "status"]) == 1
    assert "heartbeat is stale" in capsys.readouterr().out
    status(now, 4)
    assert run(["--config", str(config), "status"]) == 1
    assert "feed vnu failed 4 times in a row" in capsys.readouterr().out


# -- real processes ----------------------------------------------------------------------------


def start_serve(config: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scheduler.cli",
            "--config",
            str(config),
            "-v",
            "--log-format",
            "json",
            "serve",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(predicate, timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def read_status(tmp_path: Path) -> dict:
    try:
        return json.loads((tmp_path / "status" / "moocx-status.json").read_text())
    except (OSError, ValueError):
        return {}


def rows(url: str, sql: str) -> list:
    """Query the catalog; [] while the service has not created it yet."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).all()
    except DBAPIError:
        return []
    finally:
        engine.dispose()


@pytest.fixture
def gated():
    platform = GatedPlatform()
    platform.gate.set()
    with DemoServer({"vnu": platform}) as server:
        platform.url = server.url("vnu")
        yield platform
        platform.gate.set()


def test_serve_syncs_on_schedule_rebuilds_exports_and_stops_cleanly_on_sigterm_mid_page(
    gated, tmp_path: Path, catalog_url: str
) -> None:
    config = write(
        tmp_path / "c.toml",
        catalog_url,
        gated.url,
        vnu_schedule="*/2 * * * * *",
        stop_timeout="20s",
    )
    service = start_serve(config)
    try:
        wait_for(
            lambda: (
                read_status(tmp_path).get("feeds", {}).get("vnu", {}).get("last_status")
                == "succeeded"
            ),
            what="a completed scheduled run",
        )
        export = tmp_path / "exports" / "catalog.json"
        assert len(json.loads(export.read_text())["courses"]) == 58

        gated.gate.clear()
        gated.page2_requested.clear()
        assert gated.page2_requested.wait(30), "no second run reached page 2"
        os.kill(service.pid, signal.SIGTERM)
        time.sleep(0.5)  # the service is now waiting for the held page, not exiting
        assert service.poll() is None
        gated.gate.set()  # the page arrives: the sync commits it and stops
        _out, err = service.communicate(timeout=30)
    finally:
        if service.poll() is None:
            service.kill()
    assert service.returncode == 0, err[-3000:]
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(e.get("event") == "stopping" for e in events)
    finished = [e for e in events if e.get("event") == "run_finished"]
    assert finished and finished[-1]["outcome"] == "interrupted" and finished[-1]["feed"] == "vnu"

    last = rows(catalog_url, "SELECT id, status, pages FROM harvest_runs ORDER BY id DESC")[0]
    assert last.status == "interrupted" and last.pages == 2
    feed_row = rows(catalog_url, "SELECT lease_holder, resume_run_id FROM feeds")[0]
    assert feed_row.lease_holder is None and feed_row.resume_run_id == last.id

    assert run(["--config", str(config), "sync", "--quiet"]) == 0
    resumed = rows(catalog_url, "SELECT resumed_from, status FROM harvest_runs ORDER BY id DESC")
    assert tuple(resumed[0]) == (last.id, "succeeded")


def test_two_replicas_never_harvest_one_feed_at_once_and_both_feeds_get_synced(
    tmp_path: Path, catalog_url: str
) -> None:
    from scheduler.demo.server import OpenEdxPlatform

    platforms = {
        "vnu": OpenEdxPlatform(load_sample("vnu_openedx_courses.json")),
        "tsinghua": XuetangXPlatform(load_sample("tsinghua_xuetangx_courses.json")),
    }
    with DemoServer(platforms) as server:
        more = XUETANGX_FEED.format(tsinghua=server.url("tsinghua"), schedule="*/2 * * * * *")
        configs = []
        for replica in ("a", "b"):
            folder = tmp_path / replica
            folder.mkdir()
            configs.append(
                write(
                    folder / "c.toml",
                    catalog_url,
                    server.url("vnu"),
                    vnu_schedule="*/2 * * * * *",
                    more=more,
                )
            )
        replicas = [start_serve(c) for c in configs]
        try:
            wait_for(
                lambda: (
                    len(
                        rows(
                            catalog_url,
                            "SELECT DISTINCT feed_id FROM harvest_runs WHERE status = 'succeeded'",
                        )
                    )
                    == 2
                    and len(rows(catalog_url, "SELECT id FROM harvest_runs")) >= 6
                ),
                timeout=60,
                what="both feeds synced a few times",
            )
        finally:
            for process in replicas:
                process.send_signal(signal.SIGTERM)
            results = [p.communicate(timeout=60) for p in replicas]
    assert [p.returncode for p in replicas] == [0, 0], [r[1][-2000:] for r in results]
    # Both replicas fire on the same ticks: the lease turned one of them away, visibly.
    events = [
        json.loads(line)
        for _out, err in results
        for line in err.splitlines()
        if line.startswith("{")
    ]
    assert any(e.get("event") == "run_finished" and e["outcome"] == "skipped" for e in events)
    runs = rows(
        catalog_url,
        "SELECT feed_id, started_at, finished_at FROM harvest_runs ORDER BY feed_id, started_at",
    )
    for earlier, later in itertools.pairwise(runs):
        if earlier.feed_id == later.feed_id:
            assert earlier.finished_at is not None and earlier.finished_at <= later.started_at, (
                f"two runs of {earlier.feed_id} overlapped"
            )
