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

from catalog.derive.policy import HarvestPolicy
from catalog.errors import CatalogError
from catalog.store import harvests, leases, schema
from catalog.store.db import make_engine
from catalog.store.ingest import Ingestor, PageOutcome
from connectors import registry
from connectors.base import Connector, harvest_with
from connectors.errors import CursorExpired, FatalFeedError, FeedError, HttpStatusError
from connectors.records import Page
from scheduler import stored_secrets
from scheduler.config import Config
from scheduler.demo.state import stopped_platform
from scheduler.display import plural

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FeedResult:
    """How one feed's sync ended."""

    feed_id: str
    run_id: int | None
    status: str  # "succeeded", "failed", "interrupted", "skipped" (another syncer holds it)
    mode: str = "full"
    resumed: bool = False
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    held: int = 0
    #: Deletions the source reported for courses the catalog never stored.
    deleted_unknown: int = 0
    guard: str | None = None
    rejected: int = 0
    pages: int = 0
    received: int = 0
    duration: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    def summary(self) -> str:
        """The one-line summary ``moocx sync`` prints for the feed."""
        if self.status == "skipped":
            return f"{self.feed_id}: skipped"
        counts = (
            f"new {self.new} · updated {self.updated} · unchanged {self.unchanged} · "
            f"rejected {self.rejected}"
        )
        if self.withdrawn:
            counts += f" · withdrawn {self.withdrawn}"
        if self.held:
            counts += f" · held {self.held}"
        if self.deleted_unknown:
            counts += f" · deleted at source: {self.deleted_unknown}"
        mode = self.mode + (", resumed" if self.resumed else "")
        return (
            f"{self.feed_id}: {self.status} ({mode}) · {counts} · {plural(self.pages, 'page')} · "
            f"{self.duration:.1f} s"
        )


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
                language=i.reading_language,
            )
            for i in config.institutions
        ],
        [
            harvests.FeedInfo(
                id=f.id,
                institution=f.institution,
                connector=f.connector,
                base_url=stored_secrets.for_feed(config, f.id).hide(f.base_url),
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
    refuse_stopped_demo(config, feed_id)
    cls = registry.load(feed.connector)
    return cls(config.feed_context(feed), config.feed_options[feed.id], stop=stop)


def refuse_stopped_demo(config: Config, feed_id: str) -> None:
    """A feed of ``moocx demo`` whose sample platform is not running fails at once, in one
    line that says how to start it, instead of retrying a closed port."""
    feed = config.feed(feed_id)
    stopped = stopped_platform(config.path, feed.base_url)
    if stopped:
        raise FatalFeedError(f"feed {feed_id}: {stopped}", url=feed.base_url)


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
    try:
        with leases.Heartbeat(engine, lease) as heartbeat:
            return _sync_leased(
                config,
                engine,
                feed_id,
                lease,
                policy,
                progress=progress,
                stop=stop,
                lost=heartbeat.lost,
                trigger=trigger,
                full=full,
                accept_withdrawals=accept_withdrawals,
                connector_factory=connector_factory,
                started=started,
            )
    finally:
        try:
            leases.release(engine, lease)
        except SQLAlchemyError:
            log.warning(
                "feed %s: could not release the lease; it expires by itself", feed_id, exc_info=True
            )


@dataclass(frozen=True, slots=True)
class _Run:
    """One harvest run of a leased feed: what it was planned as, the ingestor its pages go to
    (which knows the feed, the run and the catalog), and the signals that stop it."""

    plan: harvests.Plan
    ingestor: Ingestor
    lease: leases.Lease
    secrets: stored_secrets.StoredSecrets
    progress: Progress
    stop: threading.Event | None
    lost: threading.Event
    full: bool


def _sync_leased(
    config: Config,
    engine: Engine,
    feed_id: str,
    lease: leases.Lease,
    policy: HarvestPolicy,
    *,
    progress: Progress,
    stop: threading.Event | None,
    lost: threading.Event,
    trigger: str,
    full: bool,
    accept_withdrawals: bool,
    connector_factory: Callable[[], Connector] | None,
    started: float,
) -> FeedResult:
    """Tidy up after earlier runs, plan and open this run, harvest, and report how it went."""
    accepted = harvests.prepare_run(engine, lease, accept_withdrawals=accept_withdrawals)
    the_plan = harvests.plan(engine, feed_id, policy, force_full=full)
    run_id = harvests.start_run(engine, feed_id, trigger=trigger, plan=the_plan)
    log.info("feed %s: run %d (%s: %s)", feed_id, run_id, the_plan.kind, the_plan.why)
    ingestor = Ingestor(
        engine, feed_id, run_id, lease=lease, policy=policy, subject_mapping=config.subjects
    )
    secrets = stored_secrets.for_feed(config, feed_id)
    run = _Run(the_plan, ingestor, lease, secrets, progress, stop, lost, full)
    make = connector_factory or (lambda: build_connector(config, feed_id, stop=stop))
    status, error = _run_harvest(run, make)
    result = _result(run, status, error, accepted, started)
    progress.feed_finished(result)
    return result


def _run_harvest(run: _Run, make_connector: Callable[[], Connector]) -> tuple[str, str | None]:
    """Build the connector and harvest; (status, error). A failure of any kind is recorded on
    the run (with the feed's URL credentials masked), never raised — but for Ctrl-C."""
    feed_id = run.ingestor.feed_id
    status, error, connector = "failed", None, None
    try:
        connector = make_connector()
        status, error = _harvest(connector, run)
    except FeedError as exc:
        error = str(exc)
        log.error("%s", error)
    except leases.LeaseLost as exc:
        status, error = "interrupted", str(exc)
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
        if status != "succeeded":
            status, error = _record_end(run, status, error)
    return status, error


def _record_end(run: _Run, status: str, error: str | None) -> tuple[str, str | None]:
    """Close a run that did not succeed; the status and error recorded."""
    ingestor, hidden = run.ingestor, run.secrets.hide(error)
    try:
        return harvests.finish_run(
            ingestor.engine, ingestor.harvest_id, status=status, error=hidden, lease=run.lease
        )
    except SQLAlchemyError:
        log.exception(
            "feed %s: could not record the end of run %d", ingestor.feed_id, ingestor.harvest_id
        )
        return status, error


def _result(run: _Run, status: str, error: str | None, accepted: int, started: float) -> FeedResult:
    tally, decision = run.ingestor.tally, run.ingestor.decision
    counts = tally.counts()
    return FeedResult(
        feed_id=run.ingestor.feed_id,
        run_id=run.ingestor.harvest_id,
        status=status,
        mode="incremental" if tally.incremental else "full",
        resumed=run.plan.kind == "resume",
        new=counts["new"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        withdrawn=tally.withdrawn + accepted,
        held=tally.held,
        deleted_unknown=tally.deleted_unknown,
        guard="; ".join(decision.reasons) if decision and decision.held else None,
        rejected=tally.rejected,
        pages=tally.pages,
        received=tally.received,
        duration=time.monotonic() - started,
        error=error,
    )


def _restart(run: _Run) -> harvests.Plan:
    """The resume cursor no longer works: this run starts a fresh chain, planned anew."""
    engine, feed_id, policy = run.ingestor.engine, run.ingestor.feed_id, run.ingestor.policy
    fresh = harvests.plan(engine, feed_id, policy, force_full=run.full, ignore_resume=True)
    harvests.restart_chain(engine, run.ingestor.harvest_id, feed_id, fresh, run.lease)
    return fresh


#: Answers to the first request of a resumed harvest that mean "this cursor is stale".
_STALE_CURSOR_STATUSES = frozenset({400, 404, 410})


def _harvest(connector: Connector, run: _Run) -> tuple[str, str | None]:
    """Feed the connector's pages to the ingestor; (status, error). The catalog gets each
    page with the feed's URL credentials masked, the connector its cursor and the known pages
    (passed beside it) with them back."""
    ingestor, secrets, plan = run.ingestor, run.secrets, run.plan
    feed_id = ingestor.feed_id
    while True:
        cursor, known = secrets.reveal(plan.cursor), secrets.reveal(plan.known_pages)
        try:
            for page in map(secrets.hide, harvest_with(connector, cursor, known)):
                outcome = ingestor.apply(page)
                run.progress.page_done(feed_id, page, outcome, ingestor.tally.received)
                if page.last:
                    return "succeeded", None
                if run.lost.is_set():
                    return "interrupted", leases.lost_message(feed_id)
                if run.stop is not None and run.stop.is_set():
                    ingestor.flush()  # held not-modified pages: the resume starts after them
                    return "interrupted", "stopped before the end of the feed; the next run resumes"
            ingestor.flush()
            return "failed", f"feed {feed_id}: the connector stopped without reaching the end"
        except (CursorExpired, HttpStatusError) as exc:
            stale = isinstance(exc, CursorExpired) or exc.status in _STALE_CURSOR_STATUSES
            if plan.kind != "resume" or ingestor.tally.pages or not stale:
                raise
            log.warning("feed %s: cannot resume (%s); starting the harvest over", feed_id, exc)
            plan = _restart(run)


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
