"""What `moocx serve` says, read from a real process's stderr: one line at start, one per run,
one per reload (applied, or refused and why), one at stop — the feed id once per line, times in
`[service] timezone` with their offset, APScheduler's own lines only with -vv, the same events
as JSON lines. Then `moocx status` on what that process left behind."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from scheduler.cli import run
from scheduler.demo.server import DemoServer, OpenEdxPlatform, load_sample

ROOT = Path(__file__).resolve().parents[2]
FEED = "vnu-lms"  # distinctive, so a line naming it twice is easy to catch
HANOI = "+07:00"  # Asia/Ho_Chi_Minh has no daylight saving time: always this offset
STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d"

CONFIG = """
[catalog]
url = "{catalog_url}"

[service]
timezone = "Asia/Ho_Chi_Minh"
status_file = "state/serve.json"
heartbeat_interval = "1s"
stop_timeout = "20s"

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
page_size = {page_size}
"""


def write(
    path: Path, catalog_url: str, base: str, schedule: str = "*/2 * * * * *", page_size: int = 25
) -> Path:
    path.write_text(
        CONFIG.format(
            catalog_url=catalog_url, base=base, schedule=schedule, page_size=page_size, feed=FEED
        ),
        "utf-8",
    )
    return path


class Serve:
    """`moocx [ARGS] serve` as a real process; its stderr collected line by line as it comes."""

    def __init__(self, config: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "scheduler.cli", "--config", str(config), *args, "serve"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, predicate: Callable[[str], bool], what: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while True:
            found = next((line for line in self.lines if predicate(line)), None)
            if found is not None:
                return found
            assert self.process.poll() is None or self._reader.is_alive(), (
                f"moocx serve exited before {what}:\n" + "\n".join(self.lines[-30:])
            )
            assert time.monotonic() < deadline, f"timed out waiting for {what}:\n" + "\n".join(
                self.lines[-30:]
            )
            time.sleep(0.05)

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def stop(self) -> list[str]:
        """SIGTERM, then every line it wrote."""
        self.process.send_signal(signal.SIGTERM)
        try:
            assert self.process.wait(30) == 0, "\n".join(self.lines[-30:])
        finally:
            if self.process.poll() is None:
                self.process.kill()
        self._reader.join(10)
        return self.lines


@pytest.fixture
def platform_url():
    with DemoServer({"vnu": OpenEdxPlatform(load_sample("vnu_openedx_courses.json"))}) as server:
        yield server.url("vnu")


def test_serve_says_start_each_run_each_reload_and_stop_in_one_line_each(
    platform_url: str, tmp_path: Path, catalog_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path / "moocx.toml", catalog_url, platform_url)
    serve = Serve(config)
    try:
        serve.wait_for(lambda line: f"{FEED}: succeeded" in line, "a first run")
        write(config, catalog_url, platform_url, schedule="*/3 * * * * *")
        serve.signal(signal.SIGHUP)
        serve.wait_for(lambda line: "reload applied" in line, "the good reload")
        config.write_text(config.read_text().replace("*/3 * * * * *", "0 25 * * *"))
        serve.signal(signal.SIGHUP)
        serve.wait_for(lambda line: "reload refused" in line, "the refused reload")
        # While the config on disk is broken, status still reports from the status file.
        assert run(["--config", str(config), "status"]) == 0
        out, err = capsys.readouterr()
        assert re.fullmatch(
            rf"warning: {re.escape(str(config))} has 1 error \(the first: feeds\[0\].*schedule.*"
            rf"\); reporting from the status file {re.escape(str(tmp_path))}/state/serve.json "
            r"alone\n",
            err,
        ), err
        assert out.splitlines()[0].startswith("service: running, pid ")
        assert out.splitlines()[-1] == "healthy"
    finally:
        lines = serve.stop()

    prefix = rf"{STAMP}:\d\d \+07:00 (INFO |WARNING|ERROR) +moocx\.service: "
    assert lines, "moocx serve said nothing"
    for line in lines:  # by default: the service's own lines, nothing else
        assert re.match(prefix, line), line
        assert line.count(FEED) <= 1, f"the feed id repeated: {line}"
        assert "apscheduler" not in line
    said = [re.sub(prefix, "", line) for line in lines]
    assert re.fullmatch(
        rf"started: 1 feed, pid \d+, times in Asia/Ho_Chi_Minh; {FEED} next {STAMP} "
        rf"\+07:00 \(\*/2 \* \* \* \* \*\)",
        said[0],
    ), said[0]
    runs = [s for s in said if s.startswith(f"{FEED}: ")]
    assert re.fullmatch(
        rf"{FEED}: succeeded \(full\) · new 58 · updated 0 · unchanged 0 · rejected 0 · 4 pages"
        rf" · \d+\.\d s; next run {STAMP} \+07:00",
        runs[0],
    ), runs[0]
    assert all(" succeeded " in r for r in runs), runs
    reloads = [s for s in said if s.startswith("reload ")]
    assert re.fullmatch(
        rf"reload applied from {re.escape(str(config))}: {FEED} next {STAMP} \+07:00 "
        r"\(rescheduled: \*/3 \* \* \* \* \*\)",
        reloads[0],
    ), reloads[0]
    assert reloads[1].startswith(
        f"reload refused, the old schedule keeps running: 1 error in {config}: feeds[0]"
    ), reloads[1]
    assert "25" in reloads[1] and "\n" not in reloads[1]
    assert len(reloads) == 2
    assert re.fullmatch(
        rf"stopped \(SIGTERM\) after \d+ s: {len(runs)} runs? \({len(runs)} succeeded\)", said[-1]
    ), said[-1]
    assert len(said) == 1 + len(runs) + 2 + 1  # start, runs, two reloads, stop: nothing else

    # After the clean stop, status says so: not a stale heartbeat, a stopped service.
    assert run(["--config", str(config), "status"]) == 1  # the config is still broken
    out, err = capsys.readouterr()
    assert "has 1 error" in err
    first, *feeds, verdict = out.splitlines()
    assert re.fullmatch(
        rf"service: stopped at {STAMP} \+07:00 \(a clean stop; pid \d+ on \S+, up since "
        rf"{STAMP} \+07:00\)",
        first,
    ), first
    assert re.fullmatch(
        rf"  {FEED}: last run \d+ succeeded at {STAMP} \+07:00; next run -; ok", feeds[0]
    ), feeds
    assert verdict == "UNHEALTHY: the service is stopped; start it with `moocx serve`"


@pytest.mark.parametrize("verbosity", ["-v", "-vv"])
def test_apscheduler_speaks_only_with_vv(platform_url: str, tmp_path: Path, verbosity: str):
    config = write(tmp_path / "moocx.toml", f"sqlite:///{tmp_path / 'c.db'}", platform_url)
    serve = Serve(config, verbosity)
    try:
        serve.wait_for(lambda line: f"{FEED}: succeeded" in line, "a first run")
    finally:
        lines = serve.stop()
    text = "\n".join(lines)
    assert f"scheduler.sync: feed {FEED}: run 1 (full" in text  # -v: the syncs' own lines
    ours = [line for line in lines if "moocx.service: " in line]
    assert ours[0].split("moocx.service: ")[1].startswith("started: 1 feed")
    apscheduler = [line for line in lines if " apscheduler." in line]
    if verbosity == "-v":
        assert not apscheduler, apscheduler
    else:
        assert any('apscheduler.scheduler: Added job "sync vnu-lms"' in x for x in apscheduler)
        assert any("apscheduler.executors.default: Running job" in x for x in apscheduler)
        assert any("executed successfully" in x for x in apscheduler)


def test_json_lines_carry_the_same_events_with_their_fields(
    platform_url: str, tmp_path: Path
) -> None:
    config = write(tmp_path / "moocx.toml", f"sqlite:///{tmp_path / 'c.db'}", platform_url)
    serve = Serve(config, "--log-format", "json")
    try:
        serve.wait_for(lambda line: '"run_finished"' in line, "a first run")
        serve.signal(signal.SIGHUP)
        serve.wait_for(lambda line: '"reload"' in line, "the reload")
    finally:
        lines = serve.stop()
    events = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {e["logger"] for e in events} == {"moocx.service"}
    kinds = [e["event"] for e in events]
    assert kinds[0] == "service_started" and kinds[-1] == "service_stopped"
    assert "reload" in kinds and "run_finished" in kinds
    start = events[0]
    assert start["timezone"] == "Asia/Ho_Chi_Minh" and isinstance(start["pid"], int)
    [planned] = start["feeds"]
    assert planned["feed"] == FEED and planned["schedule"] == "*/2 * * * * *"
    assert datetime.fromisoformat(planned["next_run"]).utcoffset() == timedelta(hours=7)
    first = next(e for e in events if e["event"] == "run_finished")
    assert first["feed"] == FEED and first["outcome"] == "succeeded"
    assert first["counts"] == {
        "new": 58,
        "updated": 0,
        "unchanged": 0,
        "withdrawn": 0,
        "held": 0,
        "rejected": 0,
        "pages": 4,
        "received": 60,
    }
    assert isinstance(first["duration"], float) and first["duration"] >= 0
    assert datetime.fromisoformat(first["next_run"]).utcoffset() == timedelta(hours=7)
    assert first["error"] is None and first["backoff_until"] is None
    reload = next(e for e in events if e["event"] == "reload")
    assert reload["outcome"] == "applied" and reload["feeds"][0]["feed"] == FEED
    stopped = events[-1]
    assert stopped["signal"] == "SIGTERM" and stopped["unfinished"] == 0
    assert stopped["runs"]["succeeded"] == kinds.count("run_finished")


def test_one_page_is_one_page(platform_url: str, tmp_path: Path, capsys) -> None:
    config = write(
        tmp_path / "moocx.toml", f"sqlite:///{tmp_path / 'c.db'}", platform_url, page_size=100
    )
    assert run(["--config", str(config), "sync", "--quiet"]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert line.endswith(" s") and " · 1 page · " in line, line


def test_status_shows_every_scheduled_feed_and_a_killed_service_as_not_running(
    platform_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path / "moocx.toml", f"sqlite:///{tmp_path / 'c.db'}", platform_url)
    config.write_text(
        config.read_text()
        + f'\n[[feeds]]\nid = "nightly"\ninstitution = "vnu"\nconnector = "openedx"\n'
        f'base_url = "{platform_url}"\nschedule = "30 2 * * *"\n',
        "utf-8",
    )
    serve = Serve(config)
    try:
        serve.wait_for(lambda line: f"{FEED}: succeeded" in line, "a first run")
        assert run(["--config", str(config), "status"]) == 0
        service, *feeds, verdict = capsys.readouterr().out.splitlines()
        assert service.startswith(f"service: running, pid {serve.process.pid} on ")
        assert re.search(
            rf"up since {STAMP} \+07:00, last heartbeat {STAMP}:\d\d \+07:00 \(", service
        )
        assert re.fullmatch(
            r"  nightly: no run yet; next run \d{4}-\d\d-\d\d 02:30 \+07:00; ok", feeds[0]
        )
        assert re.fullmatch(
            rf"  {FEED}: last run \d+ succeeded at {STAMP} \+07:00; next run {STAMP} \+07:00; ok",
            feeds[1],
        ), feeds
        assert verdict == "healthy"
        serve.process.kill()  # kill -9: no clean stop is written
        serve.process.wait(30)
    finally:
        if serve.process.poll() is None:
            serve.process.kill()
    assert run(["--config", str(config), "status"]) == 1
    service, *_feeds, verdict = capsys.readouterr().out.splitlines()
    assert service.startswith(
        f"service: not running: pid {serve.process.pid} on {socket.gethostname()} is gone without "
        "a clean stop"
    ), service
    assert verdict == f"UNHEALTHY: the service is not running (pid {serve.process.pid} is gone)"
