"""Running a sync: build the connector from the config, feed its pages to the catalog.

This is the one place where the two rooms meet. A feed's failure — a dead endpoint, a broken
page, even a bug in a third-party connector — is recorded on its harvest run and reported; it
never stops the other feeds, and it never removes anything the catalog already holds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from catalog import harvests, schema
from catalog.db import make_engine
from catalog.errors import CatalogError
from catalog.ingest import Ingestor, PageOutcome
from connectors import registry
from connectors.base import Connector
from connectors.errors import FeedError
from connectors.records import Page
from scheduler.config import Config

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FeedResult:
    """How one feed's sync ended."""

    feed_id: str
    run_id: int | None
    status: str  # "succeeded", "failed", "interrupted"
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    rejected: int = 0
    pages: int = 0
    received: int = 0
    duration: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"


class Progress(Protocol):
    """Told about a sync as it goes (the CLI draws bars or writes log lines)."""

    def feed_started(self, feed_id: str) -> None: ...

    def page_done(self, feed_id: str, page: Page, outcome: PageOutcome, received: int) -> None: ...

    def feed_finished(self, result: FeedResult) -> None: ...


class NullProgress:
    """Progress that shows nothing (library use, tests, ``moocx sync --quiet``)."""

    def feed_started(self, feed_id: str) -> None:
        pass

    def page_done(self, feed_id: str, page: Page, outcome: PageOutcome, received: int) -> None:
        pass

    def feed_finished(self, result: FeedResult) -> None:
        pass


def open_catalog(config: Config) -> Engine:
    """The catalog engine, its schema current, its institutions and feeds as configured."""
    engine = make_engine(config.catalog_url)
    schema.ensure_current(engine)
    harvests.register(
        engine,
        [
            harvests.InstitutionInfo(
                id=i.id,
                names=i.names.model_dump(exclude_none=True),
                country=i.country,
                timezone=i.timezone,
            )
            for i in config.institutions
        ],
        [
            harvests.FeedInfo(
                id=f.id, institution=f.institution, connector=f.connector, base_url=f.base_url
            )
            for f in config.feeds
        ],
    )
    return engine


def build_connector(
    config: Config, feed_id: str, *, stop: threading.Event | None = None
) -> Connector:
    """The configured connector for ``feed_id``, with its validated options."""
    feed = config.feed(feed_id)
    cls = registry.load(feed.connector)
    return cls(config.feed_context(feed), config.feed_options[feed.id], stop=stop)


def sync_feed(
    config: Config,
    engine: Engine,
    feed_id: str,
    *,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    trigger: str = "cli",
    connector_factory: Callable[[], Connector] | None = None,
) -> FeedResult:
    """Harvest one feed into the catalog now. Never raises for a feed's own failure."""
    progress = progress or NullProgress()
    started = time.monotonic()
    progress.feed_started(feed_id)
    run_id = harvests.start_run(engine, feed_id, trigger=trigger)
    ingestor = Ingestor(engine, feed_id, run_id)
    status, error, complete = "failed", None, False
    connector = None
    try:
        connector = (
            connector_factory()
            if connector_factory
            else build_connector(config, feed_id, stop=stop)
        )
        for page in connector.harvest(None):
            outcome = ingestor.apply(page)
            progress.page_done(feed_id, page, outcome, ingestor.tally.received)
            if page.last:
                complete = True
            if stop is not None and stop.is_set() and not page.last:
                status, error = "interrupted", "stopped before the end of the feed"
                break
        else:
            status = "succeeded"
    except FeedError as exc:
        error = str(exc)
        log.error("%s", error)
    except (CatalogError, SQLAlchemyError) as exc:
        error = f"feed {feed_id}: the catalog failed: {type(exc).__name__}: {exc}"
        log.exception("%s", error)
    except KeyboardInterrupt:
        status, error = "interrupted", "interrupted by the user"
        raise
    except Exception as exc:
        error = f"feed {feed_id}: unexpected {type(exc).__name__}: {exc}"
        log.exception("%s", error)
    finally:
        if connector is not None:
            connector.close()
        harvests.finish_run(engine, run_id, status=status, complete=complete, error=error)
        counts = ingestor.tally.counts()
        result = FeedResult(
            feed_id=feed_id,
            run_id=run_id,
            status=status,
            new=counts["new"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
            withdrawn=ingestor.tally.withdrawn,
            rejected=ingestor.tally.rejected,
            pages=ingestor.tally.pages,
            received=ingestor.tally.received,
            duration=time.monotonic() - started,
            error=error,
        )
        progress.feed_finished(result)
    return result


def sync_feeds(
    config: Config,
    engine: Engine,
    feed_ids: Iterable[str],
    *,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    trigger: str = "cli",
) -> list[FeedResult]:
    """Harvest several feeds one after another; each one's failure is its own."""
    results = []
    for feed_id in feed_ids:
        if stop is not None and stop.is_set():
            break
        results.append(
            sync_feed(config, engine, feed_id, progress=progress, stop=stop, trigger=trigger)
        )
    return results
