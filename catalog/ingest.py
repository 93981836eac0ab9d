"""Applying a harvest's pages to the catalog: idempotent, batched upserts with content hashes.

One :class:`Ingestor` serves one harvest run. Each page is applied in one transaction together
with the feed's cursor and the run's counters, so a crash loses at most that page and the next
run can resume exactly where the data stops. Per page there is one ``SELECT`` of the stored
hashes, then one batched ``INSERT`` and one batched ``UPDATE`` per table, touching only rows
whose content hash changed: a second sync of an unchanged feed writes no course or run row.

Records are validated first (``catalog.validate``: the columns' own limits, on every backend).
Should the database still refuse a page's batch because of one record (a constraint validation
does not know, a value the driver cannot encode: ``catalog.audit.DATA_ERRORS``), the page is
written again in a new transaction, each course in its own ``SAVEPOINT``: the refused ones are
stored as rejected with the database's reason, the rest lands (shared/RELIABILITY.md C11).
Savepoints cost a round trip each, so they are taken only on that path.

Counting is per course per harvest: a course whose runs arrive on several pages is counted once,
as new, updated or unchanged.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Engine, delete, func, insert, select, update

from catalog import tables, textsearch, withdrawals
from catalog.audit import (
    DATA_ERRORS,
    REASON_CHARS,
    URL_CHARS,
    audit_key,
    audit_text,
    database_error,
    excerpt,
    raw_text,
    refusal,
)
from catalog.bulk import CHUNK, Bulk
from catalog.leases import Lease, renew_in
from catalog.policy import HarvestPolicy
from catalog.tables import utcnow
from catalog.validate import (
    PRECEDENCE_LIMIT,
    InvalidRecord,
    key_problem,
    lone_surrogate,
    stored_precedence,
    validate,
)
from connectors.records import CourseRecord, Page, Rejected, Withdrawn
from connectors.records import CourseRun as RunRecord

log = logging.getLogger(__name__)

#: Not-modified pages stored in one transaction: a 304 costs a small request, so a crash that
#: loses this many only means asking again.
HELD_PAGES = 64

COURSE_FIELDS = (
    "title",
    "short_description",
    "description",
    "language",
    "organization",
    "subjects",
    "level",
    "effort",
    "credits",
    "pacing",
    "url",
    "image_url",
    "is_free",
    "certificate",
    "source_modified_at",
)
_SUBJECTS, _MODIFIED = COURSE_FIELDS.index("subjects"), COURSE_FIELDS.index("source_modified_at")
_PAGE_COLUMNS = (
    "run_id",
    "number",
    "url",
    "keys",
    "withdrawn_keys",
    "source_count",
    "etag",
    "last_modified",
    "digest",
    "next_cursor",
    "not_modified",
    "created_at",
)
#: Columns a new course row has beyond its fields, and a rewritten one (then its id).
_INSERT_EXTRA = (
    "feed_id",
    "key",
    "status",
    "content_hash",
    "precedence",
    "first_seen_at",
    "last_seen_at",
    "updated_at",
    "first_harvest_id",
    "last_harvest_id",
    "source_url",
)
_UPDATE_EXTRA = (
    "content_hash",
    "precedence",
    "status",
    "last_seen_at",
    "updated_at",
    "last_harvest_id",
    "source_url",
)
RUN_FIELDS = (
    "title",
    "start",
    "end",
    "enrollment_start",
    "enrollment_end",
    "pacing",
    "url",
    "availability",
    "is_free",
    "price",
    "currency",
    "certificate",
)


@dataclass
class PageOutcome:
    """What one page did to the catalog."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    rejected: int = 0
    rows_written: int = 0


@dataclass
class HarvestTally:
    """Per-course outcomes across the harvest, so that a course split across pages counts once.

    Memory stays flat: outcomes are remembered for the courses of the last :data:`WINDOW`
    pages only (the pieces of a split course come on neighbouring pages), which keeps the
    running counts right as the pages go; when the harvest ends, :meth:`settle` replaces them
    with the exact counts from the catalog (``Ingestor._exact_counts``).
    """

    withdrawn: int = 0
    held: int = 0
    #: Deletions the source reported for keys this feed never stored (nothing to withdraw).
    deleted_unknown: int = 0
    rejected: int = 0
    received: int = 0
    source_count: int = 0
    #: The distinct totals the source declared during the run, in order, and the last one. A
    #: not-modified page declares again what its run declared last (the same bytes carry the
    #: same total). More than one means the listing changed while it was read (C7).
    declared: list[int] = field(default_factory=list)
    last_declared: int | None = None
    pages: int = 0
    incremental: bool = False
    _counts: Counter[str] = field(default_factory=Counter)
    #: key -> (outcome, the page that last listed it), for the keys of the last WINDOW pages.
    _recent: dict[str, tuple[str, int]] = field(default_factory=dict)
    _page_keys: deque[list[str]] = field(default_factory=deque)

    WINDOW: ClassVar[int] = 8

    def counts(self) -> Counter[str]:
        return Counter({name: n for name, n in self._counts.items() if n})

    def note(self, key: str, result: str) -> None:
        previous = self._recent.get(key)
        if previous is None:
            self._counts[result] += 1
        elif previous[0] == "unchanged" and result == "updated":
            self._counts["unchanged"] -= 1
            self._counts["updated"] += 1
        else:
            result = previous[0]
        self._recent[key] = (result, self.pages)

    def page_done(self, keys: list[str]) -> None:
        """Forget the keys of the page that falls out of the window (unless listed since)."""
        self._page_keys.append(keys)
        if len(self._page_keys) > self.WINDOW:
            oldest = self.pages - self.WINDOW
            for key in self._page_keys.popleft():
                entry = self._recent.get(key)
                if entry is not None and entry[1] <= oldest:
                    del self._recent[key]

    def declare(self, total: int | None) -> None:
        if total is None:
            return
        if total not in self.declared:
            self.declared.append(total)
        self.last_declared = total

    def settle(self, new: int, updated: int, unchanged: int) -> None:
        """The exact counts of the whole harvest, from the catalog."""
        self._counts = Counter(new=new, updated=updated, unchanged=unchanged)


def course_values(record: CourseRecord) -> tuple[Any, ...]:
    """The record's course fields, in :data:`COURSE_FIELDS` order."""
    return (
        record.title,
        record.short_description,
        record.description,
        record.language,
        record.organization,
        list(record.subjects),
        record.level,
        record.effort,
        record.credits,
        record.pacing,
        record.url,
        record.image_url,
        record.is_free,
        record.certificate,
        record.modified,
    )


def run_values(run: RunRecord) -> tuple[Any, ...]:
    """The run's fields, in :data:`RUN_FIELDS` order."""
    return (
        run.title,
        run.start,
        run.end,
        run.enrollment_start,
        run.enrollment_end,
        run.pacing,
        run.url,
        run.availability,
        run.is_free,
        run.price,
        run.currency,
        run.certificate,
    )


def content_hash(values: Sequence[Any]) -> str:
    """A stable digest of the stored values; datetimes hashed as UTC instants.

    The stored hashes of every catalog depend on this exact text: changing it makes the next
    harvest rewrite every course once.
    """
    text = _HASH_ENCODER.encode(values)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _timestamp(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not a stored value")


#: The C encoder turns datetimes into their timestamps itself (``default``), with no Python loop.
_HASH_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_timestamp)


class _BatchRefused(Exception):
    """A page's batch write was refused by the database (one of ``catalog.audit.DATA_ERRORS``)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class Ingestor:
    """Applies the pages of one harvest run of one feed.

    With a :class:`~catalog.leases.Lease`, every page transaction first renews it — and fails
    with :class:`~catalog.leases.LeaseLost` if another process took the feed over, so a stale
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
        self.harvest_id = harvest_id
        self.lease = lease
        self.policy = policy or HarvestPolicy()
        #: The config's extra subject mappings, for the search index's subject labels.
        self.subject_mapping = subject_mapping
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
        if page.not_modified:
            self._held.append(page)
            if page.last or len(self._held) >= HELD_PAGES:
                return self.flush()
            return PageOutcome()
        if self._held:
            self.flush()
        records, rejected, withdrawn = self._sort(page)
        try:
            results, outcome = self._write(page, records, rejected, withdrawn, now)
        except _BatchRefused as refused:
            # The safety net (shared/RELIABILITY.md C11): validation let through a record the
            # database refuses. Only now, the page again, each course in its own savepoint.
            log.warning(
                "feed %s: page %d (%s): the database refused the batch (%s); "
                "storing its %d courses one by one",
                self.feed_id,
                page.number,
                page.url,
                database_error(refused.error),
                len(records),
            )
            results, outcome = self._write(page, records, rejected, withdrawn, now, one_by_one=True)
        for result in results.values():
            setattr(outcome, result, getattr(outcome, result) + 1)
        return outcome

    def _sort(self, page: Page) -> tuple[dict[str, CourseRecord], list[Rejected], list[str]]:
        """The page's valid records by key (duplicates collapse to the last), its rejected
        items (the connector's and validation's) and the keys it withdraws."""
        records: dict[str, CourseRecord] = {}
        rejected: list[Rejected] = []
        withdrawn: list[str] = []
        for item in page.items:
            if isinstance(item, CourseRecord):
                try:
                    validate(item)
                except InvalidRecord as exc:
                    rejected.append(Rejected(reason=exc.reason, key=item.key, raw=item.raw))
                    continue
                records[item.key] = (
                    item
                    if len(item.precedence) <= PRECEDENCE_LIMIT
                    else replace(item, precedence=stored_precedence(item.precedence))
                )
            elif isinstance(item, Withdrawn):
                problem = key_problem(item.key)
                if problem is None:
                    withdrawn.append(item.key)
                else:  # no stored course has such a key, and it must not reach a query
                    rejected.append(Rejected(reason=f"deletion: {problem}", key=item.key))
            else:
                rejected.append(item)
        return records, rejected, withdrawn

    def _write(
        self,
        page: Page,
        records: dict[str, CourseRecord],
        rejected: list[Rejected],
        withdrawn: list[str],
        now: datetime,
        *,
        one_by_one: bool = False,
    ) -> tuple[dict[str, str], PageOutcome]:
        """The page's transaction: its courses, rejections, page row, counters and cursor.

        In one batch; or, ``one_by_one``, each course in a savepoint, those the database refuses
        joining the page's rejected records. Nothing of ``self.tally`` changes before the
        courses are written, so a refused batch can simply be written again.
        """
        outcome = PageOutcome()
        page_url = page.url[:URL_CHARS]
        with self.engine.begin() as conn:
            if self.lease is not None:
                renew_in(conn, self.lease)
            if one_by_one:
                rejected = list(rejected)
                results = self._upsert_each(
                    conn, records, rejected=rejected, page_url=page_url, now=now, outcome=outcome
                )
            else:
                try:
                    results = self._upsert_courses(conn, records, page_url, now, outcome)
                except DATA_ERRORS as exc:
                    raise _BatchRefused(exc) from exc
            outcome.rejected = len(rejected)
            if withdrawn:
                self.tally.deleted_unknown += self._never_stored(conn, withdrawn)
            if rejected:
                self._store_rejected(conn, rejected, page_url, now)
            source_count = page.source_count if page.source_count is not None else len(page.items)
            validators = page.validators or {}
            self._record_page(
                conn,
                page,
                now,
                keys=list(results),
                withdrawn=withdrawn,
                source_count=source_count,
                etag=validators.get("etag"),
                last_modified=validators.get("last_modified"),
                digest=validators.get("digest"),
            )
            for key, result in results.items():
                self.tally.note(key, result)
            self.tally.page_done(list(results))
            self.tally.rejected += len(rejected)
            self.tally.received += len(page.items)
            self.tally.source_count += source_count
            self._advance(conn, page, now)
        return results, outcome

    def _upsert_each(
        self,
        conn: Any,
        records: dict[str, CourseRecord],
        *,
        rejected: list[Rejected],
        page_url: str,
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
                    results.update(self._upsert_courses(conn, {key: record}, page_url, now, mine))
            except DATA_ERRORS as exc:
                reason = (
                    isinstance(exc, UnicodeEncodeError) and lone_surrogate(record)
                ) or refusal(exc)
                log.warning("feed %s: course %s rejected: %s", self.feed_id, key, reason)
                rejected.append(Rejected(reason=reason, key=key, raw=record.raw))
                continue
            outcome.rows_written += mine.rows_written
        return results

    def _store_rejected(
        self, conn: Any, rejected: list[Rejected], page_url: str, now: datetime
    ) -> None:
        """Rejected items with their reason and excerpt, escaped and cut to fit (catalog.audit):
        storing a rejection must never fail the page."""
        conn.execute(
            insert(tables.rejected_records),
            [
                {
                    "harvest_id": self.harvest_id,
                    "key": audit_key(r.key),
                    "reason": audit_text(r.reason, REASON_CHARS) or "(no reason given)",
                    "excerpt": excerpt(r.raw),
                    "page_url": page_url,
                    "created_at": now,
                }
                for r in rejected
            ],
        )

    def _never_stored(self, conn: Any, keys: list[str]) -> int:
        """How many of a page's deleted ``keys`` this feed has never stored.

        Such a deletion changes nothing (the withdrawal step only withdraws stored courses), but
        the run counts it, so an admin can tell "the source deletes courses we never had" (an
        OAI-PMH repository's persistent deletions, a delta feed replaying old deletions) from
        deletions that withdrew something. A key listed on the same page counts as stored. Keys
        are counted per page (memory stays flat): a source lists a deletion once per harvest.
        """
        distinct = sorted(set(keys))
        stored = Bulk(conn).select_in(
            "SELECT key FROM courses WHERE feed_id = {mark} AND key IN ({in})",
            distinct,
            before=(self.feed_id,),
        )
        return len(distinct) - len(stored)

    def _apply_not_modified(self, pages: list[Page], now: datetime) -> PageOutcome:
        """Pages the source vouched for (a 304, the same bytes): carry their keys and counts over.

        They go in one transaction together — a crash between them only means asking again —
        with one query for what the last harvest saw on each URL.
        """
        outcome = PageOutcome()
        with self.engine.begin() as conn:
            if self.lease is not None:
                renew_in(conn, self.lease)
            previous = self._previous_pages(conn, [page.url[:2048] for page in pages])
            for page in pages:
                seen = previous.get(page.url[:2048])
                keys = list(seen.keys or ()) if seen is not None else []
                if seen is None:
                    # Nothing vouches for what the page holds: absence proves nothing now.
                    self.tally.incremental = True
                validators = page.validators or {}
                self._record_page(
                    conn,
                    page,
                    now,
                    keys=keys,
                    withdrawn=[],
                    source_count=seen.source_count if seen is not None else 0,
                    etag=validators.get("etag") or (seen.etag if seen is not None else None),
                    last_modified=validators.get("last_modified")
                    or (seen.last_modified if seen is not None else None),
                    digest=validators.get("digest") or (seen.digest if seen is not None else None),
                    not_modified=True,
                )
                for key in keys:
                    self.tally.note(key, "unchanged")
                self.tally.page_done(keys)
                outcome.unchanged += len(keys)
                self.tally.received += len(keys)
                self.tally.source_count += seen.source_count if seen is not None else 0
                self.tally.declare(seen.declared_total if seen is not None else None)
                self.tally.pages += 1
                self.tally.incremental = self.tally.incremental or page.incremental
            self._advance(conn, pages[-1], now, counted=True)
        return outcome

    def _previous_pages(self, conn: Any, urls: list[str]) -> dict[str, Any]:
        """URL → that page as the feed's last complete harvest read it, with the total its run
        declared: exactly what the validators the connector was given vouch for (they come from
        the same harvest, :func:`catalog.harvests.plan`), never a failed run's page."""
        p, r = tables.harvest_pages.c, tables.harvest_runs.c
        chain = withdrawals.last_complete_chain(self.feed_id)
        found: dict[str, Any] = {}
        for start in range(0, len(urls), CHUNK):
            newest = (
                select(func.max(p.id))
                .join(tables.harvest_runs, r.id == p.run_id)
                .where(r.chain_id == chain, p.url.in_(urls[start : start + CHUNK]))
                .group_by(p.url)
            )
            rows = conn.execute(
                select(
                    p.url,
                    p["keys"],
                    p.source_count,
                    p.etag,
                    p.last_modified,
                    p.digest,
                    r.declared_total,
                )
                .join(tables.harvest_runs, r.id == p.run_id)
                .where(p.id.in_(newest))
            )
            found.update({row.url: row for row in rows})
        return found

    def _record_page(
        self,
        conn: Any,
        page: Page,
        now: datetime,
        *,
        keys: list[str],
        withdrawn: list[str],
        source_count: int,
        etag: str | None,
        last_modified: str | None,
        digest: str | None = None,
        not_modified: bool = False,
    ) -> None:
        bulk = Bulk(conn)
        cursor = None if page.last or page.cursor is None else dict(page.cursor)
        bulk.insert(
            "harvest_pages",
            _PAGE_COLUMNS,
            [
                (
                    self.harvest_id,
                    page.number,
                    page.url[:2048],
                    bulk.json(keys),
                    bulk.json(withdrawn),
                    source_count,
                    audit_text(etag, 512) if etag else None,
                    audit_text(last_modified, 64) if last_modified else None,
                    digest[:64] if digest else None,
                    bulk.json(cursor),
                    not_modified,
                    bulk.when(now),
                )
            ],
        )

    def flush(self) -> PageOutcome:
        """Store the not-modified pages held back so far (the sync calls it before it stops)."""
        if not self._held:
            return PageOutcome()
        held, self._held = self._held, []
        return self._apply_not_modified(held, self.now())

    def _advance(self, conn: Any, page: Page, now: datetime, *, counted: bool = False) -> None:
        """Counters, then the resume cursor — or, on the last page, the end of the harvest."""
        if not counted:
            self.tally.pages += 1
        self.tally.incremental = self.tally.incremental or page.incremental
        self._save_counters(conn, page)
        if not page.last:
            bulk = Bulk(conn)
            bulk.update(
                "feeds",
                ("resume_cursor", "resume_run_id", "cursor_updated_at"),
                [
                    (
                        bulk.json(dict(page.cursor) if page.cursor is not None else None),
                        self.harvest_id,
                        bulk.when(now),
                        self.feed_id,
                    )
                ],
            )
        else:
            self._finish(conn, page, now)

    def _save_counters(self, conn: Any, page: Page) -> None:
        counts = self.tally.counts()
        values: dict[str, Any] = {
            "pages": self.tally.pages,
            "received": self.tally.received,
            "source_count": self.tally.source_count,
            "new": counts["new"],
            "updated": counts["updated"],
            "unchanged": counts["unchanged"],
            "rejected": self.tally.rejected,
        }
        if self.tally.deleted_unknown:  # the column's default is 0
            values["deleted_unknown"] = self.tally.deleted_unknown
        self.tally.declare(page.declared_total)
        if self.tally.last_declared is not None:
            values["declared_total"] = self.tally.last_declared
        if self.tally.incremental:
            values["mode"] = "incremental"
        Bulk(conn).update("harvest_runs", tuple(values), [(*values.values(), self.harvest_id)])

    def _settle_counts(self, conn: Any, seen: int) -> None:
        """Exact new / updated / unchanged of this run, from its course events and pages."""
        ev = tables.course_events.c
        mine = ev.harvest_id == self.harvest_id
        created = select(ev.course_id).where(mine, ev.event == "new")
        new = conn.execute(select(func.count()).select_from(created.subquery())).scalar_one()
        updated = conn.execute(
            select(func.count(func.distinct(ev.course_id))).where(
                mine, ev.event.in_(("updated", "reactivated")), ev.course_id.not_in(created)
            )
        ).scalar_one()
        unchanged = max(seen - new - updated, 0)
        self.tally.settle(new, updated, unchanged)
        Bulk(conn).update(
            "harvest_runs",
            ("new", "updated", "unchanged"),
            [(new, updated, unchanged, self.harvest_id)],
        )

    def _finish(self, conn: Any, page: Page, now: datetime) -> None:
        runs, feeds = tables.harvest_runs, tables.feeds
        chain_id = (
            conn.execute(select(runs.c.chain_id).where(runs.c.id == self.harvest_id)).scalar()
            or self.harvest_id
        )
        decision = withdrawals.decide(
            conn,
            self.feed_id,
            chain_id,
            self.tally.last_declared,
            self.policy,
            declared_seen=self.tally.declared,
        )
        self._settle_counts(conn, decision.seen_in_last_run)
        withdrawn, held = withdrawals.apply(conn, self.feed_id, self.harvest_id, decision, now)
        self.decision = decision
        self.tally.withdrawn, self.tally.held = withdrawn, held
        conn.execute(
            update(runs)
            .where(runs.c.id == self.harvest_id)
            .values(
                status="succeeded",
                complete=True,
                finished_at=now,
                withdrawn=withdrawn,
                held_withdrawals=held,
                degraded=decision.degraded,
                guard="; ".join(decision.reasons) if held else None,
            )
        )
        feed_values: dict[str, Any] = {
            "cursor": dict(page.cursor) if page.cursor is not None else None,
            "cursor_updated_at": now,
            "resume_cursor": None,
            "resume_run_id": None,
            "last_success_at": now,
            "consecutive_failures": 0,
        }
        if decision.full:
            feed_values["last_full_at"] = now
        if held:
            feed_values["needs_review"] = True
            feed_values["review_reason"] = (
                f"run {self.harvest_id} held {held} withdrawals: " + "; ".join(decision.reasons)
            )
        elif (
            decision.full
            and conn.execute(
                select(feeds.c.needs_review).where(feeds.c.id == self.feed_id)
            ).scalar()
        ):
            # A complete full harvest that passed every guard supersedes an older hold.
            feed_values["needs_review"] = False
            feed_values["review_reason"] = None
            conn.execute(
                delete(tables.held_withdrawals).where(
                    tables.held_withdrawals.c.feed_id == self.feed_id
                )
            )
        conn.execute(update(feeds).where(feeds.c.id == self.feed_id).values(**feed_values))
        withdrawals.forget_old_pages(conn, self.feed_id, chain_id)

    # -- courses and runs -------------------------------------------------------------------
    # Plain tuples through catalog.bulk: per-row Core statements cost more than the database.

    def _upsert_courses(
        self,
        conn: Any,
        records: dict[str, CourseRecord],
        page_url: str,
        now: datetime,
        outcome: PageOutcome,
    ) -> dict[str, str]:
        if not records:
            return {}
        bulk = Bulk(conn)
        existing: dict[str, Any] = {
            row.key: row
            for row in bulk.select_in(
                "SELECT key, id, content_hash, precedence, status FROM courses "
                "WHERE feed_id = {mark} AND key IN ({in})",
                list(records),
                before=(self.feed_id,),
            )
        }
        stamp = bulk.when(now)
        inserts: list[tuple[Any, ...]] = []
        full: list[tuple[Any, ...]] = []  # course fields changed: values…, id
        meta: dict[int, str] = {}  # only status / precedence / stamps change: id -> precedence
        indexed: dict[str, tuple[Any, ...]] = {}  # key -> fields written, for the search index
        result: dict[str, str] = {}
        course_ids: dict[str, int] = {}
        for key, record in records.items():
            values = course_values(record)
            digest = content_hash(values)
            old = existing.get(key)
            if old is None:
                inserts.append(
                    (
                        *self._stored(bulk, values),
                        self.feed_id,
                        key,
                        "active",
                        digest,
                        record.precedence,
                        stamp,
                        stamp,
                        stamp,
                        self.harvest_id,
                        self.harvest_id,
                        page_url,
                    )
                )
                indexed[key] = values
                result[key] = "new"
                continue
            course_ids[key] = old.id
            # A lower-precedence piece of a split course adds runs but not course fields.
            supplies_fields = record.precedence >= old.precedence
            if supplies_fields and old.content_hash != digest:
                full.append(
                    (
                        *self._stored(bulk, values),
                        digest,
                        record.precedence,
                        "active",
                        stamp,
                        stamp,
                        self.harvest_id,
                        page_url,
                        old.id,
                    )
                )
                indexed[key] = values
                result[key] = "updated"
            elif old.status != "active":
                meta[old.id] = max(old.precedence, record.precedence)
                result[key] = "updated"
            else:
                result[key] = "unchanged"

        if inserts:
            bulk.insert("courses", (*COURSE_FIELDS, *_INSERT_EXTRA), inserts)
            new_keys = [key for key, r in result.items() if r == "new"]
            for row in bulk.select_in(
                "SELECT key, id FROM courses WHERE feed_id = {mark} AND key IN ({in})",
                new_keys,
                before=(self.feed_id,),
            ):
                course_ids[row.key] = row.id
            outcome.rows_written += len(inserts)

        # Runs next: a course whose fields are unchanged is still "updated" when a run changed.
        full_ids = {u[-1] for u in full}
        known = {course_ids[key] for key in existing}
        for key in self._upsert_runs(
            bulk, records, course_ids, known=known, stamp=stamp, outcome=outcome
        ):
            if result[key] == "new":
                continue
            result[key] = "updated"
            cid = course_ids[key]
            if cid not in full_ids:
                meta[cid] = max(existing[key].precedence, records[key].precedence)

        outcome.rows_written += bulk.update("courses", (*COURSE_FIELDS, *_UPDATE_EXTRA), full)
        outcome.rows_written += bulk.update(
            "courses",
            ("precedence", "status", "last_seen_at", "updated_at", "last_harvest_id"),
            [(prec, "active", stamp, stamp, self.harvest_id, cid) for cid, prec in meta.items()],
        )
        bulk.insert(
            "course_events",
            ("course_id", "harvest_id", "event", "at"),
            [
                (
                    course_ids[key],
                    self.harvest_id,
                    "reactivated"
                    if key in existing and existing[key].status != "active"
                    else outcome_name,
                    stamp,
                )
                for key, outcome_name in result.items()
                if outcome_name != "unchanged"
            ],
        )
        # The source's record goes with every course row written (and only those: an unchanged
        # course keeps the record of its last change).
        bulk.upsert(
            "course_sources",
            ("course_id", "harvest_id", "raw"),
            [
                (course_ids[key], self.harvest_id, raw_text(records[key].raw))
                for key, outcome_name in result.items()
                if outcome_name != "unchanged"
            ],
            key="course_id",
        )
        # The search index follows the course fields: only courses whose fields were written.
        if indexed:
            textsearch.store_index_rows(
                conn,
                [
                    textsearch.index_row(
                        course_ids[key],
                        values[0],
                        values[4],
                        values[5],
                        values[1],
                        subject_mapping=self.subject_mapping,
                    )
                    for key, values in indexed.items()
                ],
                replace=bool(full),
            )
        return result

    @staticmethod
    def _stored(bulk: Bulk, values: tuple[Any, ...]) -> list[Any]:
        """Course values as their columns store them (subjects JSON, the modified time)."""
        stored = list(values)
        stored[_SUBJECTS] = bulk.json(stored[_SUBJECTS])
        stored[_MODIFIED] = bulk.when(stored[_MODIFIED])
        return stored

    def _upsert_runs(
        self,
        bulk: Bulk,
        records: dict[str, CourseRecord],
        course_ids: dict[str, int],
        *,
        known: set[int],
        stamp: Any,
        outcome: PageOutcome,
    ) -> set[str]:
        """Insert new runs, rewrite changed ones; the keys of the courses whose runs changed.

        ``known`` are the ids of courses that existed before this page: only their runs are
        looked up (a new course has none yet).
        """
        wanted = {course_ids[k]: records[k] for k in records if records[k].runs}
        if not wanted:
            return set()
        existing: dict[tuple[int, str], Any] = {
            (row.course_id, row.key): row
            for row in bulk.select_in(
                "SELECT course_id, key, id, content_hash FROM course_runs "
                "WHERE course_id IN ({in})",
                [cid for cid in wanted if cid in known],
            )
        }
        when = bulk.when
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        changed: set[str] = set()
        for cid, record in wanted.items():
            for run in record.runs:
                values = run_values(run)
                digest = content_hash(values)
                old = existing.get((cid, run.key))
                if old is not None and old.content_hash == digest:
                    continue
                stored = (
                    values[0],
                    when(values[1]),
                    when(values[2]),
                    when(values[3]),
                    when(values[4]),
                    *values[5:],
                )
                if old is None:
                    inserts.append((*stored, cid, run.key, digest, stamp, stamp))
                else:
                    updates.append((*stored, digest, stamp, old.id))
                changed.add(record.key)
        outcome.rows_written += bulk.insert(
            "course_runs",
            (*RUN_FIELDS, "course_id", "key", "content_hash", "first_seen_at", "updated_at"),
            inserts,
        )
        outcome.rows_written += bulk.update(
            "course_runs", (*RUN_FIELDS, "content_hash", "updated_at"), updates
        )
        return changed
