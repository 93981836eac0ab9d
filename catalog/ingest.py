"""Applying a harvest's pages to the catalog: idempotent, batched upserts with content hashes.

One :class:`Ingestor` serves one harvest run. Each page is applied in one transaction together
with the feed's cursor and the run's counters, so a crash loses at most that page and the next
run can resume exactly where the data stops. Per page there is one ``SELECT`` of the stored
hashes, then one batched ``INSERT`` and one batched ``UPDATE`` per table, touching only rows
whose content hash changed: a second sync of an unchanged feed writes no course or run row.

Counting is per course per harvest: a course whose runs arrive on several pages is counted once,
as new, updated or unchanged.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, delete, insert, select, update

from catalog import textsearch, withdrawals
from catalog.leases import Lease, renew_in
from catalog.models import (
    Course,
    CourseEvent,
    CourseRun,
    Feed,
    HarvestPage,
    HarvestRun,
    HeldWithdrawal,
    RejectedRecord,
    utcnow,
)
from catalog.policy import HarvestPolicy
from catalog.validate import InvalidRecord, validate
from connectors.records import CourseRecord, Page, Rejected, Withdrawn
from connectors.records import CourseRun as RunRecord

log = logging.getLogger(__name__)

courses_t = Course.__table__
runs_t = CourseRun.__table__
EXCERPT_CHARS = 2000
_CHUNK = 500  # keys per IN (...) list: well under every backend's parameter limit

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
    """Per-course outcome across the whole harvest, so split courses count once."""

    outcome: dict[str, str] = field(default_factory=dict)
    withdrawn: int = 0
    held: int = 0
    rejected: int = 0
    received: int = 0
    source_count: int = 0
    pages: int = 0
    incremental: bool = False

    def counts(self) -> Counter[str]:
        return Counter(self.outcome.values())

    def note(self, key: str, result: str) -> None:
        previous = self.outcome.get(key)
        if previous is None or (previous == "unchanged" and result == "updated"):
            self.outcome[key] = result


def course_row(record: CourseRecord) -> dict[str, Any]:
    return {
        "title": record.title,
        "short_description": record.short_description,
        "description": record.description,
        "language": record.language,
        "organization": record.organization,
        "subjects": list(record.subjects),
        "level": record.level,
        "effort": record.effort,
        "credits": record.credits,
        "pacing": record.pacing,
        "url": record.url,
        "image_url": record.image_url,
        "is_free": record.is_free,
        "certificate": record.certificate,
        "source_modified_at": record.modified,
    }


def run_row(run: RunRecord) -> dict[str, Any]:
    return {name: getattr(run, name) for name in RUN_FIELDS}


def content_hash(row: dict[str, Any], fields: Sequence[str]) -> str:
    """A stable digest of the stored values; datetimes hashed as UTC instants."""
    material = [_canonical(row[name]) for name in fields]
    text = json.dumps(material, ensure_ascii=False, separators=(",", ":"))
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    return value


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

    def apply(self, page: Page) -> PageOutcome:
        """Store one page with the feed's cursor and the run's counters, in one transaction.

        The last page also closes the harvest in that same transaction: withdrawals decided
        (or held), the next-harvest cursor saved, the feed's health updated.
        """
        now = self.now()
        records: dict[str, CourseRecord] = {}
        rejected: list[Rejected] = []
        withdrawn: list[str] = []
        for item in page.items:
            if isinstance(item, CourseRecord):
                try:
                    validate(item)
                except InvalidRecord as exc:
                    rejected.append(
                        Rejected(reason=exc.reason, key=_short_key(item.key), raw=item.raw)
                    )
                    continue
                # Duplicates of one key inside a page collapse to the last one.
                records[item.key] = item
            elif isinstance(item, Withdrawn):
                withdrawn.append(item.key)
            else:
                rejected.append(item)

        outcome = PageOutcome(rejected=len(rejected))
        with self.engine.begin() as conn:
            if self.lease is not None:
                renew_in(conn, self.lease)
            if page.not_modified:
                return self._apply_not_modified(conn, page, now, outcome)
            results = self._upsert_courses(conn, records, page.url, now, outcome)
            if rejected:
                conn.execute(
                    insert(RejectedRecord.__table__),
                    [
                        {
                            "harvest_id": self.harvest_id,
                            "key": r.key,
                            "reason": r.reason[:2000],
                            "excerpt": _excerpt(r.raw),
                            "page_url": page.url,
                            "created_at": now,
                        }
                        for r in rejected
                    ],
                )
            source_count = page.source_count if page.source_count is not None else len(page.items)
            validators = page.validators or {}
            self._record_page(
                conn,
                page,
                now,
                keys=list(records),
                withdrawn=withdrawn,
                source_count=source_count,
                etag=validators.get("etag"),
                last_modified=validators.get("last_modified"),
            )
            for key, result in results.items():
                self.tally.note(key, result)
            self.tally.rejected += len(rejected)
            self.tally.received += len(page.items)
            self.tally.source_count += source_count
            self._advance(conn, page, now)
        for result in results.values():
            setattr(outcome, result, getattr(outcome, result) + 1)
        return outcome

    def _apply_not_modified(
        self, conn: Any, page: Page, now: datetime, outcome: PageOutcome
    ) -> PageOutcome:
        """A 304: the page is what the last harvest read; carry its keys and counts over."""
        p, r = HarvestPage.__table__.c, HarvestRun.__table__.c
        previous = conn.execute(
            select(p["keys"], p.source_count, p.etag, p.last_modified)
            .join(HarvestRun.__table__, HarvestRun.__table__.c.id == p.run_id)
            .where(r.feed_id == self.feed_id, p.url == page.url[:2048], r.id != self.harvest_id)
            .order_by(p.id.desc())
            .limit(1)
        ).first()
        keys = list(previous.keys or ()) if previous is not None else []
        if previous is None:
            # Nothing to vouch for what the page holds: absence proves nothing in this harvest.
            self.tally.incremental = True
        validators = page.validators or {}
        self._record_page(
            conn,
            page,
            now,
            keys=keys,
            withdrawn=[],
            source_count=previous.source_count if previous is not None else 0,
            etag=validators.get("etag") or (previous.etag if previous is not None else None),
            last_modified=validators.get("last_modified")
            or (previous.last_modified if previous is not None else None),
            not_modified=True,
        )
        for key in keys:
            self.tally.note(key, "unchanged")
        outcome.unchanged = len(keys)
        self.tally.received += len(keys)
        self.tally.source_count += previous.source_count if previous is not None else 0
        self._advance(conn, page, now)
        return outcome

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
        not_modified: bool = False,
    ) -> None:
        conn.execute(
            insert(HarvestPage.__table__).values(
                run_id=self.harvest_id,
                number=page.number,
                url=page.url[:2048],
                keys=keys,
                withdrawn_keys=withdrawn,
                source_count=source_count,
                etag=etag[:512] if etag else None,
                last_modified=last_modified[:64] if last_modified else None,
                next_cursor=None if page.last or page.cursor is None else dict(page.cursor),
                not_modified=not_modified,
                created_at=now,
            )
        )

    def _advance(self, conn: Any, page: Page, now: datetime) -> None:
        """Counters, then the resume cursor — or, on the last page, the end of the harvest."""
        self.tally.pages += 1
        self.tally.incremental = self.tally.incremental or page.incremental
        self._save_counters(conn, page)
        feeds = Feed.__table__
        if not page.last:
            conn.execute(
                update(feeds)
                .where(feeds.c.id == self.feed_id)
                .values(
                    resume_cursor=dict(page.cursor) if page.cursor is not None else None,
                    resume_run_id=self.harvest_id,
                    cursor_updated_at=now,
                )
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
        if page.declared_total is not None:
            values["declared_total"] = page.declared_total
        if self.tally.incremental:
            values["mode"] = "incremental"
        runs = HarvestRun.__table__
        conn.execute(update(runs).where(runs.c.id == self.harvest_id).values(**values))

    def _finish(self, conn: Any, page: Page, now: datetime) -> None:
        runs, feeds = HarvestRun.__table__, Feed.__table__
        chain_id = (
            conn.execute(select(runs.c.chain_id).where(runs.c.id == self.harvest_id)).scalar()
            or self.harvest_id
        )
        declared = page.declared_total
        if declared is None:
            declared = conn.execute(
                select(runs.c.declared_total).where(runs.c.id == self.harvest_id)
            ).scalar()
        decision = withdrawals.decide(conn, self.feed_id, chain_id, declared, self.policy)
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
                delete(HeldWithdrawal.__table__).where(
                    HeldWithdrawal.__table__.c.feed_id == self.feed_id
                )
            )
        conn.execute(update(feeds).where(feeds.c.id == self.feed_id).values(**feed_values))
        withdrawals.forget_old_pages(conn, self.feed_id, chain_id)

    # -- courses and runs -------------------------------------------------------------------

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
        c = courses_t.c
        existing: dict[str, Any] = {}
        for chunk in _chunks(list(records), _CHUNK):
            rows = conn.execute(
                select(c.id, c.key, c.content_hash, c.precedence, c.status).where(
                    c.feed_id == self.feed_id, c.key.in_(chunk)
                )
            )
            existing.update({row.key: row for row in rows})

        inserts: list[dict[str, Any]] = []
        full: list[dict[str, Any]] = []  # course fields changed
        meta: dict[int, str] = {}  # only status / precedence / stamps change: id -> precedence
        result: dict[str, str] = {}
        course_ids: dict[str, int] = {}
        for key, record in records.items():
            row = course_row(record)
            digest = content_hash(row, COURSE_FIELDS)
            old = existing.get(key)
            if old is None:
                inserts.append(
                    {
                        **row,
                        "feed_id": self.feed_id,
                        "key": key,
                        "status": "active",
                        "content_hash": digest,
                        "precedence": record.precedence,
                        "first_seen_at": now,
                        "last_seen_at": now,
                        "updated_at": now,
                        "first_harvest_id": self.harvest_id,
                        "last_harvest_id": self.harvest_id,
                        "source_url": page_url,
                    }
                )
                result[key] = "new"
                continue
            course_ids[key] = old.id
            # A lower-precedence piece of a split course adds runs but not course fields.
            supplies_fields = record.precedence >= old.precedence
            if supplies_fields and old.content_hash != digest:
                full.append(
                    {**row, "b_id": old.id, "content_hash": digest, "precedence": record.precedence}
                )
                result[key] = "updated"
            elif old.status != "active":
                meta[old.id] = max(old.precedence, record.precedence)
                result[key] = "updated"
            else:
                result[key] = "unchanged"

        if inserts:
            returned = conn.execute(
                insert(courses_t).returning(c.id, c.key, sort_by_parameter_order=True), inserts
            )
            for row in returned:
                course_ids[row.key] = row.id
            outcome.rows_written += len(inserts)

        # Runs next: a course whose fields are unchanged is still "updated" when a run changed.
        full_ids = {u["b_id"] for u in full}
        for key in self._upsert_runs(conn, records, course_ids, now, outcome):
            if result[key] == "new":
                continue
            result[key] = "updated"
            cid = course_ids[key]
            if cid not in full_ids:
                meta[cid] = max(existing[key].precedence, records[key].precedence)

        if full:
            conn.execute(
                update(courses_t)
                .where(c.id == bindparam("b_id"))
                .values(
                    **{name: bindparam(name) for name in COURSE_FIELDS},
                    content_hash=bindparam("content_hash"),
                    precedence=bindparam("precedence"),
                    status="active",
                    last_seen_at=now,
                    updated_at=now,
                    last_harvest_id=self.harvest_id,
                    source_url=page_url,
                ),
                full,
            )
            outcome.rows_written += len(full)
        if meta:
            conn.execute(
                update(courses_t)
                .where(c.id == bindparam("b_id"))
                .values(
                    precedence=bindparam("b_precedence"),
                    status="active",
                    last_seen_at=now,
                    updated_at=now,
                    last_harvest_id=self.harvest_id,
                ),
                [{"b_id": cid, "b_precedence": prec} for cid, prec in meta.items()],
            )
            outcome.rows_written += len(meta)
        events = [
            {
                "course_id": course_ids[key],
                "harvest_id": self.harvest_id,
                "event": "reactivated"
                if key in existing and existing[key].status != "active"
                else outcome_name,
                "at": now,
            }
            for key, outcome_name in result.items()
            if outcome_name != "unchanged"
        ]
        if events:
            conn.execute(insert(CourseEvent.__table__), events)
            textsearch.refresh_index(
                conn, [e["course_id"] for e in events], subject_mapping=self.subject_mapping
            )
        return result

    def _upsert_runs(
        self,
        conn: Any,
        records: dict[str, CourseRecord],
        course_ids: dict[str, int],
        now: datetime,
        outcome: PageOutcome,
    ) -> set[str]:
        r = runs_t.c
        wanted = {course_ids[k]: records[k] for k in records if records[k].runs}
        if not wanted:
            return set()
        existing: dict[tuple[int, str], Any] = {}
        for chunk in _chunks(list(wanted), _CHUNK):
            rows = conn.execute(
                select(r.id, r.course_id, r.key, r.content_hash).where(r.course_id.in_(chunk))
            )
            existing.update({(row.course_id, row.key): row for row in rows})
        key_of = {cid: rec.key for cid, rec in wanted.items()}
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        changed: set[str] = set()
        for cid, record in wanted.items():
            for run in record.runs:
                row = run_row(run)
                digest = content_hash(row, RUN_FIELDS)
                old = existing.get((cid, run.key))
                if old is None:
                    inserts.append(
                        {
                            **row,
                            "course_id": cid,
                            "key": run.key,
                            "content_hash": digest,
                            "first_seen_at": now,
                            "updated_at": now,
                        }
                    )
                    changed.add(key_of[cid])
                elif old.content_hash != digest:
                    updates.append({**row, "b_id": old.id, "content_hash": digest})
                    changed.add(key_of[cid])
        if inserts:
            conn.execute(insert(runs_t), inserts)
            outcome.rows_written += len(inserts)
        if updates:
            conn.execute(
                update(runs_t)
                .where(r.id == bindparam("b_id"))
                .values(
                    **{name: bindparam(name) for name in RUN_FIELDS},
                    content_hash=bindparam("content_hash"),
                    updated_at=now,
                ),
                updates,
            )
            outcome.rows_written += len(updates)
        return changed


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _short_key(key: object) -> str | None:
    return key[:255] if isinstance(key, str) and key else None


def _excerpt(raw: Any) -> str | None:
    if raw is None:
        return None
    try:
        text = json.dumps(raw, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(raw)
    return text.replace("\x00", "\\u0000")[:EXCERPT_CHARS]
