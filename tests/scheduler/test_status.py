"""`moocx status` tells the truth: a service whose pid is gone is not running, one on another
host is judged by its heartbeat, a broken config on disk is warned about and the status file
still read, and every time is shown in `[service] timezone` with its offset. `moocx runs` shows
withdrawn and held counts, its times with their offset too."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.cli import run
from scheduler.demo.server import DemoServer, OpenEdxPlatform, load_sample
from scheduler.display import plural, when
from scheduler.status import pid_alive

GOOD = """
[service]
timezone = "{timezone}"
status_file = "{status_file}"
heartbeat_interval = "10s"

[[institutions]]
id = "vnu"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[feeds]]
id = "vnu"
institution = "vnu"
connector = "openedx"
base_url = "https://lms.example"
"""

STARTED = datetime(2026, 12, 2, 2, 30, tzinfo=UTC)  # 09:30 in Hanoi


def a_gone_pid() -> int:
    """The pid of a process that has exited and been reaped: nothing runs under it now."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not pid_alive(child.pid)
    return child.pid


def status_file(
    path: Path,
    *,
    pid: int,
    host: str,
    heartbeat: datetime,
    state: str = "running",
    timezone: str = "Asia/Ho_Chi_Minh",
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "version": 2,
                "service": {
                    "state": state,
                    "pid": pid,
                    "host": host,
                    "timezone": timezone,
                    "started_at": STARTED.isoformat(),
                    "heartbeat_at": heartbeat.isoformat(),
                    "heartbeat_interval": 10,
                    "max_consecutive_failures": 3,
                    "stopped_at": heartbeat.isoformat() if state == "stopped" else None,
                },
                "feeds": {
                    "vnu": {
                        "schedule": "30 2 * * *",
                        "last_run_id": 7,
                        "last_status": "succeeded",
                        "last_finished_at": STARTED.isoformat(),
                        "next_run_at": (STARTED + timedelta(days=1)).isoformat(),
                        "consecutive_failures": 0,
                    }
                },
            }
        ),
        "utf-8",
    )
    return path


def config_file(
    tmp_path: Path, timezone: str = "Asia/Ho_Chi_Minh", status: str = "run/status.json"
) -> Path:
    path = tmp_path / "moocx.toml"
    path.write_text(GOOD.format(timezone=timezone, status_file=status), "utf-8")
    return path


def status_of(config: Path, capsys, *args: str) -> tuple[int, list[str], str]:
    code = run(["--config", str(config), "status", *args])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_a_service_whose_pid_is_gone_is_not_running(tmp_path: Path, capsys) -> None:
    config = config_file(tmp_path)
    pid = a_gone_pid()
    here = socket.gethostname()
    status_file(tmp_path / "run/status.json", pid=pid, host=here, heartbeat=datetime.now(UTC))
    code, lines, _ = status_of(config, capsys)
    assert code == 1
    assert lines[0].startswith(
        f"service: not running: pid {pid} on {here} is gone without a clean stop"
    ), lines[0]
    assert lines[1] == "  vnu: last run 7 succeeded at 2026-12-02 09:30 +07:00; next run -; ok"
    assert lines[-1] == f"UNHEALTHY: the service is not running (pid {pid} is gone)"


def test_on_another_host_the_heartbeat_decides(tmp_path: Path, capsys) -> None:
    config = config_file(tmp_path)
    path = tmp_path / "run/status.json"
    status_file(path, pid=a_gone_pid(), host="replica-2.example", heartbeat=datetime.now(UTC))
    code, lines, _ = status_of(config, capsys)
    assert code == 0, lines
    assert (
        "on replica-2.example (another host: its pid cannot be checked from here, the "
        in (lines[0])
    )
    assert "up since 2026-12-02 09:30 +07:00" in lines[0]
    assert lines[1] == (
        "  vnu: last run 7 succeeded at 2026-12-02 09:30 +07:00; "
        "next run 2026-12-03 09:30 +07:00; ok"
    )
    assert lines[-1] == "healthy"

    status_file(
        path, pid=1, host="replica-2.example", heartbeat=datetime.now(UTC) - timedelta(minutes=5)
    )
    code, lines, _ = status_of(config, capsys)
    assert code == 1
    assert re.fullmatch(r"UNHEALTHY: heartbeat is stale: [45] min old, limit 30 s", lines[-1])


def test_times_are_shown_in_the_configured_zone_with_their_offset(tmp_path: Path, capsys):
    path = status_file(tmp_path / "run/status.json", pid=1, host="elsewhere", heartbeat=STARTED)
    for zone, expected in [
        ("Asia/Ho_Chi_Minh", "2026-12-02 09:30 +07:00"),
        ("Asia/Shanghai", "2026-12-02 10:30 +08:00"),
        ("UTC", "2026-12-02 02:30 +00:00"),
        ("America/St_Johns", "2026-12-01 23:00 -03:30"),
    ]:
        config = config_file(tmp_path, timezone=zone)
        _code, lines, _ = status_of(config, capsys, "--max-age", "1e12")
        beat = expected.replace(":30 ", ":30:00 ").replace(":00 -", ":00:00 -")
        assert f"up since {expected}, last heartbeat {beat} (" in lines[0], lines[0]
        assert f"last run 7 succeeded at {expected};" in lines[1]
    assert path.exists()


def test_a_broken_config_is_warned_about_and_the_status_file_still_read(
    tmp_path: Path, capsys
) -> None:
    here = socket.gethostname()
    now = datetime.now(UTC)
    # Validation errors: the TOML still says where the status file is.
    config = config_file(tmp_path, status="run/status.json")
    config.write_text(config.read_text() + 'schedule = "0 25 * * *"\nbogus = 1\n', "utf-8")
    status_file(tmp_path / "run/status.json", pid=a_gone_pid(), host=here, heartbeat=now)
    code, lines, err = status_of(config, capsys)
    assert code == 1  # judged: the pid is gone
    assert err.count("\n") == 1 and err.startswith(f"warning: {config} has 2 errors (the first: ")
    assert err.endswith(f"; reporting from the status file {tmp_path}/run/status.json alone\n")
    assert lines[0].startswith("service: not running")
    assert "at 2026-12-02 09:30 +07:00" in lines[1]  # the zone the status file records

    # Not even TOML: the default status file beside the config, in the status file's zone.
    config.write_text("[service\ntimezone = ", "utf-8")
    status_file(
        tmp_path / "moocx-status.json",
        pid=4242,
        host="elsewhere",
        heartbeat=now,
        timezone="Asia/Shanghai",
    )
    code, lines, err = status_of(config, capsys)
    assert code == 0, lines
    assert err.startswith(f"warning: {config} has 1 error (the first: not valid TOML")
    assert f"reporting from the status file {tmp_path}/moocx-status.json alone" in err
    assert "up since 2026-12-02 10:30 +08:00" in lines[0]
    assert lines[-1] == "healthy"

    # --status-file names it outright; no config file at all is only a warning, too.
    other = status_file(
        tmp_path / "elsewhere.json", pid=1, host="h", heartbeat=STARTED, state="stopped"
    )
    code, lines, err = status_of(tmp_path / "missing.toml", capsys, "--status-file", str(other))
    assert code == 1 and "has 1 error (the first: no config file at" in err
    assert lines[0] == (
        "service: stopped at 2026-12-02 09:30 +07:00 (a clean stop; pid 1 on h, up since "
        "2026-12-02 09:30 +07:00)"
    )


def test_no_status_file_is_unhealthy_and_says_where_it_looked(tmp_path: Path, capsys) -> None:
    code, lines, _ = status_of(config_file(tmp_path), capsys)
    assert (code, lines) == (
        1,
        [f"no status file at {tmp_path}/run/status.json: is `moocx serve` running?"],
    )


def test_runs_shows_withdrawn_and_held_and_times_with_their_offset(
    tmp_path: Path, catalog_url: str, capsys
) -> None:
    platform = OpenEdxPlatform(load_sample("vnu_openedx_courses.json"))
    everything = platform.runs
    with DemoServer({"vnu": platform}) as server:
        config = tmp_path / "moocx.toml"
        config.write_text(
            GOOD.format(timezone="Asia/Ho_Chi_Minh", status_file="s.json").replace(
                "https://lms.example", server.url("vnu")
            )
            + f'\n[catalog]\nurl = "{catalog_url}"\n',
            "utf-8",
        )
        assert run(["--config", str(config), "sync", "--quiet"]) == 0
        one_course = everything[0]["id"].split(":", 1)[1].rsplit("+", 1)[0]
        platform.set_runs([r for r in everything if one_course not in r["id"]])
        assert run(["--config", str(config), "sync", "--quiet"]) == 0
        platform.set_runs(everything[:10])  # most courses gone at once: the guard holds them
        assert run(["--config", str(config), "sync", "--quiet"]) == 0
        capsys.readouterr()
        assert run(["--config", str(config), "runs"]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split() == [
        "run", "feed", "started", "status", "new", "upd", "same", "rej",
        "withdrawn", "held", "pages", "secs",
    ]  # fmt: skip
    cells = [re.split(r"\s{2,}", row.strip()) for row in rows]
    assert [c[0] for c in cells] == ["3", "2", "1"]
    assert [c[8] for c in cells] == ["0", "1", "0"]  # run 2 withdrew the one course gone
    assert int(cells[0][9]) > 10 and [c[9] for c in cells[1:]] == ["0", "0"]  # run 3 held
    for c in cells:
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d \+07:00", c[2]), c


@pytest.mark.parametrize(
    ("count", "word", "expected"),
    [(0, "page", "0 pages"), (1, "page", "1 page"), (2, "page", "2 pages"), (1, "run", "1 run")],
)
def test_plural(count: int, word: str, expected: str) -> None:
    assert plural(count, word) == expected


def test_when_names_the_offset_and_reads_naive_values_as_utc() -> None:
    naive = datetime(2026, 12, 2, 2, 30)
    assert when(naive, "Asia/Ho_Chi_Minh") == "2026-12-02 09:30 +07:00"
    assert when(naive.isoformat() + "+00:00", "UTC", seconds=True) == "2026-12-02 02:30:00 +00:00"
    assert when(None, "UTC") == "-"
