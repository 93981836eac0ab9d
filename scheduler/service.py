"""``moocx serve``: every enabled feed harvested on its crontab schedule, for months unattended.

APScheduler 3.x ``BlockingScheduler`` with its in-memory job store: the schedule *is* the config,
rebuilt at start and on SIGHUP, and job stores are never shared between processes (APScheduler's
FAQ: "You can't"). Several replicas may run against one PostgreSQL catalog; the feed leases make
sure a feed is never harvested by two of them at once.

- One job per enabled feed, ``max_instances=1``, coalesced misfires, a misfire grace time and
  optional jitter. The job calls :func:`run_feed_job` with the feed id — never a secret.
- A failing feed backs off (``backoff_base × 2^(failures-1)``, at most ``backoff_max``) without
  delaying the others; a success returns it to its schedule.
- After a run that changed the catalog, the configured ``[[exports]]`` are rebuilt atomically.
- SIGTERM / SIGINT: no new runs; a running sync finishes its page, records itself interrupted
  with its cursor and releases its lease; the process exits 0 — after ``stop_timeout`` at the
  latest. SIGHUP: the config is read again; a config with errors is refused and the old schedule
  keeps running.
- A status file, rewritten after every run and on a heartbeat, feeds ``moocx status``.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from catalog import harvests
from catalog.tables import utcnow
from connectors.version import __version__
from scheduler.config import Config, ConfigError, load_config, status_path
from scheduler.cron import cron_trigger
from scheduler.exchange_setup import rebuild_exchange
from scheduler.exports import build_missing, rebuild_all
from scheduler.sync import FeedResult, open_catalog, sync_feed

log = logging.getLogger(__name__)

#: The running service, for :func:`run_feed_job` (jobs take the feed id only).
_service: Service | None = None


def run_feed_job(feed_id: str) -> None:
    """The scheduled job: an importable function of the feed id alone."""
    if _service is not None:
        _service.run_feed(feed_id)


@dataclass
class FeedStatus:
    schedule: str
    last_run_id: int | None = None
    last_status: str | None = None
    last_finished_at: str | None = None
    next_run_at: str | None = None
    backoff_until: str | None = None
    consecutive_failures: int = 0
    last_error: str | None = None


def backoff(failures: int, base: timedelta, cap: timedelta) -> timedelta:
    """How long a feed waits after its ``failures``-th failure in a row."""
    if failures <= 0:
        return timedelta(0)
    return min(cap, base * (2 ** min(failures - 1, 30)))


def job_id(feed_id: str) -> str:
    return f"feed:{feed_id}"


class Service:
    """One ``moocx serve`` process."""

    def __init__(
        self,
        config_path: Path,
        config: Config,
        *,
        scheduler_class: type[BaseScheduler] = BlockingScheduler,
    ) -> None:
        self.config_path = config_path
        self.config = config
        self.engine: Engine = open_catalog(config)
        self.stop = threading.Event()
        self.started_at = utcnow()
        self.running = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self.feeds: dict[str, FeedStatus] = {}
        self.scheduler = scheduler_class(
            executors={"default": ThreadPoolExecutor(max_workers=4)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=config.service.timezone,
        )
        self.scheduler.add_listener(self._skipped, EVENT_JOB_MAX_INSTANCES)

    # -- the schedule -------------------------------------------------------------------------

    def schedule(self) -> None:
        """Make the scheduler's jobs match the config: add, remove, reschedule."""
        service = self.config.service
        wanted = {f.id: f for f in self.config.feeds if f.enabled}
        for job in self.scheduler.get_jobs():
            feed_id = job.id.removeprefix("feed:")
            if feed_id not in wanted:
                job.remove()
                self.feeds.pop(feed_id, None)
                log.info("feed %s: removed from the schedule", feed_id)
        for feed in wanted.values():
            trigger = cron_trigger(
                feed.schedule,
                service.timezone,
                jitter=service.jitter.total_seconds() if service.jitter else None,
            )
            job = self.scheduler.get_job(job_id(feed.id))
            if job is None:
                self.scheduler.add_job(
                    run_feed_job,
                    trigger,
                    args=[feed.id],
                    id=job_id(feed.id),
                    name=f"sync {feed.id}",
                    misfire_grace_time=int(service.misfire_grace_time.total_seconds()),
                    replace_existing=True,
                )
                log.info("feed %s: scheduled (%s %s)", feed.id, feed.schedule, service.timezone)
            else:
                job.modify(misfire_grace_time=int(service.misfire_grace_time.total_seconds()))
                job.reschedule(trigger)
            self.feeds.setdefault(
                feed.id, FeedStatus(schedule=feed.schedule)
            ).schedule = feed.schedule

    def next_run(self, feed_id: str) -> datetime | None:
        job = self.scheduler.get_job(job_id(feed_id))
        return getattr(job, "next_run_time", None) if job is not None else None

    def reload(self) -> bool:
        """Read the config again; refuse it (and keep the old schedule) if it has errors."""
        try:
            config = load_config(self.config_path)
        except ConfigError as exc:
            log.error("reload refused, the old schedule keeps running: %s", exc)
            return False
        if config.catalog_url != self.config.catalog_url:
            log.error("reload refused: [catalog] url cannot change while the service runs")
            return False
        self.config = config
        open_catalog(config)  # mirror new institutions and feeds
        self.schedule()
        self._publish_schedule()
        log.info("config reloaded from %s", self.config_path)
        return True

    # -- runs ---------------------------------------------------------------------------------

    def run_feed(self, feed_id: str) -> FeedResult | None:
        if self.stop.is_set():
            return None
        with self._lock:
            self.running += 1
        try:
            result = sync_feed(
                self.config, self.engine, feed_id, stop=self.stop, trigger="schedule"
            )
            log.info(
                "feed %s: %s",
                feed_id,
                result.summary(),
                extra={
                    "feed": feed_id,
                    "run_id": result.run_id,
                    "event": "run_finished",
                    "status": result.status,
                    "new": result.new,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "withdrawn": result.withdrawn,
                    "rejected": result.rejected,
                },
            )
            if result.error and result.status != "succeeded":
                log.warning(
                    "feed %s: %s",
                    feed_id,
                    result.error,
                    extra={"feed": feed_id, "run_id": result.run_id, "event": "run_error"},
                )
            self._after_run(feed_id, result)
            if result.new or result.updated or result.withdrawn:
                rebuild_exchange(self.config, self.engine)
                rebuild_all(self.config, self.engine)
            return result
        finally:
            with self._lock:
                self.running -= 1
                self._idle.notify_all()
            self.write_status()

    def _after_run(self, feed_id: str, result: FeedResult) -> None:
        status = self.feeds.setdefault(feed_id, FeedStatus(schedule="?"))
        status.last_run_id = result.run_id
        status.last_status = result.status
        status.last_finished_at = utcnow().isoformat()
        status.last_error = result.error
        if result.status == "skipped":
            return
        failures = harvests.consecutive_failures(self.engine, feed_id)
        status.consecutive_failures = failures
        job = self.scheduler.get_job(job_id(feed_id))
        until = None
        if result.status == "failed" and job is not None and not self.stop.is_set():
            svc = self.config.service
            until = utcnow() + backoff(failures, svc.backoff_base, svc.backoff_max)
            following = job.trigger.get_next_fire_time(None, utcnow())
            if following is None or until > following:
                job.modify(next_run_time=until)
                log.warning(
                    "feed %s: %d failure(s) in a row; backing off until %s",
                    feed_id,
                    failures,
                    until.isoformat(timespec="seconds"),
                    extra={"feed": feed_id, "event": "backoff"},
                )
            else:
                until = None
        elif result.ok and job is not None and job.next_run_time is not None:
            # A success ends any back-off: back on the schedule.
            scheduled = job.trigger.get_next_fire_time(None, utcnow())
            if scheduled is not None and job.next_run_time > scheduled:
                job.modify(next_run_time=scheduled)
        status.backoff_until = until.isoformat() if until else None
        next_at = self.next_run(feed_id)
        status.next_run_at = next_at.isoformat() if next_at else None
        harvests.record_schedule(self.engine, feed_id, next_at, until)

    def _skipped(self, event: JobEvent) -> None:
        log.warning("%s: still running; this firing was skipped (max_instances=1)", event.job_id)

    def _publish_schedule(self) -> None:
        for feed_id, status in self.feeds.items():
            next_at = self.next_run(feed_id)
            status.next_run_at = next_at.isoformat() if next_at else None
            harvests.record_schedule(self.engine, feed_id, next_at, None)
        self.write_status()

    # -- status -------------------------------------------------------------------------------

    def write_status(self) -> None:
        payload = {
            "service": {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "version": __version__,
                "config": str(self.config_path),
                "started_at": self.started_at.isoformat(),
                "heartbeat_at": utcnow().isoformat(),
                "heartbeat_interval": self.config.service.heartbeat_interval.total_seconds(),
                "stopping": self.stop.is_set(),
            },
            "feeds": {k: asdict(v) for k, v in sorted(self.feeds.items())},
        }
        path = status_path(self.config)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            log.error("cannot write the status file %s: %s", path, exc)

    def _heartbeat(self) -> None:
        while not self.stop.wait(self.config.service.heartbeat_interval.total_seconds()):
            self.write_status()

    # -- the process --------------------------------------------------------------------------

    def serve(self) -> int:
        """Run until SIGTERM / SIGINT; returns the exit code."""
        global _service  # noqa: PLW0603 -- the one service of this process, for run_feed_job
        _service = self
        self.schedule()
        self._publish_schedule()
        build_missing(self.config, self.engine)  # else they wait for a sync that changes something
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_reload)
        threading.Thread(target=self._heartbeat, name="heartbeat", daemon=True).start()
        log.info(
            "moocx serve started: %d feed(s), pid %d",
            len(self.feeds),
            os.getpid(),
            extra={"event": "service_started"},
        )
        self.scheduler.start()  # blocks until shutdown
        return self._drain()

    def _on_stop(self, signum: int, _frame: Any) -> None:
        if self.stop.is_set():
            return
        log.warning(
            "%s received: no new runs; waiting for running syncs to finish their page",
            signal.Signals(signum).name,
            extra={"event": "stopping"},
        )
        self.stop.set()
        self.scheduler.shutdown(wait=False)

    def _on_reload(self, _signum: int, _frame: Any) -> None:
        threading.Thread(target=self.reload, name="reload", daemon=True).start()

    def _drain(self) -> int:
        timeout = self.config.service.stop_timeout.total_seconds()
        with self._idle:
            self._idle.wait_for(lambda: self.running == 0, timeout=timeout)
            still = self.running
        self.write_status()
        if still:
            log.error(
                "%d sync(s) still running after %.0f s; stopping anyway (the next run "
                "resumes from the last committed page)",
                still,
                timeout,
            )
            logging.shutdown()
            os._exit(0)
        log.info("moocx serve stopped", extra={"event": "service_stopped"})
        return 0


def serve(config_path: Path) -> int:
    """``moocx serve``."""
    return Service(config_path, load_config(config_path)).serve()
