"""Course documents (:mod:`catalog.present.course_document`): one per course, with its runs
and exchange offers — what every export (JSON, CSV, the static site) is a view of.

Read inside one read transaction, so an export is a consistent snapshot, and streamed: three
ordered queries (courses by id, their runs by course, their offers by course) are read side by
side and merged course by course, so memory stays flat however large the catalog and the whole
export costs three statements, not three per batch of courses.

Timestamps and JSON columns are read as the driver returns them and converted once per distinct
value (:mod:`catalog.present.document_values`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Result, Select, exists, func, select

from catalog.derive.subjects import load_subjects
from catalog.ids import course_id
from catalog.present.course_document import (
    CourseDocument,
    Credits,
    Equivalence,
    OfferDocument,
    RunDocument,
)
from catalog.present.document_values import (
    IscedLabels,
    OfferValues,
    Subjects,
    Times,
    as_stored,
    stored_provenance,
)
from catalog.store import renames, tables

#: Rows fetched from each of the three result sets at a time.
BATCH = 1000


def institutions(conn: Connection) -> list[dict[str, Any]]:
    return [
        {
            "id": row.id,
            "names": row.names,
            "country": row.country,
            "timezone": row.timezone,
            "language": row.language,
        }
        for row in conn.execute(select(tables.institutions).order_by(tables.institutions.c.id))
    ]


def count_documents(
    conn: Connection, *, audience: str | None = None, include_withdrawn: bool = True
) -> int:
    """How many documents :func:`course_documents` gives with the same arguments (one
    ``count(*)``: an export's progress shows it as its total)."""
    query = select(func.count()).select_from(tables.courses)
    return int(
        conn.execute(
            _visible(query, audience=audience, include_withdrawn=include_withdrawn)
        ).scalar_one()
    )


def _visible(query: Select[Any], *, audience: str | None, include_withdrawn: bool) -> Select[Any]:
    """``query`` over ``courses`` limited to the courses an export shows: never one a guard
    held back as renamed (it is listed under its new key: :mod:`catalog.store.renames`)."""
    c, o = tables.courses.c, tables.offers.c
    query = query.where(c.id.not_in(renames.superseded()))
    if not include_withdrawn:
        query = query.where(c.status == "active")
    if audience is not None:
        # EXISTS, not IN (SELECT …): SQLite probes ix_offers_course per course instead of
        # building a table of every offered course id first.
        query = query.where(exists().where(o.course_id == c.id, o.audience == audience))
    return query


@dataclass(frozen=True, slots=True)
class _Queries:
    """The three ordered statements an export reads side by side."""

    courses: Select[Any]
    runs: Select[Any]
    offers: Select[Any]


#: The columns each document part reads. Those in ``_AS_STORED`` (timestamps, JSON) are read as
#: the driver returns them and converted once per distinct value (``Times``, ``Subjects``).
_COURSE_COLUMNS = (
    "id",
    "feed_id",
    "key",
    "title",
    "language",
    "short_description",
    "description",
    "url",
    "image_url",
    "organization",
    "subjects",
    "isced",
    "level",
    "effort",
    "pacing",
    "status",
    "is_free",
    "certificate",
    "first_seen_at",
    "updated_at",
    "credits",
    "source_modified_at",
    "mode",
    "expires",
    "provenance",
)
_RUN_COLUMNS = (
    "course_id",
    "id",
    "key",
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
    "payment_frequency",
    "certificate",
)
_OFFER_COLUMNS = (
    "course_id",
    "run_id",
    "audience",
    "offering",
    "rule",
    "term",
    "application_start",
    "application_end",
    "open_now",
    "seats",
    "notes",
    "notes_i18n",
    "host_credits",
    "host_system",
    "home_credits",
    "home_system",
    "credits_source",
    "equivalence_status",
    "equivalence_home_course",
    "equivalence_terms",
)
_AS_STORED = frozenset(
    {
        "subjects",
        "isced",
        "first_seen_at",
        "updated_at",
        "source_modified_at",
        "expires",
        "start",
        "end",
        "enrollment_start",
        "enrollment_end",
        "application_start",
        "application_end",
        "notes_i18n",
        "equivalence_terms",
    }
)


def _columns(table: Any, names: Sequence[str]) -> list[Any]:
    return [as_stored(table.c[name]) if name in _AS_STORED else table.c[name] for name in names]


def _queries(
    conn: Connection,
    *,
    audience: str | None,
    include_withdrawn: bool,
    ids: Sequence[int] | None = None,
) -> _Queries:
    c, r, o = tables.courses.c, tables.course_runs.c, tables.offers.c
    courses: Select[Any] = select(*_columns(tables.courses, _COURSE_COLUMNS)).order_by(c.id)
    runs: Select[Any] = select(*_columns(tables.course_runs, _RUN_COLUMNS)).order_by(
        r.course_id, r.start, r.key
    )
    offers: Select[Any] = select(*_columns(tables.offers, _OFFER_COLUMNS)).order_by(
        o.course_id, o.id
    )
    courses = _visible(courses, audience=audience, include_withdrawn=include_withdrawn)
    if audience is not None:
        runs = runs.where(exists().where(o.course_id == r.course_id, o.audience == audience))
        # On SQLite, ``audience || ''`` keeps the planner off ix_offers_audience: it then reads
        # the offers in course order through ix_offers_course, rather than sorting all of the
        # audience's offers (memory, temporary files) before the first course.
        offer_audience = o.audience.concat("") if conn.dialect.name == "sqlite" else o.audience
        offers = offers.where(offer_audience == audience)
    if ids is not None:  # a page of a published listing: a few hundred courses
        courses = courses.where(c.id.in_(ids))
        runs, offers = runs.where(r.course_id.in_(ids)), offers.where(o.course_id.in_(ids))
    return _Queries(courses, runs, offers)


class _ByCourse:
    """Rows ordered by ``course_id`` (their first column), handed out course by course as the
    courses stream by."""

    __slots__ = ("_next", "_rows")

    def __init__(self, result: Result[Any]) -> None:
        # Whole partitions, iterated in C: a row at a time through the result costs more than
        # building the document from it.
        self._rows: Iterator[Any] = chain.from_iterable(result.partitions())
        self._next: Any = next(self._rows, None)

    def of(self, course: int) -> list[Any]:
        """The rows of ``course``; rows of courses before it (left out of the export) are
        skipped."""
        row, rows = self._next, self._rows
        while row is not None and row[0] < course:
            row = next(rows, None)
        found = []
        while row is not None and row[0] == course:
            found.append(row)
            row = next(rows, None)
        self._next = row
        return found


@dataclass(slots=True)
class _Context:
    """What every document needs besides its rows: institutions, zones, value conversions."""

    institution_of: dict[str, str]
    zones: dict[str, ZoneInfo | None]
    times: Times
    subjects: Subjects
    offer_values: OfferValues

    @classmethod
    def read(cls, conn: Connection, labels: IscedLabels | None) -> _Context:
        f, i = tables.feeds.c, tables.institutions.c
        return cls(
            institution_of={
                row.id: row.institution_id for row in conn.execute(select(f.id, f.institution_id))
            },
            zones={
                row.id: ZoneInfo(row.timezone) if row.timezone and row.timezone != "UTC" else None
                for row in conn.execute(select(i.id, i.timezone))
            },
            times=Times(),
            subjects=Subjects(labels or load_subjects().labels),
            offer_values=OfferValues(),
        )


def course_documents(
    conn: Connection,
    *,
    audience: str | None = None,
    labels: IscedLabels | None = None,
    include_withdrawn: bool = True,
    ids: Sequence[int] | None = None,
) -> Iterator[CourseDocument]:
    """Every course as a document; with ``audience``, only courses offered to it (and only its
    offers); with ``ids``, only the courses of those row ids (a published page's). Application
    windows are given in the offering institution's time zone; subjects carry the ISCED codes
    the ingest stored, named by ``labels`` (default: the shipped ISCED-F labels). In course row
    id order."""
    context = _Context.read(conn, labels)
    queries = _queries(conn, audience=audience, include_withdrawn=include_withdrawn, ids=ids)
    stream = {"yield_per": BATCH}  # server-side cursors on PostgreSQL; SQLite steps anyway
    runs = _ByCourse(conn.execute(queries.runs, execution_options=stream))
    offers = _ByCourse(conn.execute(queries.offers, execution_options=stream))
    courses = conn.execute(queries.courses, execution_options=stream)
    times = context.times
    for row in chain.from_iterable(courses.partitions()):
        run_keys: dict[int, str] = {}
        run_docs = tuple([_run(run, run_keys, times) for run in runs.of(row[0])])
        offer_docs = tuple([_offer(offer, run_keys, context) for offer in offers.of(row[0])])
        yield _course(row, run_docs, offer_docs, context)


# The documents are built with positional arguments, in the order their classes declare their
# fields: a keyword call builds and unpacks a dict per object, which costs more than the object.
# tests/catalog/present/test_document_fields.py proves each stored column lands in its field.


def _run(run: Any, run_keys: dict[int, str], times: Times) -> RunDocument:
    """A run's document; notes its key in ``run_keys`` for the offers that name it."""
    (
        _course_id, run_id, key, start, end, enrollment_start, enrollment_end, pacing, url,
        availability, is_free, price, currency, payment_frequency, certificate,
    ) = run  # fmt: skip
    run_keys[run_id] = key
    utc = times.utc
    return RunDocument(
        key, utc(start), utc(end), utc(enrollment_start), utc(enrollment_end), pacing, url,
        availability, is_free, price, currency, payment_frequency, certificate,
    )  # fmt: skip


def _course(
    row: Any,
    runs: tuple[RunDocument, ...],
    offers: tuple[OfferDocument, ...],
    context: _Context,
) -> CourseDocument:
    (
        _id, feed, key, title, language, short_description, description, url, image_url,
        organization, subjects_stored, isced_stored, level, effort, pacing, status, is_free,
        certificate, first_seen, updated_at, credits, modified, mode, expires, provenance,
    ) = row  # fmt: skip
    subjects, isced = context.subjects.get(subjects_stored, isced_stored)
    utc = context.times.utc
    return CourseDocument(
        course_id(feed, key), context.institution_of.get(feed), feed, key, title, language,
        short_description, description, url, image_url, organization, subjects, isced, level,
        effort, pacing, status, is_free, certificate, runs, offers, utc(first_seen),
        utc(updated_at), credits, utc(modified), mode, utc(expires),
        stored_provenance(provenance) if provenance else (),
    )  # fmt: skip


def _offer(offer: Any, run_keys: dict[int, str], context: _Context) -> OfferDocument:
    (
        _course_id, run_id, audience, offering, rule, term, application_start, application_end,
        open_now, seats, notes, notes_i18n, host_credits, host_system, home_credits, home_system,
        credits_source, equivalence_status, equivalence_home_course, equivalence_terms,
    ) = offer  # fmt: skip
    zone = context.zones.get(offering)
    zoned, values = context.times.zoned, context.offer_values
    credits = None
    if host_credits is not None or home_credits is not None:
        credits = Credits(host_credits, host_system, home_credits, home_system, credits_source)
    equivalence = None
    if equivalence_status:
        equivalence = Equivalence(
            equivalence_status, equivalence_home_course, values.terms(equivalence_terms)
        )
    return OfferDocument(
        audience, offering, run_keys.get(run_id), run_id is None, rule, term,
        zoned(application_start, zone), zoned(application_end, zone), bool(open_now), seats,
        notes, values.notes(notes_i18n), credits, equivalence,
    )  # fmt: skip
