"""Every table of the catalog, as SQLAlchemy Core tables (schema changes go through
``catalog/store/migrations``; a new SQLite catalog loads their snapshot,
``catalog/store/schema.py``).

The harvest, leases, withdrawals and the search index work on these tables directly, so a
``moocx sync`` never imports the ORM: ``sqlalchemy.orm`` and the declarative classes cost about
0.1 s and 6 MiB of every sync's start-up (issue 7). ``catalog/store/models.py`` maps its ORM classes
onto these same tables for the readers that want objects (``catalog/store/queries.py``).

Timestamps are stored as UTC and always read back timezone-aware, on SQLite too (whose
``DateTime(timezone=True)`` silently drops offsets: shared/RELIABILITY.md C13).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy import false as sa_false
from sqlalchemy.engine import Dialect


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


metadata = MetaData()


def _when(name: str, *, nullable: bool = True, **kwargs: object) -> Column[datetime]:
    return Column(name, UTCDateTime(), nullable=nullable, **kwargs)  # type: ignore[arg-type]


institutions = Table(
    "institutions",
    metadata,
    Column("id", String(64), primary_key=True),
    #: Names by language: {"vi": …, "zh": …, "en": …}.
    Column("names", JSON, nullable=False, default=dict),
    Column("country", String(2)),
    Column("timezone", String(64), nullable=False, default="UTC"),
    # The language its students read (vi, zh, en): offers show the rules' notes in it.
    Column("language", String(8)),
)

feeds = Table(
    "feeds",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("institution_id", ForeignKey("institutions.id"), nullable=False),
    Column("connector", String(64), nullable=False),
    Column("base_url", String(2048), nullable=False),
    # State for the next harvest (a high-water mark), saved when a harvest completes.
    Column("cursor", JSON),
    _when("cursor_updated_at"),
    _when("created_at", nullable=False, default=utcnow),
    # Where an unfinished harvest stopped: saved with every committed page, cleared at the end.
    Column("resume_cursor", JSON),
    Column("resume_run_id", Integer),
    _when("last_success_at"),
    # When the last *complete full* harvest ended (incremental runs do not count).
    _when("last_full_at"),
    Column("consecutive_failures", Integer, nullable=False, default=0, server_default="0"),
    # Withdrawals were held back by a guard; an admin should look (moocx feeds, runs show).
    Column("needs_review", Boolean, nullable=False, default=False),
    Column("review_reason", Text),
    # The lease: who is harvesting this feed right now, until when (see catalog.store.leases).
    Column("lease_holder", String(64)),
    Column("lease_host", String(255)),
    Column("lease_pid", Integer),
    _when("lease_acquired_at"),
    _when("lease_expires_at"),
    # What ``moocx serve`` plans: the next run, and a failure back-off that delays it.
    _when("next_run_at"),
    _when("backoff_until"),
)

courses = Table(
    "courses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("feed_id", ForeignKey("feeds.id"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("title", Text, nullable=False),
    Column("short_description", Text),
    Column("description", Text),
    Column("language", String(35)),
    Column("organization", String(255)),
    Column("subjects", JSON, nullable=False, default=list),
    # The ISCED-F broad fields the subjects map to (["06"]), decided by the ingest with the
    # mapping ``derivations`` names (catalog.store.subject_codes); NULL until decided (None
    # written is SQL NULL, never JSON null, so the partial index finds it).
    Column("isced", JSON(none_as_null=True)),
    Column("level", String(64)),
    Column("effort", String(255)),
    Column("credits", Float),
    Column("pacing", String(16)),
    Column("url", String(2048)),
    Column("image_url", String(2048)),
    Column("is_free", Boolean),
    Column("certificate", Boolean),
    _when("source_modified_at"),
    # "active" or "withdrawn" (withdrawn courses are kept and shown as such).
    Column("status", String(16), nullable=False, default="active"),
    Column("content_hash", String(32), nullable=False),
    # Which piece of a split course supplied the fields (see CourseRecord.precedence).
    Column("precedence", String(128), nullable=False, default=""),
    _when("first_seen_at", nullable=False),
    # Last harvest that delivered this course with a change (an unchanged course is not
    # rewritten; it was seen by every successful harvest of its feed since).
    _when("last_seen_at", nullable=False),
    _when("updated_at", nullable=False),
    # Provenance: the harvest run that created / last changed the row, and the page it came from.
    Column("first_harvest_id", ForeignKey("harvest_runs.id")),
    Column("last_harvest_id", ForeignKey("harvest_runs.id")),
    Column("source_url", String(2048)),
    # How the course is taught: "online", "blended" or "onsite" (NULL: the source does not say).
    Column("mode", String(16)),
    # When the source says the course stops being available; past it, no longer offered.
    _when("expires"),
    # Where the course was before its source had it, nearest hop first (connectors.records.Origin
    # as JSON objects): set for a course harvested from another node; NULL for an original.
    Column("provenance", JSON(none_as_null=True)),
    UniqueConstraint("feed_id", "key", name="uq_courses_feed_key"),
    Index("ix_courses_status", "status"),
    # Publishing lists courses by datestamp (``updated_at``) then id, a page after another
    # (catalog/present/publish): keyset paging reads this index from where the last page ended.
    Index("ix_courses_published", "updated_at", "feed_id", "key"),
    # The courses whose codes are not decided yet: finding none is one probe, not a scan.
    Index(
        "ix_courses_isced_missing",
        "id",
        sqlite_where=text("isced IS NULL"),
        postgresql_where=text("isced IS NULL"),
    ),
)

course_runs = Table(
    "course_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("title", Text),
    _when("start"),
    _when("end"),
    _when("enrollment_start"),
    _when("enrollment_end"),
    Column("pacing", String(16)),
    Column("url", String(2048)),
    Column("availability", String(32)),
    Column("is_free", Boolean),
    Column("price", String(32)),
    Column("currency", String(3)),
    Column("certificate", Boolean),
    Column("content_hash", String(32), nullable=False),
    _when("first_seen_at", nullable=False),
    _when("updated_at", nullable=False),
    # How often ``price`` is paid (MOOChub's paymentFrequency words); NULL: not said.
    Column("payment_frequency", String(16)),
    UniqueConstraint("course_id", "key", name="uq_course_runs_course_key"),
)

harvest_runs = Table(
    "harvest_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("feed_id", ForeignKey("feeds.id"), nullable=False),
    # "running", "succeeded", "failed" or "interrupted".
    Column("status", String(16), nullable=False, default="running"),
    _when("started_at", nullable=False),
    _when("finished_at"),
    # True when the run started from no cursor and read the feed to its end.
    Column("complete", Boolean, nullable=False, default=False),
    Column("pages", Integer, nullable=False, default=0),
    Column("received", Integer, nullable=False, default=0),
    Column("new", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("withdrawn", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
    Column("declared_total", Integer),
    Column("error", Text),
    # Who started it: "cli", "schedule", "demo".
    Column("trigger", String(16), nullable=False, default="cli"),
    # "full" (the whole listing) or "incremental" (only changes since the last harvest).
    Column("mode", String(16), nullable=False, default="full"),
    # A harvest interrupted and resumed spans several runs; they share the first run's id.
    Column("chain_id", Integer),
    Column("resumed_from", Integer),
    # Source items received (the unit of declared_total; Open edX counts runs).
    Column("source_count", Integer, nullable=False, default=0),
    # Too many rejected records: withdrawals were held back.
    Column("degraded", Boolean, nullable=False, default=False),
    Column("held_withdrawals", Integer, nullable=False, default=0),
    # Why withdrawals were held, when they were.
    Column("guard", Text),
    # Deletions the source reported for courses this catalog never stored.
    Column("deleted_unknown", Integer, nullable=False, server_default="0"),
    Index("ix_harvest_runs_feed_started", "feed_id", "started_at"),
)

rejected_records = Table(
    "rejected_records",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("harvest_id", ForeignKey("harvest_runs.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(255)),
    Column("reason", Text, nullable=False),
    # The first kilobytes of the source item, as JSON text, for the admin to look at.
    Column("excerpt", Text),
    Column("page_url", String(2048)),
    _when("created_at", nullable=False, default=utcnow),
)

#: What one committed page saw: enough to judge absence after a resumed harvest.
harvest_pages = Table(
    "harvest_pages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", ForeignKey("harvest_runs.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("url", String(2048), nullable=False),
    # Course keys on the page, and keys the source withdrew explicitly.
    Column("keys", JSON, nullable=False, default=list),
    Column("withdrawn_keys", JSON, nullable=False, default=list),
    _when("created_at", nullable=False, default=utcnow),
    # Source items on the page (the unit of the declared total).
    Column("source_count", Integer, nullable=False, default=0, server_default="0"),
    # Validators for a conditional request of this URL next time, and the cursor after it.
    Column("etag", String(512)),
    Column("last_modified", String(64)),
    Column("next_cursor", JSON),
    # Digest of the page's body (connectors/unchanged.py): the same bytes next time stand for
    # this page as a 304 would.
    Column("digest", String(64)),
    # The source answered 304 (or sent the same bytes): keys and counts were carried over from
    # the previous harvest.
    Column("not_modified", Boolean, nullable=False, default=False, server_default=sa_false()),
    Index("ix_harvest_pages_run", "run_id"),
)

#: A withdrawal a guard held back, waiting for ``moocx sync --accept-withdrawals``.
held_withdrawals = Table(
    "held_withdrawals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", ForeignKey("harvest_runs.id", ondelete="CASCADE"), nullable=False),
    Column("feed_id", ForeignKey("feeds.id"), nullable=False),
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(255), nullable=False),
    # "deleted" (the source said so), "absent" (missing from a complete full harvest) or
    # "renamed" (absent, and a course the harvest saw looks like it: catalog/store/renames.py).
    Column("reason", String(16), nullable=False),
    _when("created_at", nullable=False, default=utcnow),
    Index("ix_held_withdrawals_feed", "feed_id"),
)

#: A course's history: when it appeared, changed, was withdrawn or came back.
course_events = Table(
    "course_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), nullable=False),
    Column("harvest_id", ForeignKey("harvest_runs.id")),
    # "new", "updated", "withdrawn" or "reactivated".
    Column("event", String(16), nullable=False),
    _when("at", nullable=False),
    Index("ix_course_events_course", "course_id"),
)

#: The source's own record of a course, as its connector delivered it with the course's last
#: change (JSON text): what ``moocx course ID --raw`` shows. Not read by exports.
course_sources = Table(
    "course_sources",
    metadata,
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    Column("harvest_id", ForeignKey("harvest_runs.id")),
    Column("raw", Text),
)

#: One course run — or a whole course without runs (``run_id`` NULL) — open to one audience
#: institution's students, from one exchange rule.
#: Derived data: rebuilt from the catalog and the config's rules (catalog.derive.exchange.rebuild).
offers = Table(
    "offers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), nullable=False),
    # NULL: the course has no runs; it is offered as a whole ("dates set by the platform").
    Column("run_id", ForeignKey("course_runs.id", ondelete="CASCADE")),
    Column("offering", String(64), nullable=False),
    Column("audience", String(64), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("term", String(64)),
    _when("application_start"),
    _when("application_end"),
    Column("open_now", Boolean, nullable=False, default=False),
    Column("seats", Integer),
    # The rule's notes in the audience's language, and all of them by language.
    Column("notes", Text),
    Column("notes_i18n", JSON),
    Column("host_credits", Float),
    Column("host_system", String(32)),
    Column("home_credits", Float),
    Column("home_system", String(32)),
    # Where the home credits come from: "source", "rule" (computed) or "equivalence".
    Column("credits_source", String(16)),
    Column("equivalence_status", String(16)),
    Column("equivalence_home_course", String(255)),
    Column("equivalence_terms", JSON),
    UniqueConstraint("run_id", "audience", name="uq_offers_run_audience"),
    Index(
        "uq_offers_course_audience_runless",
        "course_id",
        "audience",
        unique=True,
        sqlite_where=text("run_id IS NULL"),
        postgresql_where=text("run_id IS NULL"),
    ),
    Index("ix_offers_audience", "audience"),
    Index("ix_offers_course", "course_id"),
)

#: Secrets the node keeps for itself: ``publish_tokens`` signs the resumption tokens of its OAI-PMH
#: service, so every ``moocx web`` on one catalog (several behind a load balancer) accepts the
#: tokens of the others. Never published, never exported.
node_secrets = Table(
    "node_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("secret", String(128), nullable=False),
    _when("created_at", nullable=False, default=utcnow),
)

#: What each value the catalog derives and stores was derived with: ``isced`` → the signature
#: of the subject mapping that decided ``courses.isced`` (catalog.store.subject_codes).
derivations = Table(
    "derivations",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("signature", Text, nullable=False),
    _when("updated_at", nullable=False),
)
