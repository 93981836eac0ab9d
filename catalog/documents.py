"""Course documents: one plain dict per course, with its runs and exchange offers — the shape
every export (JSON, CSV, the static site) is a view of.

Read in batches inside one read transaction, so an export is a consistent snapshot and never
holds the whole catalog in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from catalog.models import Course, CourseRun, Feed, Institution, Offer

BATCH = 500

#: ISCED-F codes of a course's source subjects, and the labels of a code.
IscedMap = Callable[[Sequence[str]], list[str]]
IscedLabels = Callable[[str], dict[str, str]]


def _iso(value: datetime | None, zone: ZoneInfo | None = None) -> str | None:
    if value is None:
        return None
    return (value.astimezone(zone) if zone else value).isoformat()


def course_id(feed_id: str, key: str) -> str:
    """The course's id in exports: stable across rebuilds of the database."""
    return f"{feed_id}:{key}"


def institutions(conn: Connection) -> list[dict[str, Any]]:
    return [
        {"id": row.id, "names": row.names, "country": row.country}
        for row in conn.execute(select(Institution).order_by(Institution.id))
    ]


def course_documents(
    conn: Connection,
    *,
    audience: str | None = None,
    isced: IscedMap | None = None,
    labels: IscedLabels | None = None,
    include_withdrawn: bool = True,
) -> Iterator[dict[str, Any]]:
    """Every course as a document; with ``audience``, only courses offered to it (and only its
    offers). Application windows are given in the offering institution's time zone."""
    c, r, o = Course.__table__.c, CourseRun.__table__.c, Offer.__table__.c
    institution_of = dict(conn.execute(select(Feed.id, Feed.institution_id)).all())
    zones = {
        row.id: ZoneInfo(row.timezone) if row.timezone and row.timezone != "UTC" else None
        for row in conn.execute(select(Institution.id, Institution.timezone))
    }
    last_id = 0
    while True:
        query = select(Course.__table__).where(c.id > last_id).order_by(c.id).limit(BATCH)
        if not include_withdrawn:
            query = query.where(c.status == "active")
        if audience is not None:
            query = query.where(
                c.id.in_(select(o.course_id).where(o.audience == audience).scalar_subquery())
            )
        batch = conn.execute(query).all()
        if not batch:
            return
        last_id = batch[-1].id
        ids = [row.id for row in batch]
        runs: dict[int, list[Any]] = {}
        for run in conn.execute(
            select(CourseRun.__table__)
            .where(r.course_id.in_(ids))
            .order_by(r.course_id, r.start, r.key)
        ):
            runs.setdefault(run.course_id, []).append(run)
        offers: dict[int, list[Any]] = {}
        offer_query = select(Offer.__table__).where(o.course_id.in_(ids)).order_by(o.id)
        if audience is not None:
            offer_query = offer_query.where(o.audience == audience)
        for offer in conn.execute(offer_query):
            offers.setdefault(offer.course_id, []).append(offer)
        for row in batch:
            run_keys = {run.id: run.key for run in runs.get(row.id, [])}
            codes = isced(row.subjects or []) if isced else []
            yield {
                "id": course_id(row.feed_id, row.key),
                "institution": institution_of.get(row.feed_id),
                "feed": row.feed_id,
                "key": row.key,
                "title": row.title,
                "language": row.language,
                "short_description": row.short_description,
                "description": row.description,
                "url": row.url,
                "image_url": row.image_url,
                "organization": row.organization,
                "subjects": row.subjects or [],
                "subjects_isced": [
                    {"code": code, "labels": labels(code) if labels else {}} for code in codes
                ],
                "level": row.level,
                "effort": row.effort,
                "pacing": row.pacing,
                "status": row.status,
                "is_free": row.is_free,
                "certificate": row.certificate,
                "runs": [
                    {
                        "key": run.key,
                        "start": _iso(run.start),
                        "end": _iso(run.end),
                        "enrollment_start": _iso(run.enrollment_start),
                        "enrollment_end": _iso(run.enrollment_end),
                        "pacing": run.pacing,
                    }
                    for run in runs.get(row.id, [])
                ],
                "offers": [_offer(offer, run_keys, zones) for offer in offers.get(row.id, [])],
                "first_seen": _iso(row.first_seen_at),
                "updated_at": _iso(row.updated_at),
            }


def _offer(
    offer: Any, run_keys: dict[int, str], zones: dict[str, ZoneInfo | None]
) -> dict[str, Any]:
    zone = zones.get(offer.offering)
    credits = None
    if offer.host_credits is not None or offer.home_credits is not None:
        credits = {
            "host": offer.host_credits,
            "host_system": offer.host_system,
            "home": offer.home_credits,
            "home_system": offer.home_system,
            "source": offer.credits_source,
        }
    equivalence = None
    if offer.equivalence_status:
        equivalence = {
            "status": offer.equivalence_status,
            "home_course": offer.equivalence_home_course,
            "valid_terms": offer.equivalence_terms or [],
        }
    return {
        "audience": offer.audience,
        "offering": offer.offering,
        "run": run_keys.get(offer.run_id),
        "rule": offer.rule,
        "term": offer.term,
        "application_start": _iso(offer.application_start, zone),
        "application_end": _iso(offer.application_end, zone),
        "open_now": offer.open_now,
        "seats": offer.seats,
        "notes": offer.notes,
        "credits": credits,
        "equivalence": equivalence,
    }
