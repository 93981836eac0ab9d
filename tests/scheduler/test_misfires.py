"""Fires `moocx serve` cannot make on time, in real processes on SQLite and PostgreSQL.

S1: a run longer than its interval — the fires that come while it runs are skipped, said in
the service's own words, and the feed runs normally once it is done. S2: the service down at
fire time — a restart runs the missed fires once (coalesced) if the latest of them is younger
than `misfire_grace_time`, and otherwise waits for the next fire; both said in one line.
"""

from __future__ import annotations

import itertools
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, select, update

from catalog.store import tables
from scheduler import misfires
from scheduler.demo.server import DemoServer
from tests.scheduler.test_service_output import Serve
from tests.scheduler.test_sync_processes import GatedPlatform

FEED = "vnu-lms"  # distinctive, so a line naming it twice is easy to catch
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")  # the service's zone: +07:00 all year
STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? \+07:00"  # seconds off the minute
PREFIX = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+07:00 (INFO |WARNING) +moocx\.service: "

CONFIG = """
[catalog]
url = "{catalog_url}"

[service]
timezone = "Asia/Ho_Chi_Minh"
status_file = "state/serve.json"
heartbeat_interval = "1s"
stop_timeout = "20s"
misfire_grace_time = "{grace}"

[[institutions]]
id = "vnu"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[feeds]]
id = "{feed}"
institution = "vnu"
connector = "openedx"
base_url = "{base}"
schedule = "{schedule}"

[feeds.options]
page_size = 25
"""


def write(path: Path, catalog_url: str, base: str, schedule: str, grace: str = "1h") -> Path:
    path.write_text(
        CONFIG.format(
            catalog_url=catalog_url, base=base, schedule=schedule, grace=grace, feed=FEED
        ),
        "utf-8",
    )
    return path


@pytest.fixture
def platform():
    """The VNU demo platform on loopback; page 2 of every harvest waits while the gate is shut."""
    gated = GatedPlatform()
    gated.gate.set()
    with DemoServer({"vnu": gated}) as server:
        gated.url = server.url("vnu")
        yield gated
        gated.gate.set()


def harvest_runs(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            h = tables.harvest_runs.c
            query = select(h.id, h.status, h.trigger, h.started_at, h.finished_at, h.resumed_from)
            return conn.execute(query.order_by(h.id)).all()
    finally:
        engine.dispose()


def stored_next_run(url: str) -> datetime | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            f = tables.feeds.c
            return conn.execute(select(f.next_run_at).where(f.id == FEED)).scalar_one()
    finally:
        engine.dispose()


def store_next_run(url: str, when: datetime) -> None:
    """What the clock does to a stopped service: its planned run is now in the past."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                update(tables.feeds).where(tables.feeds.c.id == FEED).values(next_run_at=when)
            )
    finally:
        engine.dispose()


def service_lines(lines: list[str]) -> list[str]:
    """The service's own lines, without their time stamp and logger."""
    return [re.sub(PREFIX, "", line) for line in lines if "moocx.service:" in line]


# -- S1 ----------------------------------------------------------------------------------------


def test_a_run_longer_than_its_interval_skips_the_fires_that_overlap_it_and_says_so(
    platform: GatedPlatform, tmp_path: Path, catalog_url: str
) -> None:
    """S1: every second a fire, and a harvest held on its page 2 (the gate) for as long as it
    takes to see two fires skipped: exactly one run, each skip one line of the service's own
    (the feed id once, no APScheduler wording), and after the run ends the next fire runs."""
    platform.gate.clear()
    config = write(tmp_path / "moocx.toml", catalog_url, platform.url, "* * * * * *")
    serve = Serve(config)
    try:
        assert platform.page2_requested.wait(60), "the first run never reached page 2"
        skipped = "still running; the run due at"
        serve.wait_for(lambda line: line.count(skipped) == 1 and "moocx.service" in line, "a skip")
        serve.wait_for(
            lambda _line: sum(skipped in line for line in serve.lines) >= 2, "a second skip"
        )
        held = harvest_runs(catalog_url)
        assert [(r.status, r.trigger) for r in held] == [("running", "schedule")]
        assert platform.page2_requests == 1  # nothing else was harvesting meanwhile
        platform.gate.set()  # the long run ends; the next fire must run normally
        serve.wait_for(
            lambda _line: sum(f"{FEED}: succeeded" in line for line in serve.lines) >= 2,
            "a second run after the long one",
        )
    finally:
        platform.gate.set()
        lines = serve.stop()

    ours = service_lines(lines)
    skips = [line for line in ours if skipped in line]
    assert len(skips) >= 2
    for line in skips:
        assert re.fullmatch(rf"{FEED}: still running; the run due at {STAMP} was skipped", line)
    assert not any("maximum number of running instances" in line for line in lines)  # -vv only
    first_skip = ours.index(skips[0])
    finished = [i for i, line in enumerate(ours) if line.startswith(f"{FEED}: succeeded")]
    assert finished[0] > first_skip  # the skips came while the first run was held
    runs = harvest_runs(catalog_url)
    assert [r.status for r in runs[:2]] == ["succeeded", "succeeded"]
    for earlier, later in itertools.pairwise(runs):
        assert earlier.finished_at is not None and earlier.finished_at <= later.started_at


# -- S2 ----------------------------------------------------------------------------------------


def hour_ago_schedule(hours: int) -> tuple[str, datetime, datetime]:
    """A schedule firing every minute of the (Hanoi) hour that began about ``hours`` hours ago:
    60 fires in that hour, none in the next twenty. Returns it, the first of those fires and
    the next one after now."""
    now = datetime.now(HANOI)
    start = (now - timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
    following = start + timedelta(days=1)
    return f"* {start.hour} * * *", start, following


def first_serve(config: Path, catalog_url: str, planned: datetime) -> None:
    """Start the service once and stop it: it stores its plan in the catalog, runs nothing."""
    serve = Serve(config)
    try:
        serve.wait_for(lambda line: "started: 1 feed" in line, "the start")
    finally:
        serve.stop()
    assert stored_next_run(catalog_url) == planned
    assert harvest_runs(catalog_url) == []


def test_a_restart_runs_the_fires_it_missed_once_when_the_latest_is_within_the_grace_time(
    platform: GatedPlatform, tmp_path: Path, catalog_url: str
) -> None:
    """S2: the service stopped before an hour of every-minute fires (the clock moved on:
    its stored plan is now in the past). Restarted with `misfire_grace_time = "3h"`, it runs
    the feed once for all 60 fires, says so in one line, and is back on its schedule."""
    schedule, first, following = hour_ago_schedule(1)
    config = write(tmp_path / "moocx.toml", catalog_url, platform.url, schedule, grace="3h")
    first_serve(config, catalog_url, following)
    store_next_run(catalog_url, first)

    serve = Serve(config)
    try:
        serve.wait_for(lambda line: f"{FEED}: succeeded" in line, "the catch-up run")
    finally:
        lines = serve.stop()

    ours = service_lines(lines)
    caught_up = (
        f"{FEED}: 60 runs were missed while the service was down, the first due at "
        f"{first:%Y-%m-%d %H:%M} +07:00; running once now (within misfire_grace_time, 3 h 00 min)"
    )
    assert ours.count(caught_up) == 1, ours
    assert ours[0].startswith("started: 1 feed") and ours[1] == caught_up
    assert ours[2].startswith(f"{FEED}: succeeded (full)")
    assert [(r.status, r.trigger) for r in harvest_runs(catalog_url)] == [("succeeded", "schedule")]
    assert stored_next_run(catalog_url) == following  # back on its schedule


def test_a_restart_lets_fires_missed_longer_ago_than_the_grace_time_go(
    platform: GatedPlatform, tmp_path: Path, catalog_url: str
) -> None:
    """S2: the same hour of missed fires, its latest about two hours old, with
    `misfire_grace_time = "1h"`: no run now; one line says what was missed and when the feed
    runs next, and the schedule the service stores is that next fire."""
    schedule, first, following = hour_ago_schedule(3)
    config = write(tmp_path / "moocx.toml", catalog_url, platform.url, schedule, grace="1h")
    first_serve(config, catalog_url, following)
    store_next_run(catalog_url, first)

    serve = Serve(config)
    try:
        missed = serve.wait_for(lambda line: "were missed while" in line, "the missed runs")
        assert stored_next_run(catalog_url) == following  # not now: it waits
    finally:
        lines = serve.stop()

    assert re.search(r"\+07:00 WARNING moocx\.service: ", missed)
    assert service_lines([missed]) == [
        f"{FEED}: 60 runs were missed while the service was down, the first due at "
        f"{first:%Y-%m-%d %H:%M} +07:00, all more than misfire_grace_time (1 h 00 min) ago; "
        f"next run {following:%Y-%m-%d %H:%M} +07:00"
    ]
    assert harvest_runs(catalog_url) == []
    assert not any(f"{FEED}: succeeded" in line for line in lines)


def test_a_stop_in_the_middle_of_a_run_keeps_the_next_fire_for_the_restart_to_catch_up(
    platform: GatedPlatform, tmp_path: Path, catalog_url: str
) -> None:
    """S2: SIGTERM while a run waits for its page 2. The run is recorded interrupted and the
    catalog keeps the fire that comes after it (not nothing), so the restart knows it missed
    it: one line, then the harvest resumes at once from the page it stopped at."""
    platform.gate.clear()
    config = write(tmp_path / "moocx.toml", catalog_url, platform.url, "*/2 * * * * *")
    serve = Serve(config)
    try:
        assert platform.page2_requested.wait(60), "the first run never reached page 2"
        serve.signal(15)  # SIGTERM: the run finishes its page, then the service stops
        serve.wait_for(lambda line: "stopping (SIGTERM)" in line, "the stop")
        platform.gate.set()
    finally:
        platform.gate.set()
        serve.stop()
    [interrupted] = harvest_runs(catalog_url)
    assert interrupted.status == "interrupted"
    planned = stored_next_run(catalog_url)
    assert planned is not None and planned > interrupted.started_at.astimezone(UTC)
    while datetime.now(UTC) <= planned:  # the service stays down past that fire
        time.sleep(0.1)

    restarted = Serve(config)
    try:
        restarted.wait_for(lambda line: f"{FEED}: succeeded" in line, "the resumed run")
    finally:
        lines = restarted.stop()
    ours = service_lines(lines)
    assert re.fullmatch(
        rf"{FEED}: (the run due at {STAMP} was|\d+ runs were) missed while the service was "
        rf"down(, the first due at {STAMP})?; running (it|once) now \(within "
        r"misfire_grace_time, 1 h 00 min\)",
        ours[1],
    ), ours
    resumed = harvest_runs(catalog_url)[1]
    assert (resumed.status, resumed.resumed_from) == ("succeeded", interrupted.id)


# -- S2: the rule, as a pure function -------------------------------------------------------------

NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("schedule", "due", "expected"),
    [
        pytest.param("0 * * * *", NOW - timedelta(hours=5), (5, True), id="hourly-latest-fresh"),
        pytest.param("0 3 * * *", NOW - timedelta(minutes=30), (1, True), id="daily-just-missed"),
        pytest.param("0 3 * * *", NOW - timedelta(hours=6, minutes=30), (1, False), id="too-old"),
        pytest.param("0 0 1 1 *", NOW - timedelta(minutes=20), (1, True), id="back-off-end"),
        pytest.param("* * * * * *", NOW - timedelta(days=2), (1001, True), id="counted-to-limit"),
    ],
)
def test_missed_fires_collapse_into_one_run_if_the_latest_is_within_the_grace(
    schedule: str, due: datetime, expected: tuple[int, bool]
) -> None:
    """S2: APScheduler 3's rule for ``coalesce=True`` — one run for every missed fire, on time
    if the latest of them is; a planned run off the schedule (a back-off's end) counts too."""
    [missed] = misfires.missed_runs(
        {"f": due}, {"f": schedule}, timezone="UTC", now=NOW, grace=timedelta(hours=1)
    )
    assert (missed.feed, missed.due, (missed.count, missed.run_now)) == ("f", due, expected)


def test_nothing_is_missed_by_a_feed_never_planned_planned_ahead_or_not_scheduled() -> None:
    planned = {"new": None, "ahead": NOW + timedelta(minutes=1), "disabled": NOW - timedelta(1)}
    schedules = {"new": "* * * * *", "ahead": "* * * * *"}  # "disabled" is not scheduled
    assert (
        misfires.missed_runs(planned, schedules, timezone="UTC", now=NOW, grace=timedelta(hours=1))
        == []
    )
