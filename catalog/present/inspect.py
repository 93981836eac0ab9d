"""One course as the catalog knows it: fields, provenance, history, runs, offers, raw record.

What ``moocx course ID`` shows an admin who asks "what happened to this course?". Everything is
read in the caller's (read-only) transaction into plain frozen values: timestamps aware and in
UTC (the caller picks the zone it shows them in), each offer with its offering institution's
zone, the one its application window was written in.

A course is named by its export id, ``feed:key``, or by its key alone when only one feed has it
(:func:`catalog.present.lookup.resolve`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from catalog import ids
from catalog.present.lookup import resolve
from catalog.store import tables

IscedLabels = Callable[[str], dict[str, str]]


@dataclass(frozen=True, slots=True)
class Subject:
    """An ISCED-F code a course's subjects map to, with its labels by language."""

    code: str
    labels: dict[str, str]


@dataclass(frozen=True, slots=True)
class Harvest:
    """A harvest run, as provenance: its id, status and times."""

    id: int
    status: str
    mode: str
    started_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class Provenance:
    feed: str
    institution: str
    connector: str
    base_url: str
    #: The page the course's fields last came from.
    source_url: str | None
    first_seen: datetime
    #: The last harvest that delivered the course with a change (it was seen, unchanged, by
    #: every successful harvest of the feed since).
    last_seen: datetime
    updated_at: datetime
    source_modified: datetime | None
    first_harvest: Harvest | None
    last_harvest: Harvest | None


@dataclass(frozen=True, slots=True)
class Event:
    """``new``, ``updated``, ``withdrawn`` or ``reactivated``, when, by which harvest."""

    event: str
    at: datetime
    harvest_id: int | None


@dataclass(frozen=True, slots=True)
class Run:
    key: str
    title: str | None
    start: datetime | None
    end: datetime | None
    enrollment_start: datetime | None
    enrollment_end: datetime | None
    pacing: str | None
    availability: str | None
    url: str | None
    is_free: bool | None
    price: str | None
    currency: str | None
    certificate: bool | None


@dataclass(frozen=True, slots=True)
class Offer:
    """One offer to one audience. ``run`` is None for a course without runs: it is offered as
    a whole, its dates set by the platform."""

    audience: str
    offering: str
    #: The IANA zone of the offering institution, the one the rule's window was written in.
    offering_timezone: str
    rule: str
    run: str | None
    term: str | None
    application_start: datetime | None
    application_end: datetime | None
    open_now: bool
    seats: int | None
    notes: str | None
    notes_i18n: dict[str, str] | None
    host_credits: float | None
    host_system: str | None
    home_credits: float | None
    home_system: str | None
    credits_source: str | None
    equivalence_status: str | None
    equivalence_home_course: str | None
    equivalence_terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Course:
    id: str
    feed: str
    key: str
    status: str
    title: str
    short_description: str | None
    language: str | None
    organization: str | None
    subjects: tuple[str, ...]
    subjects_isced: tuple[Subject, ...]
    level: str | None
    effort: str | None
    credits: float | None
    pacing: str | None
    url: str | None
    image_url: str | None
    is_free: bool | None
    certificate: bool | None
    provenance: Provenance
    events: tuple[Event, ...]
    runs: tuple[Run, ...]
    offers: tuple[Offer, ...]
    #: The source's record as its connector delivered it with the course's last change (JSON
    #: text), and the harvest that stored it; None when none is stored (a course unchanged
    #: since the catalog began keeping them).
    raw: str | None
    raw_harvest_id: int | None

    def raw_value(self) -> Any:
        """The stored raw record decoded (a dict, a list, or the XML text of an OAI record)."""
        return None if self.raw is None else json.loads(self.raw)


def course(
    conn: Connection,
    ident: str,
    *,
    labels: IscedLabels | None = None,
) -> Course:
    """The course ``ident`` names (see :func:`resolve`), with everything the catalog knows: its
    stored ISCED codes with their ``labels`` (current for the config's mapping when the caller
    made them so: ``catalog.store.subject_codes.ensure_codes``)."""
    course_id = resolve(conn, ident)
    c, f = tables.courses.c, tables.feeds.c
    row = conn.execute(
        select(tables.courses, f.institution_id, f.connector, f.base_url)
        .join(tables.feeds, f.id == c.feed_id)
        .where(c.id == course_id)
    ).one()
    subjects = tuple(row.subjects or ())
    codes = row.isced or ()
    source = conn.execute(
        select(tables.course_sources.c.raw, tables.course_sources.c.harvest_id).where(
            tables.course_sources.c.course_id == course_id
        )
    ).first()
    return Course(
        id=ids.course_id(row.feed_id, row.key),
        feed=row.feed_id,
        key=row.key,
        status=row.status,
        title=row.title,
        short_description=row.short_description,
        language=row.language,
        organization=row.organization,
        subjects=subjects,
        subjects_isced=tuple(Subject(code, labels(code) if labels else {}) for code in codes),
        level=row.level,
        effort=row.effort,
        credits=row.credits,
        pacing=row.pacing,
        url=row.url,
        image_url=row.image_url,
        is_free=row.is_free,
        certificate=row.certificate,
        provenance=_provenance(conn, row),
        events=_events(conn, course_id),
        runs=_runs(conn, course_id),
        offers=_offers(conn, course_id),
        raw=source.raw if source is not None else None,
        raw_harvest_id=source.harvest_id if source is not None else None,
    )


def _provenance(conn: Connection, row: Any) -> Provenance:
    h = tables.harvest_runs.c
    ids = {i for i in (row.first_harvest_id, row.last_harvest_id) if i is not None}
    harvests = {
        run.id: Harvest(run.id, run.status, run.mode, run.started_at, run.finished_at)
        for run in conn.execute(
            select(h.id, h.status, h.mode, h.started_at, h.finished_at).where(h.id.in_(ids))
        )
    }
    return Provenance(
        feed=row.feed_id,
        institution=row.institution_id,
        connector=row.connector,
        base_url=row.base_url,
        source_url=row.source_url,
        first_seen=row.first_seen_at,
        last_seen=row.last_seen_at,
        updated_at=row.updated_at,
        source_modified=row.source_modified_at,
        first_harvest=harvests.get(row.first_harvest_id),
        last_harvest=harvests.get(row.last_harvest_id),
    )


def _events(conn: Connection, course_id: int) -> tuple[Event, ...]:
    e = tables.course_events.c
    query = select(e.event, e.at, e.harvest_id).where(e.course_id == course_id)
    return tuple(Event(*r) for r in conn.execute(query.order_by(e.at, e.id)))


def _runs(conn: Connection, course_id: int) -> tuple[Run, ...]:
    r = tables.course_runs.c
    query = select(
        r.key, r.title, r.start, r.end, r.enrollment_start, r.enrollment_end, r.pacing,
        r.availability, r.url, r.is_free, r.price, r.currency, r.certificate,
    ).where(r.course_id == course_id)  # fmt: skip
    # Runs without a start (self-paced, "TBA") last, as the site lists them.
    ordered = query.order_by(r.start.is_(None), r.start, r.key)
    return tuple(Run(**row._mapping) for row in conn.execute(ordered))


def _offers(conn: Connection, course_id: int) -> tuple[Offer, ...]:
    o, r, i = tables.offers.c, tables.course_runs.c, tables.institutions.c
    columns = (
        o.audience, o.offering, i.timezone, o.rule, r.key, o.term, o.application_start,
        o.application_end, o.open_now, o.seats, o.notes, o.notes_i18n, o.host_credits,
        o.host_system, o.home_credits, o.home_system, o.credits_source,
        o.equivalence_status, o.equivalence_home_course, o.equivalence_terms,
    )  # fmt: skip
    query = (
        select(*columns)
        .outerjoin(tables.course_runs, r.id == o.run_id)
        .outerjoin(tables.institutions, i.id == o.offering)
        .where(o.course_id == course_id)
        .order_by(o.audience, r.start.is_(None), r.start, o.id)
    )
    return tuple(
        Offer(
            audience=row.audience,
            offering=row.offering,
            offering_timezone=row.timezone or "UTC",
            rule=row.rule,
            run=row.key,
            term=row.term,
            application_start=row.application_start,
            application_end=row.application_end,
            open_now=row.open_now,
            seats=row.seats,
            notes=row.notes,
            notes_i18n=dict(row.notes_i18n) if row.notes_i18n else None,
            host_credits=row.host_credits,
            host_system=row.host_system,
            home_credits=row.home_credits,
            home_system=row.home_system,
            credits_source=row.credits_source,
            equivalence_status=row.equivalence_status,
            equivalence_home_course=row.equivalence_home_course,
            equivalence_terms=tuple(row.equivalence_terms or ()),
        )
        for row in conn.execute(query)
    )
