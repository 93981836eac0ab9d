"""One harvest run of a feed whose lease the sync holds: plan it, feed the connector's pages to
the catalog, and record how it ended.

A failure of any kind — a dead endpoint, a broken page, the catalog refusing a write, a bug in a
third-party connector — ends the run as ``failed`` (or ``interrupted``) with its error recorded
on the harvest run, the feed's URL credentials masked; it is never raised, but for Ctrl-C.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from catalog.derive.policy import HarvestPolicy
from catalog.errors import CatalogError, LeaseLost, lost_message
from catalog.store import harvests, leases
from catalog.store.ingest import Ingestor
from catalog.store.ingest.tally import forget_pass
from connectors.base import Connector, harvest_with
from connectors.errors import CursorExpired, FeedError, HttpStatusError
from connectors.feedlog import FeedLog, feed_prefix
from scheduler import stored_secrets
from scheduler.config import Config
from scheduler.sync_result import FeedResult, Progress

#: The sync's lines keep the name operators filter on (``scheduler.sync: feed vnu: run 1 …``).
log = logging.getLogger("scheduler.sync")

#: Answers to the first request of a resumed harvest that mean "this cursor is stale".
_STALE_CURSOR_STATUSES = frozenset({400, 404, 410})


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
    log: FeedLog


def run_leased(
    config: Config,
    engine: Engine,
    lease: leases.Lease,
    policy: HarvestPolicy,
    make_connector: Callable[[], Connector],
    *,
    progress: Progress,
    stop: threading.Event | None,
    lost: threading.Event,
    trigger: str,
    full: bool,
    accept_withdrawals: bool,
    started: float,
) -> FeedResult:
    """Tidy up after earlier runs, plan and open this run, harvest, and report how it went."""
    feed_id = lease.feed_id
    feed_log = FeedLog(log, feed_id)
    accepted = harvests.prepare_run(engine, lease, accept_withdrawals=accept_withdrawals)
    the_plan = harvests.plan(engine, feed_id, policy, force_full=full)
    run_id = harvests.start_run(engine, feed_id, trigger=trigger, plan=the_plan)
    feed_log.info("run %d (%s: %s)", run_id, the_plan.kind, the_plan.why)
    ingestor = Ingestor(
        engine, feed_id, run_id, lease=lease, policy=policy, subject_mapping=config.subjects
    )
    secrets = stored_secrets.for_feed(config, feed_id)
    run = _Run(the_plan, ingestor, lease, secrets, progress, stop, lost, full, feed_log)
    status, error = _run_harvest(run, make_connector)
    result = _result(run, status, error, accepted, started)
    progress.feed_finished(result)
    return result


def _run_harvest(run: _Run, make_connector: Callable[[], Connector]) -> tuple[str, str | None]:
    """Build the connector and harvest; (status, error). A failure of any kind is recorded on
    the run (with the feed's URL credentials masked), never raised — but for Ctrl-C."""
    prefix = feed_prefix(run.ingestor.feed_id)
    status, error, connector = "failed", None, None
    try:
        connector = make_connector()
        status, error = _harvest(connector, run)
    except FeedError as exc:
        error = str(exc)
        log.error("%s", error)
    except LeaseLost as exc:
        status, error = "interrupted", str(exc)
        log.error("%s", error)
    except (CatalogError, SQLAlchemyError) as exc:
        error = f"{prefix}the catalog failed: {type(exc).__name__}: {exc}"
        log.exception("%s", error)
    except KeyboardInterrupt:
        status, error = "interrupted", "interrupted by the user"
        raise
    except Exception as exc:
        error = f"{prefix}unexpected {type(exc).__name__}: {exc}"
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
        run.log.exception("could not record the end of run %d", ingestor.harvest_id)
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
        recoded=run.ingestor.recoded.changed if run.ingestor.recoded else 0,
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


def _starts_over(plan: harvests.Plan, previous: int | None, number: int) -> bool:
    """True when a page begins the listing again: its number is not past the last page this
    run applied (the connector restarted its harvest, as OAI-PMH does after
    ``badResumptionToken``), or a resumed run's first page is page 1 of the listing although
    its cursor resumed later in it."""
    if previous is not None:
        return number <= previous
    resumed_at = (plan.cursor or {}).get("page") if plan.kind == "resume" else None
    return number == 1 and isinstance(resumed_at, int) and resumed_at > 1


def _start_over(run: _Run, plan: harvests.Plan, number: int) -> harvests.Plan:
    """The connector reads the listing again from page ``number``: count only what this pass
    delivers. The abandoned pass's page rows and rejections go (this pass lists them again,
    and they must not be stored twice); a resumed chain becomes this run's own, since the
    earlier runs' pages belong to a listing nobody finishes."""
    ingestor = run.ingestor
    run.log.warning(
        "the harvest started over at page %d; counting what the restarted harvest delivers",
        number,
    )
    ingestor.flush()
    forget_pass(ingestor.engine, ingestor.harvest_id, run.lease)
    ingestor.tally.start_over()
    if plan.kind != "resume":
        return plan
    harvests.restart_chain(ingestor.engine, ingestor.harvest_id, ingestor.feed_id, plan, run.lease)
    return harvests.Plan("full", None, why="the resumed harvest started over")


def _harvest(connector: Connector, run: _Run) -> tuple[str, str | None]:
    """Feed the connector's pages to the ingestor; (status, error). The catalog gets each
    page with the feed's URL credentials masked, the connector its cursor and the known pages
    (passed beside it) with them back."""
    ingestor, secrets, plan = run.ingestor, run.secrets, run.plan
    feed_id = ingestor.feed_id
    while True:
        cursor, known = secrets.reveal(plan.cursor), secrets.reveal(plan.known_pages)
        previous: int | None = None
        try:
            for page in map(secrets.hide, harvest_with(connector, cursor, known)):
                if _starts_over(plan, previous, page.number):
                    plan = _start_over(run, plan, page.number)
                previous = page.number
                outcome = ingestor.apply(page)
                run.progress.page_done(feed_id, page, outcome, ingestor.tally.received)
                if page.last:
                    return "succeeded", None
                if run.lost.is_set():
                    return "interrupted", lost_message(feed_id)
                if run.stop is not None and run.stop.is_set():
                    ingestor.flush()  # held not-modified pages: the resume starts after them
                    return "interrupted", "stopped before the end of the feed; the next run resumes"
            ingestor.flush()
            return "failed", f"{feed_prefix(feed_id)}the connector stopped without reaching the end"
        except (CursorExpired, HttpStatusError) as exc:
            stale = isinstance(exc, CursorExpired) or exc.status in _STALE_CURSOR_STATUSES
            if plan.kind != "resume" or ingestor.tally.pages or not stale:
                raise
            run.log.warning("cannot resume (%s); starting the harvest over", exc)
            plan = _restart(run)
