"""Every table of the catalog, in one module (schema changes go through ``catalog/migrations``).

Timestamps are stored as UTC and always read back timezone-aware, on SQLite too (whose
``DateTime(timezone=True)`` silently drops offsets: shared/RELIABILITY.md C13).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the catalog; attach a zone first")
        value = value.astimezone(UTC)
        # SQLite keeps no offset: store the UTC wall time. PostgreSQL keeps the instant.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime}


class Institution(Base):
    __tablename__ = "institutions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: Names by language: {"vi": …, "zh": …, "en": …}.
    names: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    country: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")

    feeds: Mapped[list[Feed]] = relationship(back_populates="institution")


class Feed(Base):
    __tablename__ = "feeds"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    connector: Mapped[str] = mapped_column(String(64))
    base_url: Mapped[str] = mapped_column(String(2048))
    #: State for the next harvest (a high-water mark), saved when a harvest completes.
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    cursor_updated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Where an unfinished harvest stopped: saved with every committed page, cleared at the end.
    resume_cursor: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    resume_run_id: Mapped[int | None] = mapped_column(Integer)
    last_success_at: Mapped[datetime | None]
    #: When the last *complete full* harvest ended (incremental runs do not count).
    last_full_at: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Withdrawals were held back by a guard; an admin should look (moocx feeds, runs show).
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    review_reason: Mapped[str | None] = mapped_column(Text)
    #: The lease: who is harvesting this feed right now, until when (see catalog.leases).
    lease_holder: Mapped[str | None] = mapped_column(String(64))
    lease_host: Mapped[str | None] = mapped_column(String(255))
    lease_pid: Mapped[int | None] = mapped_column(Integer)
    lease_acquired_at: Mapped[datetime | None]
    lease_expires_at: Mapped[datetime | None]
    #: What ``moocx serve`` plans: the next run, and a failure back-off that delays it.
    next_run_at: Mapped[datetime | None]
    backoff_until: Mapped[datetime | None]

    institution: Mapped[Institution] = relationship(back_populates="feeds")


class Course(Base):
    __tablename__ = "courses"
    __table_args__ = (
        UniqueConstraint("feed_id", "key", name="uq_courses_feed_key"),
        Index("ix_courses_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[str] = mapped_column(ForeignKey("feeds.id"))
    key: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(Text)
    short_description: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(35))
    organization: Mapped[str | None] = mapped_column(String(255))
    subjects: Mapped[list[Any]] = mapped_column(JSON, default=list)
    level: Mapped[str | None] = mapped_column(String(64))
    effort: Mapped[str | None] = mapped_column(String(255))
    credits: Mapped[float | None] = mapped_column(Float)
    pacing: Mapped[str | None] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(2048))
    image_url: Mapped[str | None] = mapped_column(String(2048))
    is_free: Mapped[bool | None] = mapped_column(Boolean)
    certificate: Mapped[bool | None] = mapped_column(Boolean)
    source_modified_at: Mapped[datetime | None]
    #: "active" or "withdrawn" (withdrawn courses are kept and shown as such).
    status: Mapped[str] = mapped_column(String(16), default="active")
    content_hash: Mapped[str] = mapped_column(String(32))
    #: Which piece of a split course supplied the fields (see CourseRecord.precedence).
    precedence: Mapped[str] = mapped_column(String(128), default="")
    first_seen_at: Mapped[datetime]
    #: Last harvest that delivered this course with a change (an unchanged course is not
    #: rewritten; it was seen by every successful harvest of its feed since).
    last_seen_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    #: Provenance: the harvest run that created / last changed the row, and the page it came from.
    first_harvest_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_runs.id"))
    last_harvest_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_runs.id"))
    source_url: Mapped[str | None] = mapped_column(String(2048))

    runs: Mapped[list[CourseRun]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="CourseRun.start"
    )


class CourseRun(Base):
    __tablename__ = "course_runs"
    __table_args__ = (UniqueConstraint("course_id", "key", name="uq_course_runs_course_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(Text)
    start: Mapped[datetime | None]
    end: Mapped[datetime | None]
    enrollment_start: Mapped[datetime | None]
    enrollment_end: Mapped[datetime | None]
    pacing: Mapped[str | None] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(2048))
    availability: Mapped[str | None] = mapped_column(String(32))
    is_free: Mapped[bool | None] = mapped_column(Boolean)
    price: Mapped[str | None] = mapped_column(String(32))
    currency: Mapped[str | None] = mapped_column(String(3))
    certificate: Mapped[bool | None] = mapped_column(Boolean)
    content_hash: Mapped[str] = mapped_column(String(32))
    first_seen_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    course: Mapped[Course] = relationship(back_populates="runs")


class HarvestRun(Base):
    __tablename__ = "harvest_runs"
    __table_args__ = (Index("ix_harvest_runs_feed_started", "feed_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[str] = mapped_column(ForeignKey("feeds.id"))
    #: "running", "succeeded", "failed" or "interrupted".
    status: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    #: True when the run started from no cursor and read the feed to its end.
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    received: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    declared_total: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    #: Who started it: "cli", "schedule", "demo".
    trigger: Mapped[str] = mapped_column(String(16), default="cli")
    #: "full" (the whole listing) or "incremental" (only changes since the last harvest).
    mode: Mapped[str] = mapped_column(String(16), default="full")
    #: A harvest interrupted and resumed spans several runs; they share the first run's id.
    chain_id: Mapped[int | None] = mapped_column(Integer)
    resumed_from: Mapped[int | None] = mapped_column(Integer)
    #: Source items received (the unit of declared_total; Open edX counts runs).
    source_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Too many rejected records: withdrawals were held back.
    degraded: Mapped[bool] = mapped_column(Boolean, default=False)
    held_withdrawals: Mapped[int] = mapped_column(Integer, default=0)
    #: Why withdrawals were held, when they were.
    guard: Mapped[str | None] = mapped_column(Text)

    rejected_records: Mapped[list[RejectedRecord]] = relationship(
        back_populates="harvest", cascade="all, delete-orphan", order_by="RejectedRecord.id"
    )


class RejectedRecord(Base):
    __tablename__ = "rejected_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    harvest_id: Mapped[int] = mapped_column(ForeignKey("harvest_runs.id", ondelete="CASCADE"))
    key: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text)
    #: The first kilobytes of the source item, as JSON text, for the admin to look at.
    excerpt: Mapped[str | None] = mapped_column(Text)
    page_url: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    harvest: Mapped[HarvestRun] = relationship(back_populates="rejected_records")


class HarvestPage(Base):
    """What one committed page saw: enough to judge absence after a resumed harvest."""

    __tablename__ = "harvest_pages"
    __table_args__ = (Index("ix_harvest_pages_run", "run_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("harvest_runs.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(String(2048))
    #: Course keys on the page, and keys the source withdrew explicitly.
    keys: Mapped[list[Any]] = mapped_column(JSON, default=list)
    withdrawn_keys: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Source items on the page (the unit of the declared total).
    source_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Validators for a conditional request of this URL next time, and the cursor after it.
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    next_cursor: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Digest of the page's body (connectors/unchanged.py): the same bytes next time stand for
    #: this page as a 304 would.
    digest: Mapped[str | None] = mapped_column(String(64))
    #: The source answered 304 (or sent the same bytes): keys and counts were carried over from
    #: the previous harvest.
    not_modified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())


class HeldWithdrawal(Base):
    """A withdrawal a guard held back, waiting for ``moocx sync --accept-withdrawals``."""

    __tablename__ = "held_withdrawals"
    __table_args__ = (Index("ix_held_withdrawals_feed", "feed_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("harvest_runs.id", ondelete="CASCADE"))
    feed_id: Mapped[str] = mapped_column(ForeignKey("feeds.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    #: "deleted" (the source said so) or "absent" (missing from a complete full harvest).
    reason: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CourseEvent(Base):
    """A course's history: when it appeared, changed, was withdrawn or came back."""

    __tablename__ = "course_events"
    __table_args__ = (Index("ix_course_events_course", "course_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    harvest_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_runs.id"))
    #: "new", "updated", "withdrawn" or "reactivated".
    event: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]


class Offer(Base):
    """One course run open to one audience institution's students, from one exchange rule.

    Derived data: rebuilt from the catalog and the config's rules (catalog.exchange.rebuild).
    """

    __tablename__ = "offers"
    __table_args__ = (
        UniqueConstraint("run_id", "audience", name="uq_offers_run_audience"),
        Index("ix_offers_audience", "audience"),
        Index("ix_offers_course", "course_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    run_id: Mapped[int] = mapped_column(ForeignKey("course_runs.id", ondelete="CASCADE"))
    offering: Mapped[str] = mapped_column(String(64))
    audience: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(64))
    term: Mapped[str | None] = mapped_column(String(64))
    application_start: Mapped[datetime | None]
    application_end: Mapped[datetime | None]
    open_now: Mapped[bool] = mapped_column(Boolean, default=False)
    seats: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    host_credits: Mapped[float | None] = mapped_column(Float)
    host_system: Mapped[str | None] = mapped_column(String(32))
    home_credits: Mapped[float | None] = mapped_column(Float)
    home_system: Mapped[str | None] = mapped_column(String(32))
    #: Where the home credits come from: "source", "rule" (computed) or "equivalence".
    credits_source: Mapped[str | None] = mapped_column(String(16))
    equivalence_status: Mapped[str | None] = mapped_column(String(16))
    equivalence_home_course: Mapped[str | None] = mapped_column(String(255))
    equivalence_terms: Mapped[list[Any] | None] = mapped_column(JSON)
