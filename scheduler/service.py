"""``moocx serve``: every enabled feed harvested on its crontab schedule, for months unattended.

APScheduler 3.x ``BlockingScheduler`` with its in-memory job store: the schedule *is* the config,
rebuilt at start and on SIGHUP, and job stores are never shared between processes (APScheduler's
FAQ: "You can't"). Several replicas may run against one PostgreSQL catalog; the feed leases make
sure a feed is never harvested by two of them at once.

- One job per enabled feed, ``max_instances=1``, coalesced misfires, a misfire grace time and
  optional jitter. The job calls :meth:`Service.run_job` with the feed id — never a secret (the
  job store is in memory, so a job is never serialised). A fire that comes while the feed's last
  run still runs is skipped, and said.
- Runs missed while no service was running are told from the catalog (every feed's planned next
  run is stored there): at start, a feed whose missed fires include one younger than
  ``misfire_grace_time`` runs once now; an older miss waits for the next fire
  (:mod:`scheduler.misfires`). Both are said in one line.
- A failing feed backs off (``backoff_base × 2^(failures-1)``, at most ``backoff_max``) without
  delaying the others; a success returns it to its schedule.
- After a run that changed the catalog, the exchange and the configured ``[[exports]]`` are
  rebuilt, atomically (:mod:`scheduler.after_sync`).
- SIGTERM / SIGINT: no new runs; a running sync finishes its page, records itself interrupted
  with its cursor and releases its lease; the process exits 0 — after ``stop_timeout`` at the
  latest. SIGHUP: the config is read again; a config with errors is refused and the old schedule
  keeps running.
- A status file, rewritten after every run and on a heartbeat, feeds ``moocx status``; a clean
  stop writes ``stopped`` into it (:mod:`scheduler.status`).
- What the service does is said in one line per event (:mod:`scheduler.events`): start, each run,
  each reload, stop. APScheduler's own lines are internals, shown with ``-vv`` only.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from apscheduler.events import (
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_SCHEDULER_STARTED,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from catalog.store import harvests, queries
from catalog.store.tables import utcnow
from scheduler import events, logs
from scheduler import status as status_file
from scheduler.after_sync import after_sync
from scheduler.config import Config, ConfigError, load_config, status_path
from scheduler.exports import build_missing
from scheduler.jobs import Changes, FeedJobs, backoff, feed_of, job_id
from scheduler.misfires import Missed, missed_runs
from scheduler.status import FeedStatus
from scheduler.sync import FeedResult, open_catalog, sync_feed

#: ``backoff`` and ``job_id`` are the schedule's (scheduler/jobs.py), imported from here too.
__all__ = ["Service", "backoff", "job_id", "serve"]

log = logging.getLogger(__name__)


class Service:
    """One ``moocx serve`` process."""

    def __init__(
        self,
        config_path: Path,
        config: Config,
        *,
        scheduler_class: type[BaseScheduler] = BlockingScheduler,
    ) -> None:
        config.require_secrets()  # every enabled feed's ${VAR}s, before anything is scheduled
        self.config_path = config_path
        self.config = config
        self.engine: Engine = open_catalog(config)
        self.stop = threading.Event()
        self.started_at = utcnow()
        self.running = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self.feeds: dict[str, FeedStatus] = {}
        self.outcomes: Counter[str] = Counter()
        self.signal_name: str | None = None
        self.stopped_at: datetime | None = None
        #: Runs that fell due while no service ran, found at start (see :meth:`serve`).
        self.missed_while_down: list[Missed] = []
        #: Each feed's next run when the stop came (a stopped scheduler has no jobs to ask).
        self._planned_at_stop: dict[str, datetime | None] = {}
        self._status_lock = threading.Lock()
        self.scheduler = scheduler_class(
            executors={"default": ThreadPoolExecutor(max_workers=4)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=config.service.timezone,
        )
        self.jobs = FeedJobs(self.scheduler, self.run_job)
        self.scheduler.add_listener(self._overlapped, EVENT_JOB_MAX_INSTANCES)
        self.scheduler.add_listener(self._missed, EVENT_JOB_MISSED)

    @property
    def timezone(self) -> str:
        """``[service] timezone``: schedules are read in it, and every time is shown in it."""
        return self.config.service.timezone

    # -- the schedule -------------------------------------------------------------------------

    def schedule(self) -> tuple[Changes, list[str]]:
        """Make the scheduler's jobs match the config: add, remove, reschedule.

        Returns what changed: ``{feed id: "added" | "rescheduled" | None}`` for every scheduled
        feed, and the feeds removed.
        """
        changes, removed = self.jobs.match(self.config)
        for feed_id in removed:
            self.feeds.pop(feed_id, None)
        for feed in self.config.feeds:
            if feed.id in changes:
                self.feeds.setdefault(feed.id, FeedStatus(schedule=feed.schedule))
                self.feeds[feed.id].schedule = feed.schedule
        return changes, removed

    def next_run(self, feed_id: str, *, planned: bool = False) -> datetime | None:
        """When the feed runs next; None when it is not scheduled or (unless ``planned``) the
        service stops. The catalog keeps the planned one: a restart catches it up."""
        if self.stop.is_set():
            return self._planned_at_stop.get(feed_id) if planned else None
        return self.jobs.next_run(feed_id)

    def planned(self, changes: Changes | None = None) -> list[events.Planned]:
        """Every scheduled feed with its next run, in config order (for the events)."""
        return [
            events.Planned(
                feed=f.id,
                schedule=f.schedule,
                next_run=self.next_run(f.id),
                change=(changes or {}).get(f.id),
            )
            for f in self.config.feeds
            if f.id in self.feeds
        ]

    def reload(self) -> bool:
        """Read the config again; refuse it (and keep the old schedule) if it has errors."""
        try:
            config = load_config(self.config_path)
            config.require_secrets()  # a feed whose secret is unset makes a broken config
        except ConfigError as exc:
            events.reload_refused(exc.errors, config=self.config_path)
            return False
        if config.catalog_url != self.config.catalog_url:
            events.reload_refused(
                ["[catalog] url cannot change while the service runs (restart it instead)"],
                config=self.config_path,
            )
            return False
        logs.redactor().add(config.secrets())
        self.config = config
        open_catalog(config)  # mirror new institutions and feeds
        changes, removed = self.schedule()
        self._publish_schedule()
        events.reload_applied(
            self.planned(changes), removed, tz=self.timezone, config=self.config_path
        )
        return True

    # -- runs ---------------------------------------------------------------------------------

    def run_job(self, feed_id: str) -> None:
        """The scheduled job, of the feed id alone: :meth:`run_feed`, whose crash is named in
        one line while the schedule goes on."""
        try:
            self.run_feed(feed_id)
        except Exception:  # noqa: BLE001 -- the job's last line of defence: name the feed, go on
            events.job_crashed(feed_id)

    def run_feed(self, feed_id: str) -> FeedResult | None:
        if self.stop.is_set():
            return None
        with self._lock:
            self.running += 1
        try:
            result = sync_feed(
                self.config, self.engine, feed_id, stop=self.stop, trigger="schedule"
            )
            self.outcomes[result.status] += 1
            try:
                after_sync(self.config, self.engine, [result], exports=True)
            finally:  # the status file says "succeeded" once the exports are current
                until = self._after_run(feed_id, result)
                events.run_finished(
                    result,
                    tz=self.timezone,
                    next_run=self.next_run(feed_id),
                    backoff_until=until,
                    failures=self.feeds[feed_id].consecutive_failures,
                    stopping=self.stop.is_set(),
                )
            return result
        finally:
            with self._lock:
                self.running -= 1
                self._idle.notify_all()
            self.write_status()

    def _after_run(self, feed_id: str, result: FeedResult) -> datetime | None:
        """Record the run in the feed's status; back off a failing feed. Returns the back-off's
        end, if it backs off."""
        status = self.feeds.setdefault(feed_id, FeedStatus(schedule="?"))
        status.last_run_id = result.run_id
        status.last_status = result.status
        status.last_finished_at = utcnow().isoformat()
        status.last_error = result.error
        if result.status == "skipped":
            return None
        failures = harvests.consecutive_failures(self.engine, feed_id)
        status.consecutive_failures = failures
        until = None
        if result.status == "failed" and not self.stop.is_set():
            until = self.jobs.back_off(feed_id, failures, self.config.service)
        elif result.ok:
            self.jobs.on_schedule(feed_id)
        status.backoff_until = until.isoformat() if until else None
        next_at = self.next_run(feed_id)
        status.next_run_at = next_at.isoformat() if next_at else None
        # Even when stopping: the run this service will not make is what a restart catches up.
        harvests.record_schedule(self.engine, feed_id, self.next_run(feed_id, planned=True), until)
        return until

    def _overlapped(self, event: JobSubmissionEvent) -> None:
        due = event.scheduled_run_times[-1] if event.scheduled_run_times else None
        events.overlapped(feed_of(event.job_id), due, tz=self.timezone)

    def _missed(self, event: JobExecutionEvent) -> None:
        events.missed(feed_of(event.job_id), event.scheduled_run_time, tz=self.timezone)

    def _publish_schedule(self) -> None:
        for feed_id in self.feeds:
            harvests.record_schedule(self.engine, feed_id, self.next_run(feed_id), None)
        self.write_status()

    # -- status -------------------------------------------------------------------------------

    def state(self) -> str:
        """running, stopping (no new runs; running syncs finish their page) or stopped."""
        if self.stopped_at is not None:
            return "stopped"
        return "stopping" if self.stop.is_set() else "running"

    def write_status(self) -> None:
        """Rewrite the status file: the service's state and every feed's last and next run."""
        with self._status_lock:  # the heartbeat, the runs and the stop write it
            for feed_id, feed in self.feeds.items():
                next_at = self.next_run(feed_id)
                feed.next_run_at = next_at.isoformat() if next_at else None
            payload = status_file.payload(
                self.config.service,
                state=self.state(),
                config=self.config_path,
                started_at=self.started_at,
                stopped_at=self.stopped_at,
                feeds=self.feeds,
            )
            path = status_path(self.config)
            try:
                status_file.write(path, payload)
            except OSError as exc:
                log.error("cannot write the status file %s: %s", path, exc)

    def _heartbeat(self) -> None:
        while not self.stop.wait(self.config.service.heartbeat_interval.total_seconds()):
            self.write_status()

    # -- the process --------------------------------------------------------------------------

    def serve(self) -> int:
        """Run until SIGTERM / SIGINT; returns the exit code."""
        self.missed_while_down = self._find_missed()  # before the new schedule overwrites it
        self.schedule()
        self._publish_schedule()
        build_missing(self.config, self.engine)  # else they wait for a sync that changes something
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_reload)
        threading.Thread(target=self._heartbeat, name="heartbeat", daemon=True).start()
        self.scheduler.add_listener(self._started, EVENT_SCHEDULER_STARTED)
        self.scheduler.start()  # blocks until shutdown
        return self._drain()

    def _find_missed(self) -> list[Missed]:
        """The feeds whose planned run (stored in the catalog by the last service) passed."""
        stored = {f.id: f.next_run for f in queries.feed_statuses(self.engine)}
        return missed_runs(
            stored,
            {f.id: f.schedule for f in self.config.feeds if f.enabled},
            timezone=self.timezone,
            now=utcnow(),
            grace=self.config.service.misfire_grace_time,
        )

    def _started(self, _event: object) -> None:
        """The scheduler holds the jobs now, with their run times: catch up what was missed
        while no service ran, then say what runs when."""
        for missed in self.missed_while_down:
            if missed.run_now:
                self.jobs.run_now(missed.feed)
        self._publish_schedule()
        events.started(
            self.planned(),
            tz=self.timezone,
            pid=os.getpid(),
            host=socket.gethostname(),
            config=self.config_path,
        )
        for missed in self.missed_while_down:
            events.missed_while_down(
                missed,
                tz=self.timezone,
                grace=self.config.service.misfire_grace_time,
                next_run=self.next_run(missed.feed),
            )

    def _on_stop(self, signum: int, _frame: Any) -> None:
        if self.stop.is_set():
            return
        self.signal_name = signal.Signals(signum).name
        self._planned_at_stop = {feed_id: self.next_run(feed_id) for feed_id in self.feeds}
        self.stop.set()
        if self.running:
            events.stopping(
                self.signal_name, self.running, self.config.service.stop_timeout.total_seconds()
            )
        self.scheduler.shutdown(wait=False)

    def _on_reload(self, _signum: int, _frame: Any) -> None:
        threading.Thread(target=self.reload, name="reload", daemon=True).start()

    def _drain(self) -> int:
        timeout = self.config.service.stop_timeout.total_seconds()
        with self._idle:
            self._idle.wait_for(lambda: self.running == 0, timeout=timeout)
            still = self.running
        self.stopped_at = utcnow()
        self.write_status()
        uptime = (self.stopped_at - self.started_at).total_seconds()
        events.stopped(self.signal_name, self.outcomes, uptime, still)
        if still:  # past stop_timeout: the next run resumes from the last committed page
            logging.shutdown()
            os._exit(0)
        return 0


def serve(config_path: Path) -> int:
    """``moocx serve``."""
    return Service(config_path, load_config(config_path)).serve()
