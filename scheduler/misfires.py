"""What a restarted ``moocx serve`` does with the runs it missed while it was down (RELIABILITY S2).

APScheduler's job store is in memory on purpose (job stores are never shared between processes,
and the schedule *is* the config), so APScheduler itself cannot know that a run fell due while
no service was running. The catalog does: every feed's planned next run is stored in
``feeds.next_run_at`` when the service starts and after every run, and a stop leaves it there.
At start the service compares it with the clock, with APScheduler 3's own rule for a job with
``coalesce=True``: the missed fires collapse into one, which runs if the latest of them is less
than ``misfire_grace_time`` old, and is dropped (the feed waits for its next fire) otherwise.

A feed with no stored run (never scheduled), a planned run still ahead (the service was not down
at fire time) or a disabled feed has nothing to catch up. Pure functions: the service applies
the decisions and says them (:mod:`scheduler.events`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from scheduler.cron import cron_trigger

#: Missed fires are counted up to this many (a six-field schedule down for a day has 86 400).
COUNT_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Missed:
    """A feed whose planned run passed while the service was down."""

    feed: str
    #: The run the service had planned when it stopped: the first one missed.
    due: datetime
    #: How many fires of the schedule fell in the downtime (at least 1; ``COUNT_LIMIT + 1``
    #: means more than ``COUNT_LIMIT``).
    count: int
    #: True: the latest missed fire is younger than ``misfire_grace_time``, so one run starts
    #: now for all of them; False: the feed waits for its next fire.
    run_now: bool


def missed_runs(
    planned: Mapping[str, datetime | None],
    schedules: Mapping[str, str],
    *,
    timezone: str,
    now: datetime,
    grace: timedelta,
) -> list[Missed]:
    """The scheduled feeds (``schedules``: feed id → crontab line) whose ``planned`` run passed
    before ``now``, in the order of ``schedules``."""
    found = []
    for feed_id, schedule in schedules.items():
        due = planned.get(feed_id)
        if due is None or due >= now:
            continue
        trigger = cron_trigger(schedule, timezone)
        count = len(fires(trigger, due, now, COUNT_LIMIT + 1))
        # Coalesced: one run stands for every missed fire, and it is on time if the latest of
        # them is. The planned run itself counts even when it is not on the schedule (the end
        # of a back-off, or a schedule changed since).
        window = max(due, now - grace)
        run_now = due >= now - grace or bool(fires(trigger, window, now, 1))
        found.append(Missed(feed=feed_id, due=due, count=max(1, count), run_now=run_now))
    return found


def fires(trigger: CronTrigger, start: datetime, end: datetime, limit: int) -> list[datetime]:
    """The trigger's fire times in ``[start, end]``, at most ``limit`` of them."""
    out: list[datetime] = []
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and fire <= end and len(out) < limit:
        out.append(fire)
        fire = trigger.get_next_fire_time(fire, fire)
    return out
