"""The service's schedule: one APScheduler job per enabled feed, kept matching the config.

Each job has a stable id (``feed:<id>``), the feed's crontab trigger in ``[service] timezone``
with the configured jitter, ``misfire_grace_time`` and the feed id as its only argument. A
failing feed backs off (``backoff_base × 2^(failures-1)``, at most ``backoff_max``) by moving its
next run, never by delaying the others; a success puts it back on its schedule.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.job import Job
from apscheduler.schedulers.base import BaseScheduler

from catalog.store.tables import utcnow
from scheduler.config import Config, FeedConfig, ServiceConfig
from scheduler.cron import cron_trigger

log = logging.getLogger(__name__)

#: ``{feed id: "added" | "rescheduled" | None}``: what matching the config did to each feed.
Changes = dict[str, str | None]


def job_id(feed_id: str) -> str:
    return f"feed:{feed_id}"


def feed_of(job: str) -> str:
    """The feed id of a job id."""
    return job.removeprefix("feed:")


def backoff(failures: int, base: timedelta, cap: timedelta) -> timedelta:
    """How long a feed waits after its ``failures``-th failure in a row."""
    if failures <= 0:
        return timedelta(0)
    return min(cap, base * (2 ** min(failures - 1, 30)))


class FeedJobs:
    """The scheduler's feed jobs; each runs ``run(feed_id)``."""

    def __init__(self, scheduler: BaseScheduler, run: Callable[[str], None]) -> None:
        self.scheduler = scheduler
        self._run = run
        #: What each scheduled feed's trigger was built from, to tell a reload what changed.
        self._triggers: dict[str, tuple[object, ...]] = {}

    def match(self, config: Config) -> tuple[Changes, list[str]]:
        """Add, remove and reschedule jobs to match the config's enabled feeds. Returns what
        changed for every scheduled feed, and the feeds removed."""
        wanted = {f.id: f for f in config.feeds if f.enabled}
        removed = []
        for job in self.scheduler.get_jobs():
            feed_id = feed_of(job.id)
            if feed_id not in wanted:
                job.remove()
                self._triggers.pop(feed_id, None)
                removed.append(feed_id)
                log.debug("%s: removed from the schedule", feed_id)
        changes = {feed.id: self._put(feed, config.service) for feed in wanted.values()}
        return changes, removed

    def _put(self, feed: FeedConfig, service: ServiceConfig) -> str | None:
        """Schedule ``feed``, or reschedule its job; ``added``, ``rescheduled`` or None."""
        made_of = (feed.schedule, service.timezone, service.jitter)
        jitter = service.jitter.total_seconds() if service.jitter else None
        trigger = cron_trigger(feed.schedule, service.timezone, jitter=jitter)
        grace = max(1, round(service.misfire_grace_time.total_seconds()))  # whole seconds, ≥ 1
        job = self.job(feed.id)
        before = self._triggers.get(feed.id)
        self._triggers[feed.id] = made_of
        if job is not None:
            job.modify(misfire_grace_time=grace)
            job.reschedule(trigger)
            return "rescheduled" if before != made_of else None
        self.scheduler.add_job(
            self._run,
            trigger,
            args=[feed.id],
            id=job_id(feed.id),
            name=f"sync {feed.id}",
            misfire_grace_time=grace,
            replace_existing=True,
        )
        log.debug("%s: scheduled (%s %s)", feed.id, feed.schedule, service.timezone)
        return "added"

    def job(self, feed_id: str) -> Job | None:
        return self.scheduler.get_job(job_id(feed_id))

    def next_run(self, feed_id: str) -> datetime | None:
        """When the feed's job runs next; None when it is not scheduled."""
        job = self.job(feed_id)
        if job is None:
            return None
        if hasattr(job, "next_run_time"):
            return job.next_run_time
        # A job added before the scheduler started has no run time yet: its trigger's next one.
        return job.trigger.get_next_fire_time(None, datetime.now(job.trigger.timezone))

    def run_now(self, feed_id: str) -> None:
        """Run the feed once now (every fire it missed, coalesced into one)."""
        job = self.job(feed_id)
        if job is not None:
            job.modify(next_run_time=utcnow())

    def back_off(self, feed_id: str, failures: int, service: ServiceConfig) -> datetime | None:
        """Move a failing feed's next run to the end of its back-off, unless its next scheduled
        run comes later anyway. Returns the back-off's end, if it backs off."""
        job = self.job(feed_id)
        if job is None:
            return None
        until = utcnow() + backoff(failures, service.backoff_base, service.backoff_max)
        following = job.trigger.get_next_fire_time(None, utcnow())
        if following is not None and until <= following:
            return None
        job.modify(next_run_time=until)  # said by the run's line (events.run_finished)
        return until

    def on_schedule(self, feed_id: str) -> None:
        """A success ends any back-off: the feed's next run is its scheduled one again."""
        job = self.job(feed_id)
        if job is None or job.next_run_time is None:
            return
        scheduled = job.trigger.get_next_fire_time(None, utcnow())
        if scheduled is not None and job.next_run_time > scheduled:
            job.modify(next_run_time=scheduled)
