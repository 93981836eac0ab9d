"""``moocx status``: read the service's status file and judge it, for humans and monitoring.

Unhealthy (exit 1) when there is no status file, when its heartbeat is older than three
heartbeat intervals (or ``--max-age``), or when a feed has failed more than
``[service] max_consecutive_failures`` times in a row.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from scheduler.config import status_path

if TYPE_CHECKING:
    from scheduler.config import Config


def check_status(config: Config, *, max_age: float | None = None) -> tuple[list[str], bool]:
    """(lines to print, healthy?)"""
    path = status_path(config)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [f"no status file at {path}: is `moocx serve` running?"], False
    except (OSError, ValueError) as exc:
        return [f"cannot read the status file {path}: {exc}"], False
    service = data.get("service", {})
    problems: list[str] = []
    heartbeat = _when(service.get("heartbeat_at"))
    interval = float(service.get("heartbeat_interval") or 30)
    limit = max_age if max_age is not None else 3 * interval
    age = (datetime.now(UTC) - heartbeat).total_seconds() if heartbeat else None
    if age is None or age > limit:
        problems.append(
            f"heartbeat is stale: last at {service.get('heartbeat_at')} "
            f"({age:.0f} s ago, limit {limit:.0f} s)"
            if age is not None
            else "no heartbeat"
        )
    lines = [
        f"service: pid {service.get('pid')} on {service.get('host')}, up since "
        f"{service.get('started_at')}, last heartbeat {service.get('heartbeat_at')}"
        + (" (stopping)" if service.get("stopping") else ""),
    ]
    allowed = config.service.max_consecutive_failures
    for feed_id, feed in sorted(data.get("feeds", {}).items()):
        failures = int(feed.get("consecutive_failures") or 0)
        health = "ok" if failures <= allowed else f"FAILING ({failures} in a row)"
        if failures > allowed:
            problems.append(f"feed {feed_id} failed {failures} times in a row")
        until = feed.get("backoff_until")
        backoff = f", backing off until {until}" if until else ""
        last = f"{feed.get('last_run_id') or '-'} {feed.get('last_status') or '-'}"
        lines.append(
            f"  {feed_id}: last run {last} at {feed.get('last_finished_at') or '-'}; "
            f"next run {feed.get('next_run_at') or '-'}{backoff}; {health}"
        )
    lines.extend(f"UNHEALTHY: {p}" for p in problems)
    if not problems:
        lines.append("healthy")
    return lines, not problems


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
