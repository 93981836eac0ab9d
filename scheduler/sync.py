"""Running a sync: build the connector from the config, feed its pages to the catalog.

This is the one place where the two rooms meet. A feed's failure — a dead endpoint, a broken
page, even a bug in a third-party connector — is recorded on its harvest run and reported; it
never stops the other feeds, and it never removes anything the catalog already holds.

Here: the catalog opened as configured, a feed's connector built, one feed synced under its
lease (:func:`sync_feed`) and several one after another (:func:`sync_feeds`). The run itself is
:mod:`scheduler.sync_run`; how it ended, :mod:`scheduler.sync_result` (its names are importable
from here too).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from catalog.store import leases
from connectors import registry
from connectors.base import Connector
from connectors.errors import FatalFeedError
from connectors.feedlog import FeedLog, feed_prefix
from scheduler.catalog_setup import open_catalog
from scheduler.config import Config
from scheduler.demo.state import stopped_platform
from scheduler.sync_result import FeedResult, NullProgress, Progress
from scheduler.sync_run import run_leased

__all__ = [
    "FeedResult",
    "NullProgress",
    "Progress",
    "build_connector",
    "open_catalog",
    "refuse_stopped_demo",
    "sync_feed",
    "sync_feeds",
]

log = logging.getLogger(__name__)


def build_connector(
    config: Config, feed_id: str, *, stop: threading.Event | None = None
) -> Connector:
    """The configured connector for ``feed_id``, with its validated options."""
    feed = config.feed(feed_id)
    refuse_stopped_demo(config, feed_id)
    cls = registry.load(feed.connector)
    return cls(config.feed_context(feed), config.feed_options[feed.id], stop=stop)


def refuse_stopped_demo(config: Config, feed_id: str) -> None:
    """A feed of ``moocx demo`` whose sample platform is not running fails at once, in one
    line that says how to start it, instead of retrying a closed port."""
    feed = config.feed(feed_id)
    stopped = stopped_platform(config.path, feed.base_url)
    if stopped:
        raise FatalFeedError(f"{feed_prefix(feed_id)}{stopped}", url=feed.base_url)


def sync_feed(
    config: Config,
    engine: Engine,
    feed_id: str,
    *,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    trigger: str = "cli",
    full: bool = False,
    accept_withdrawals: bool = False,
    connector_factory: Callable[[], Connector] | None = None,
) -> FeedResult:
    """Harvest one feed into the catalog now. Never raises for a feed's own failure.

    Takes the feed's lease first (another live syncer means "skipped"), then resumes an
    unfinished harvest, or runs an incremental or a full one as the plan says.
    """
    progress = progress or NullProgress()
    started = time.monotonic()
    policy = config.policy(config.feed(feed_id))
    lease = leases.acquire(engine, feed_id, policy.lease_ttl)
    if isinstance(lease, leases.LeaseHolder):
        message = f"feed {feed_id} is being synced by {lease.describe()}; skipped"
        log.warning("%s", message)
        result = FeedResult(feed_id=feed_id, run_id=None, status="skipped", error=message)
        progress.feed_finished(result)
        return result
    progress.feed_started(feed_id)
    make = connector_factory or (lambda: build_connector(config, feed_id, stop=stop))
    try:
        with leases.Heartbeat(engine, lease) as heartbeat:
            return run_leased(
                config,
                engine,
                lease,
                policy,
                make,
                progress=progress,
                stop=stop,
                lost=heartbeat.lost,
                trigger=trigger,
                full=full,
                accept_withdrawals=accept_withdrawals,
                started=started,
            )
    finally:
        try:
            leases.release(engine, lease)
        except SQLAlchemyError:
            FeedLog(log, feed_id).warning(
                "could not release the lease; it expires by itself", exc_info=True
            )


def sync_feeds(
    config: Config,
    engine: Engine,
    feed_ids: Iterable[str],
    *,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    trigger: str = "cli",
    full: bool = False,
    accept_withdrawals: bool = False,
) -> list[FeedResult]:
    """Harvest several feeds one after another; each one's failure is its own."""
    results = []
    for feed_id in feed_ids:
        if stop is not None and stop.is_set():
            break
        results.append(
            sync_feed(
                config,
                engine,
                feed_id,
                progress=progress,
                stop=stop,
                trigger=trigger,
                full=full,
                accept_withdrawals=accept_withdrawals,
            )
        )
    return results
