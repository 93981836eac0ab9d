"""What ``moocx serve`` says it does: one line per event, or the same event as one JSON object.

An admin reads the plain lines (``journalctl -u moocx``); monitoring reads ``--log-format json``
(the ``event`` field, then the fields below). Every line names a feed at most once, and every time
is shown in ``[service] timezone`` with its offset. The events, at INFO unless said otherwise:

``service_started``  pid, host, config, timezone, ``feeds`` ([{feed, schedule, next_run}])
``run_finished``     feed, run_id, outcome, mode, resumed, ``counts`` {new, updated, unchanged,
                     withdrawn, held, rejected, pages, received}, duration (seconds),
                     next_run, backoff_until, consecutive_failures, error (WARNING on failure)
``run_crashed``      feed: the run raised (a bug); ERROR, with the traceback
``run_missed``       feed, due: a run the service was down or busy for, past
                     ``misfire_grace_time``; at start (``while_down``) also missed (how many
                     fires) and next_run (WARNING)
``run_caught_up``    feed, due (the first missed), missed, misfire_grace_time (seconds): at
                     start, the runs missed while the service was down run once now
``run_overlapped``   feed, due: a firing skipped because the feed's last run still runs
``reload``           outcome ``applied`` (config, ``feeds``, added, rescheduled, removed) or
                     ``refused`` (config, errors; ERROR)
``stopping``         signal, running, stop_timeout: only when syncs must finish their page first
``service_stopped``  signal, ``runs`` {outcome: count}, uptime (seconds), unfinished

Only :mod:`scheduler.service` calls these; they decide wording, never behaviour.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.feedlog import feed_prefix
from scheduler.display import duration, iso, plural, when
from scheduler.logs import SERVICE_LOGGER
from scheduler.misfires import COUNT_LIMIT, Missed
from scheduler.sync_result import FeedResult

log = logging.getLogger(SERVICE_LOGGER)


@dataclass(frozen=True, slots=True)
class Planned:
    """A feed on the schedule: its crontab line and next run; on a reload, what changed."""

    feed: str
    schedule: str
    next_run: datetime | None
    change: str | None = None  # "added", "rescheduled" (reload only)

    def fields(self, tz: str) -> dict[str, Any]:
        return {"feed": self.feed, "schedule": self.schedule, "next_run": iso(self.next_run, tz)}


def started(feeds: Sequence[Planned], *, tz: str, pid: int, host: str, config: Path) -> None:
    """The first line: which feeds run when."""
    if feeds:
        plan = "; ".join(f"{p.feed} next {when(p.next_run, tz)} ({p.schedule})" for p in feeds)
    else:
        plan = "nothing is scheduled until a reload adds an enabled feed"
    log.info(
        "started: %s, pid %d, times in %s; %s",
        plural(len(feeds), "feed"),
        pid,
        tz,
        plan,
        extra={
            "event": "service_started",
            "pid": pid,
            "host": host,
            "config": str(config),
            "timezone": tz,
            "feeds": [p.fields(tz) for p in feeds],
        },
    )


def run_finished(
    result: FeedResult,
    *,
    tz: str,
    next_run: datetime | None,
    backoff_until: datetime | None,
    failures: int,
    stopping: bool,
) -> None:
    """One line per run: the feed, how it ended, its counts and duration, what comes next."""
    text = result.summary()
    reason = _reason(result)
    if reason:
        text += f": {reason}"
    if backoff_until is not None:
        text += (
            f"; {plural(failures, 'failure')} in a row, backing off until {when(backoff_until, tz)}"
        )
    elif next_run is not None and not stopping:
        text += f"; next run {when(next_run, tz)}"
    quiet = result.status in ("succeeded", "skipped") or (
        result.status == "interrupted" and stopping
    )
    log.log(
        logging.INFO if quiet else logging.WARNING,
        "%s",
        text,
        extra={
            "event": "run_finished",
            "feed": result.feed_id,
            "run_id": result.run_id,
            "outcome": result.status,
            "mode": result.mode,
            "resumed": result.resumed,
            "counts": {
                "new": result.new,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "withdrawn": result.withdrawn,
                "held": result.held,
                "rejected": result.rejected,
                "pages": result.pages,
                "received": result.received,
            },
            "duration": round(result.duration, 3),
            "next_run": None if stopping else iso(next_run, tz),
            "backoff_until": iso(backoff_until, tz),
            "consecutive_failures": failures,
            "error": reason,
        },
    )


def _reason(result: FeedResult) -> str | None:
    """The run's error without the feed id the line already starts with."""
    if not result.error:
        return None
    feed = result.feed_id
    text = result.error.removeprefix(feed_prefix(feed))
    if result.status == "skipped":  # "feed X is being synced by H pid P since T; skipped"
        text = text.removeprefix(f"feed {feed} is ").removesuffix("; skipped")
    return text


def job_crashed(feed: str) -> None:
    """A run raised (a bug, or the catalog failing after the sync): the traceback follows."""
    log.exception(
        "%s: the run failed unexpectedly; the schedule goes on",
        feed,
        extra={"event": "run_crashed", "feed": feed},
    )


def missed(feed: str, due: datetime | None, *, tz: str) -> None:
    log.warning(
        "%s: the run due at %s was missed (the service was down or busy for longer than "
        "misfire_grace_time)",
        feed,
        _at(due, tz),
        extra={"event": "run_missed", "feed": feed, "due": iso(due, tz)},
    )


def missed_while_down(
    missed: Missed, *, tz: str, grace: timedelta, next_run: datetime | None
) -> None:
    """At start: runs that fell due while no service ran — caught up once now, or let go."""
    seconds = grace.total_seconds()
    if missed.count == 1:
        what = f"the run due at {_at(missed.due, tz)} was missed while the service was down"
    else:
        many = f"more than {COUNT_LIMIT}" if missed.count > COUNT_LIMIT else str(missed.count)
        what = (
            f"{many} runs were missed while the service was down, the first due at "
            f"{_at(missed.due, tz)}"
        )
    fields = {"feed": missed.feed, "due": iso(missed.due, tz), "missed": missed.count}
    if missed.run_now:
        log.info(
            "%s: %s; running %s now (within misfire_grace_time, %s)",
            missed.feed,
            what,
            "it" if missed.count == 1 else "once",
            duration(seconds),
            extra={"event": "run_caught_up", **fields, "misfire_grace_time": seconds},
        )
        return
    log.warning(
        "%s: %s, %s than misfire_grace_time (%s) ago; next run %s",
        missed.feed,
        what,
        "more" if missed.count == 1 else "all more",
        duration(seconds),
        when(next_run, tz),
        extra={
            "event": "run_missed",
            **fields,
            "while_down": True,
            "next_run": iso(next_run, tz),
        },
    )


def overlapped(feed: str, due: datetime | None, *, tz: str) -> None:
    log.warning(
        "%s: still running; the run due at %s was skipped",
        feed,
        _at(due, tz),
        extra={"event": "run_overlapped", "feed": feed, "due": iso(due, tz)},
    )


def _at(value: datetime | None, tz: str) -> str:
    """A fire time, to the second when it is not on the minute (a six-field schedule's)."""
    return when(value, tz, seconds=value is not None and value.second != 0)


def reload_applied(
    feeds: Sequence[Planned], removed: Sequence[str], *, tz: str, config: Path
) -> None:
    parts = [
        f"{p.feed} next {when(p.next_run, tz)}"
        + (f" ({p.change}: {p.schedule})" if p.change else "")
        for p in feeds
    ]
    if removed:
        parts.append(f"removed {', '.join(removed)}")
    if not feeds:
        parts.append("no enabled feeds")
    log.info(
        "reload applied from %s: %s",
        config,
        "; ".join(parts),
        extra={
            "event": "reload",
            "outcome": "applied",
            "config": str(config),
            "feeds": [p.fields(tz) for p in feeds],
            "added": [p.feed for p in feeds if p.change == "added"],
            "rescheduled": [p.feed for p in feeds if p.change == "rescheduled"],
            "removed": list(removed),
        },
    )


def reload_refused(errors: Sequence[str], *, config: Path) -> None:
    log.error(
        "reload refused, the old schedule keeps running: %s in %s: %s",
        plural(len(errors), "error"),
        config,
        "; ".join(errors),
        extra={"event": "reload", "outcome": "refused", "config": str(config), "errors": errors},
    )


def stopping(signal_name: str, running: int, timeout: float) -> None:
    log.info(
        "stopping (%s): no new runs; waiting up to %s for %s to finish its page",
        signal_name,
        duration(timeout),
        plural(running, "running sync"),
        extra={
            "event": "stopping",
            "signal": signal_name,
            "running": running,
            "stop_timeout": timeout,
        },
    )


def stopped(
    signal_name: str | None, runs: Mapping[str, int], uptime: float, unfinished: int
) -> None:
    total = sum(runs.values())
    detail = ", ".join(f"{n} {outcome}" for outcome, n in sorted(runs.items()))
    text = f"stopped ({signal_name or 'exit'}) after {duration(uptime)}: {plural(total, 'run')}"
    text += f" ({detail})" if detail else ""
    if unfinished:
        text += (
            f"; {plural(unfinished, 'sync')} still running after stop_timeout were cut off "
            "(the next run resumes from the last committed page)"
        )
    log.log(
        logging.ERROR if unfinished else logging.INFO,
        "%s",
        text,
        extra={
            "event": "service_stopped",
            "signal": signal_name,
            "runs": dict(runs),
            "uptime": round(uptime, 3),
            "unfinished": unfinished,
        },
    )
