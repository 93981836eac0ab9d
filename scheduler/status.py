"""The service's status file: written by ``moocx serve``, judged by ``moocx status``.

The file holds everything ``moocx status`` needs to judge it — the zone its times are shown in,
the heartbeat interval, the failure threshold — so that a broken config on disk (a half-edited
file, a typo the next SIGHUP will refuse) never blinds the monitoring check.

The service is judged, in this order:

- **stopped**: it wrote ``state = "stopped"`` when it stopped cleanly (SIGTERM, SIGINT);
- **not running**: the file says it runs, on this host, but its pid is gone (a crash, kill -9,
  a reboot); on another host the pid cannot be checked, so the heartbeat rule decides;
- **stale**: its heartbeat is older than three heartbeat intervals (or ``--max-age``);
- a feed has failed more than ``max_consecutive_failures`` times in a row.

Any of these is unhealthy (exit 1); otherwise ``healthy``.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.version import __version__
from scheduler.display import duration, plural, when

if TYPE_CHECKING:
    from scheduler.config import ServiceConfig

#: Version 2 added state, stopped_at, timezone and max_consecutive_failures.
STATUS_VERSION = 2
#: When the status file says nothing about them (version 1 files).
DEFAULT_HEARTBEAT, DEFAULT_MAX_FAILURES = 30.0, 3


@dataclass
class FeedStatus:
    """One feed in the status file, as the service last knew it."""

    schedule: str
    last_run_id: int | None = None
    last_status: str | None = None
    last_finished_at: str | None = None
    next_run_at: str | None = None
    backoff_until: str | None = None
    consecutive_failures: int = 0
    last_error: str | None = None


def payload(
    service: ServiceConfig,
    *,
    state: str,
    config: Path,
    started_at: datetime,
    stopped_at: datetime | None,
    feeds: Mapping[str, FeedStatus],
) -> dict[str, Any]:
    """The status file's content: the service, what it needs to be judged, and its feeds."""
    return {
        "version": STATUS_VERSION,
        "service": {
            "state": state,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "version": __version__,
            "config": str(config),
            "timezone": service.timezone,
            "started_at": started_at.isoformat(),
            "heartbeat_at": datetime.now(UTC).isoformat(),
            "heartbeat_interval": service.heartbeat_interval.total_seconds(),
            "max_consecutive_failures": service.max_consecutive_failures,
            "stopped_at": stopped_at.isoformat() if stopped_at else None,
        },
        "feeds": {k: asdict(v) for k, v in sorted(feeds.items())},
    }


def write(path: Path, payload: dict[str, Any]) -> None:
    """Replace the status file atomically: a reader sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def fallback_path(config_file: Path) -> Path:
    """Where the status file is when the config cannot be validated.

    ``[service] status_file`` if the file is still valid TOML and names one, else the default
    ``moocx-status.json``; relative paths are relative to the config file's folder, as always.
    """
    import tomllib

    from scheduler.config import ServiceConfig

    value: object = ServiceConfig.model_fields["status_file"].default
    try:
        service = tomllib.loads(config_file.read_text(encoding="utf-8")).get("service")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        service = None
    if isinstance(service, dict) and isinstance(service.get("status_file"), str):
        value = service["status_file"]
    target = Path(str(value)).expanduser()
    return target if target.is_absolute() else config_file.resolve().parent / target


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (a zombie, killed but not reaped, does not)."""
    if os.name != "posix":
        return True  # cannot tell: the heartbeat decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: it exists
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def check_status(
    path: Path,
    *,
    timezone: str | None = None,
    max_failures: int | None = None,
    max_age: float | None = None,
    host: str | None = None,
    alive: Callable[[int], bool] = pid_alive,
) -> tuple[list[str], bool]:
    """(lines to print, healthy?). ``timezone`` and ``max_failures`` come from the config when
    it is valid, else from the status file; ``host`` is this machine (tests pretend others)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [f"no status file at {path}: is `moocx serve` running?"], False
    except (OSError, ValueError) as exc:
        return [f"cannot read the status file {path}: {exc}"], False
    service = data.get("service") if isinstance(data, dict) else None
    if not isinstance(service, dict):
        return [f"cannot read the status file {path}: no service record"], False
    tz = timezone or service.get("timezone") or "UTC"
    allowed = max_failures or int(service.get("max_consecutive_failures") or DEFAULT_MAX_FAILURES)
    state = _state(service, host or socket.gethostname(), alive)
    line, problems = _judge_service(service, state, tz, max_age)
    lines = [line]
    for feed_id, feed in sorted((data.get("feeds") or {}).items()):
        scheduled = state in ("running", "elsewhere")
        text, problem = _feed_line(feed_id, feed, tz, allowed, scheduled=scheduled)
        lines.append(text)
        if problem:
            problems.append(problem)
    lines.extend(f"UNHEALTHY: {p}" for p in problems)
    if not problems:
        lines.append("healthy")
    return lines, not problems


def _state(service: dict[str, Any], here: str, alive: Callable[[int], bool]) -> str:
    """running, stopping, stopped, gone (its pid no longer exists) or elsewhere (not this host)."""
    state = service.get("state") or ("stopping" if service.get("stopping") else "running")
    if state == "stopped":
        return state
    if service.get("host") != here:
        return "elsewhere"
    pid = service.get("pid")
    if isinstance(pid, int) and not alive(pid):
        return "gone"
    return str(state)


def _judge_service(
    service: dict[str, Any], state: str, tz: str, max_age: float | None
) -> tuple[str, list[str]]:
    pid, host = service.get("pid"), service.get("host")
    since = when(service.get("started_at"), tz)
    heartbeat = _when(service.get("heartbeat_at"))
    age = (datetime.now(UTC) - heartbeat).total_seconds() if heartbeat else None
    beat = f"last heartbeat {when(heartbeat, tz, seconds=True)}" + (
        f" ({duration(max(age, 0))} ago)" if age is not None else ""
    )
    if state == "stopped":
        stopped = when(service.get("stopped_at") or service.get("heartbeat_at"), tz)
        return (
            f"service: stopped at {stopped} (a clean stop; pid {pid} on {host}, up since {since})",
            ["the service is stopped; start it with `moocx serve`"],
        )
    if state == "gone":
        return (
            f"service: not running: pid {pid} on {host} is gone without a clean stop (a crash, "
            f"kill -9 or a reboot?); up since {since}, {beat}",
            [f"the service is not running (pid {pid} is gone)"],
        )
    where = f"pid {pid} on {host}"
    if state == "elsewhere":
        where += " (another host: its pid cannot be checked from here, the heartbeat decides)"
    doing = "stopping" if state == "stopping" else "running"
    line = f"service: {doing}, {where}, up since {since}, {beat}"
    interval = float(service.get("heartbeat_interval") or DEFAULT_HEARTBEAT)
    limit = max_age if max_age is not None else 3 * interval
    if age is None:
        return line, ["no heartbeat"]
    if age > limit:
        return line, [f"heartbeat is stale: {duration(age)} old, limit {duration(limit)}"]
    return line, []


def _feed_line(
    feed_id: str, feed: dict[str, Any], tz: str, allowed: int, *, scheduled: bool
) -> tuple[str, str | None]:
    failures = int(feed.get("consecutive_failures") or 0)
    failing = failures > allowed
    health = f"FAILING ({failures} in a row)" if failing else "ok"
    if feed.get("last_status"):
        run_id = feed.get("last_run_id")
        last = f"last run {f'{run_id} ' if run_id else ''}{feed['last_status']} at " + when(
            feed.get("last_finished_at"), tz
        )
    else:
        last = "no run yet"
    next_run = when(feed.get("next_run_at"), tz) if scheduled else "-"
    until = feed.get("backoff_until")
    backoff = f", backing off until {when(until, tz)}" if until and scheduled else ""
    text = f"  {feed_id}: {last}; next run {next_run}{backoff}; {health}"
    problem = f"feed {feed_id} failed {plural(failures, 'time')} in a row" if failing else None
    return text, problem


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
