"""The :class:`Ingestor`: one harvest run's pages applied to the catalog, each in a transaction.

Each page is applied in one transaction together with the feed's cursor and the run's counters
(:mod:`~catalog.store.ingest.progress`), so a crash loses at most that page and the next run can
resume exactly where the data stops. Not-modified pages are carried over from the last harvest,
several to a transaction. The last page also ends the harvest (:mod:`~catalog.store.ingest.finish`).

Should the database refuse a page's batch because of one record (a constraint validation does
not know, a value the driver cannot encode: ``catalog.store.audit.DATA_ERRORS``), the page is
written again in a new transaction, each course in its own ``SAVEPOINT``: the refused ones are
stored as rejected with the database's reason, the rest lands (shared/RELIABILITY.md C11).
Savepoints cost a round trip each, so they are taken only on that path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy import Connection, Engine

from catalog.derive.policy import HarvestPolicy
from catalog.store import withdrawals
from catalog.store.audit import DATA_ERRORS, URL_CHARS, database_error, refusal
from catalog.store.bulk import Bulk
from catalog.store.ingest import finish
from catalog.store.ingest.items import PageItems, sort_items, store_rejected
from catalog.store.ingest.pages import Validators, page_url, previous_pages, record_page
from catalog.store.ingest.progress import save_counters, save_resume_cursor
from catalog.store.ingest.stored import never_stored
from catalog.store.ingest.tally import HarvestTally, PageOutcome
from catalog.store.ingest.upsert import upsert_courses
from catalog.store.leases import Lease, renew_in
from catalog.store.subject_codes import Recoded, SubjectCodes, ensure_codes
from catalog.store.tables import utcnow
from catalog.store.validate import lone_surrogate
from connectors.feedlog import FeedLog
from connectors.records import CourseRecord, Page, Rejected

log = logging.getLogger(__name__)

#: Not-modified pages stored in one transaction: a 304 costs a small request, so a crash that
#: loses this many only means asking again.
HELD_PAGES = 64


class _BatchRefused(Exception):
    """A page's batch write was refused by the database (one of
    ``catalog.store.audit.DATA_ERRORS``)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class Ingestor:
    """Applies the pages of one harvest run of one feed.

    With a :class:`~catalog.store.leases.Lease`, every page transaction first renews it — and fails
    with :class:`~catalog.store.leases.LeaseLost` if another process took the feed over, so a stale
    syncer can never write over a live one.
    """

    def __init__(
        self,
        engine: Engine,
        feed_id: str,
        harvest_id: int,
        *,
        lease: Lease | None = None,
        policy: HarvestPolicy | None = None,
        subject_mapping: Mapping[str, str] | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.feed_id = feed_id
        #: This module's logger with ``feed <id>:`` in front of each line.
        self.log = FeedLog(log, feed_id)
        self.harvest_id = harvest_id
        self.lease = lease
        self.policy = policy or HarvestPolicy()
        #: The config's extra subject mappings, for the search index's subject labels.
        self.subject_mapping = subject_mapping
        #: Each written course's ISCED codes, decided with that mapping (``courses.isced``).
        self.codes = SubjectCodes(subject_mapping)
        #: What the first page's :meth:`ensure_codes` decided again (a changed mapping).
        self.recoded: Recoded | None = None
        self.now = now
        self.tally = HarvestTally()
        #: Set when the last page was applied: what happened to withdrawals.
        self.decision: withdrawals.Decision | None = None
        #: Not-modified pages waiting to be stored together (see :meth:`flush`).
        self._held: list[Page] = []

    def apply(self, page: Page) -> PageOutcome:
        """Store one page with the feed's cursor and the run's counters, in one transaction.

        The last page also closes the harvest in that same transaction: withdrawals decided
        (or held), the next-harvest cursor saved, the feed's health updated.
        """
        now = self.now()
        if self.recoded is None:
            self.ensure_codes()
        if page.not_modified:
            self._held.append(page)
            if page.last or len(self._held) >= HELD_PAGES:
                return self.flush()
            return PageOutcome()
        if self._held:
            self.flush()
        items = sort_items(page)
        try:
            results, outcome = self._write(page, items, now)
        except _BatchRefused as refused:
            # The safety net (shared/RELIABILITY.md C11): validation let through a record the
            # database refuses. Only now, the page again, each course in its own savepoint.
            self.log.warning(
                "page %d (%s): the database refused the batch (%s); "
                "storing its %d courses one by one",
                page.number,
                page.url,
                database_error(refused.error),
                len(items.records),
            )
            results, outcome = self._write(page, items, now, one_by_one=True)
        outcome.count(results)
        return outcome

    def ensure_codes(self) -> None:
        """Before the harvest's first page: the stored ISCED codes made current for this
        mapping (all decided again if the config's ``[subjects]`` changed), so the courses this
        harvest leaves unchanged carry the same codes as those it writes."""
        self.recoded = ensure_codes(self.engine, self.codes)

    def flush(self) -> PageOutcome:
        """Store the not-modified pages held back so far (the sync calls it before it stops)."""
        if not self._held:
            return PageOutcome()
        held, self._held = self._held, []
        return self._apply_not_modified(held, self.now())

    def _write(
        self, page: Page, items: PageItems, now: datetime, *, one_by_one: bool = False
    ) -> tuple[dict[str, str], PageOutcome]:
        """The page's transaction: its courses, rejections, page row, counters and cursor.

        In one batch; or, ``one_by_one``, each course in a savepoint, those the database refuses
        joining the page's rejected records. Nothing of ``self.tally`` changes before the
        courses are written, so a refused batch can simply be written again.
        """
        outcome = PageOutcome()
        url = page.url[:URL_CHARS]
        rejected = list(items.rejected) if one_by_one else items.rejected
        with self.engine.begin() as conn:
            if self.lease is not None:
                renew_in(conn, self.lease)
            if one_by_one:
                results = self._upsert_each(
                    conn, items.records, rejected=rejected, url=url, now=now, outcome=outcome
                )
            else:
                try:
                    results = self._upsert(conn, items.records, url, now, outcome)
                except DATA_ERRORS as exc:
                    raise _BatchRefused(exc) from exc
            outcome.rejected = len(rejected)
            if items.withdrawn:
                bulk = Bulk(conn)
                self.tally.deleted_unknown += never_stored(bulk, self.feed_id, items.withdrawn)
            if rejected:
                store_rejected(conn, self.harvest_id, rejected, url, now)
            source_count = page.source_count if page.source_count is not None else len(page.items)
            record_page(
                conn,
                self.harvest_id,
                page,
                now,
                keys=list(results),
                withdrawn=items.withdrawn,
                source_count=source_count,
                validators=Validators.of(page),
            )
            self.tally.page_written(
                results, rejected=len(rejected), received=len(page.items), source_count=source_count
            )
            self._advance(conn, page, now)
        return results, outcome

    def _upsert(
        self,
        conn: Connection,
        records: dict[str, CourseRecord],
        url: str,
        now: datetime,
        outcome: PageOutcome,
    ) -> dict[str, str]:
        return upsert_courses(
            conn,
            records,
            feed_id=self.feed_id,
            harvest_id=self.harvest_id,
            page_url=url,
            now=now,
            outcome=outcome,
            codes=self.codes,
        )

    def _upsert_each(
        self,
        conn: Connection,
        records: dict[str, CourseRecord],
        *,
        rejected: list[Rejected],
        url: str,
        now: datetime,
        outcome: PageOutcome,
    ) -> dict[str, str]:
        """Each course in its own ``SAVEPOINT``: one the database refuses is rolled back alone
        and appended to ``rejected`` with the database's reason; the others are written."""
        results: dict[str, str] = {}
        for key, record in records.items():
            mine = PageOutcome()
            try:
                with conn.begin_nested():
                    results.update(self._upsert(conn, {key: record}, url, now, mine))
            except DATA_ERRORS as exc:
                reason = (
                    isinstance(exc, UnicodeEncodeError) and lone_surrogate(record)
                ) or refusal(exc)
                self.log.warning("course %s rejected: %s", key, reason)
                rejected.append(Rejected(reason=reason, key=key, raw=record.raw))
                continue
            outcome.rows_written += mine.rows_written
        return results

    def _apply_not_modified(self, pages: list[Page], now: datetime) -> PageOutcome:
        """Pages the source vouched for (a 304, the same bytes): carry their keys and counts over.

        They go in one transaction together — a crash between them only means asking again —
        with one query for what the last harvest saw on each URL.
        """
        outcome = PageOutcome()
        with self.engine.begin() as conn:
            if self.lease is not None:
                renew_in(conn, self.lease)
            previous = previous_pages(conn, self.feed_id, [page_url(page) for page in pages])
            for page in pages:
                seen = previous.get(page_url(page))
                if seen is None:
                    # Nothing vouches for what the page holds: absence proves nothing now.
                    self.tally.incremental = True
                keys = list(seen.keys or ()) if seen is not None else []
                source_count = seen.source_count if seen is not None else 0
                record_page(
                    conn,
                    self.harvest_id,
                    page,
                    now,
                    keys=keys,
                    withdrawn=[],
                    source_count=source_count,
                    validators=Validators.of(page, seen),
                    not_modified=True,
                )
                outcome.unchanged += len(keys)
                self.tally.page_carried(
                    keys,
                    source_count=source_count,
                    declared=seen.declared_total if seen is not None else None,
                    incremental=page.incremental,
                )
            self._advance(conn, pages[-1], now, counted=True)
        return outcome

    def _advance(
        self, conn: Connection, page: Page, now: datetime, *, counted: bool = False
    ) -> None:
        """Counters, then the resume cursor — or, on the last page, the end of the harvest."""
        if not counted:
            self.tally.pages += 1
        self.tally.incremental = self.tally.incremental or page.incremental
        save_counters(conn, self.harvest_id, self.tally, page)
        if not page.last:
            save_resume_cursor(conn, self.feed_id, self.harvest_id, page, now)
            return
        self.decision = finish.judge_withdrawals(
            conn,
            feed_id=self.feed_id,
            harvest_id=self.harvest_id,
            tally=self.tally,
            policy=self.policy,
            now=now,
        )
        finish.close_harvest(
            conn,
            feed_id=self.feed_id,
            harvest_id=self.harvest_id,
            page=page,
            decision=self.decision,
            tally=self.tally,
            now=now,
        )
