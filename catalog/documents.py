"""Course documents: one plain dict per course, with its runs and exchange offers — the shape
every export (JSON, CSV, the static site) is a view of.

Read inside one read transaction, so an export is a consistent snapshot, and streamed: three
ordered queries (courses by id, their runs by course, their offers by course) are read side by
side and merged course by course, so memory stays flat however large the catalog and the whole
export costs three statements, not three per batch of courses.

Rows are read as Core tuples with the timestamps and JSON columns as the driver returns them
(text on SQLite): the few distinct values an export meets — a harvest stamps thousands of
courses with the same ``updated_at``, a rule gives every offer the same window — are converted
once each through small bounded caches, which is most of what reading a course cost.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Select, String, exists, func, select, type_coerce

from catalog import renames, tables

#: Rows fetched from each of the three result sets at a time.
BATCH = 1000
#: Entries a conversion cache keeps before it starts afresh (bounds memory on any catalog).
CACHE_MAX = 4096

#: ISCED-F codes of a course's source subjects, and the labels of a code.
IscedMap = Callable[[Sequence[str]], list[str]]
IscedLabels = Callable[[str], dict[str, str]]


def course_id(feed_id: str, key: str) -> str:
    """The course's id in exports: stable across rebuilds of the database."""
    return f"{feed_id}:{key}"


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


class _Times:
    """Stored timestamps → ISO 8601 text, as ``catalog.tables.UTCDateTime`` reads them back
    (UTC, or the zone asked for), each distinct value converted once."""

    def __init__(self) -> None:
        self._utc: dict[Any, str] = {}
        self._zoned: dict[tuple[Any, ZoneInfo], str] = {}

    @staticmethod
    def _aware(value: Any) -> datetime:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

    def utc(self, value: Any) -> str | None:
        if value is None:
            return None
        text = self._utc.get(value)
        if text is None:
            if len(self._utc) >= CACHE_MAX:
                self._utc.clear()
            text = self._utc[value] = self._aware(value).isoformat()
        return text

    def zoned(self, value: Any, zone: ZoneInfo | None) -> str | None:
        if zone is None or value is None:
            return self.utc(value)
        key = (value, zone)
        text = self._zoned.get(key)
        if text is None:
            if len(self._zoned) >= CACHE_MAX:
                self._zoned.clear()
            text = self._zoned[key] = self._aware(value).astimezone(zone).isoformat()
        return text


class _Subjects:
    """A course's stored subjects (JSON text on SQLite, a list on PostgreSQL) → the list, its
    ISCED codes and their labels; each distinct subject list is parsed and mapped once."""

    def __init__(self, isced: IscedMap | None, labels: IscedLabels | None) -> None:
        self._isced, self._labels = isced, labels
        self._cache: dict[Any, tuple[list[Any], list[tuple[str, dict[str, str]]]]] = {}

    def get(self, value: Any) -> tuple[list[Any], list[tuple[str, dict[str, str]]]]:
        key = value if isinstance(value, str) or value is None else json.dumps(value)
        found = self._cache.get(key)
        if found is None:
            subjects = (json.loads(value) if isinstance(value, str) else value) or []
            codes = self._isced(subjects) if self._isced else []
            labels = self._labels
            found = (subjects, [(code, labels(code) if labels else {}) for code in codes])
            if len(self._cache) >= CACHE_MAX:
                self._cache.clear()
            self._cache[key] = found
        return found


def _json_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        value = json.loads(value)
    return value or []


def _json_object(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        value = json.loads(value)
    return value or None


def _raw(column: Any) -> Any:
    """The column as the driver returns it: no per-row conversion by SQLAlchemy."""
    return type_coerce(column, String()).label(column.name)


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
    held back as renamed (it is listed under its new key: :mod:`catalog.renames`)."""
    c, o = tables.courses.c, tables.offers.c
    query = query.where(c.id.not_in(renames.superseded()))
    if not include_withdrawn:
        query = query.where(c.status == "active")
    if audience is not None:
        # EXISTS, not IN (SELECT …): SQLite probes ix_offers_course per course instead of
        # building a table of every offered course id first.
        query = query.where(exists().where(o.course_id == c.id, o.audience == audience))
    return query


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
    c, r, o = tables.courses.c, tables.course_runs.c, tables.offers.c
    f = tables.feeds.c
    institution_of = dict(conn.execute(select(f.id, f.institution_id)).all())
    zones = {
        row.id: ZoneInfo(row.timezone) if row.timezone and row.timezone != "UTC" else None
        for row in conn.execute(select(tables.institutions.c.id, tables.institutions.c.timezone))
    }
    times, subjects_of = _Times(), _Subjects(isced, labels)
    utc, zoned = times.utc, times.zoned

    courses = select(
        c.id, c.feed_id, c.key, c.title, c.language, c.short_description, c.description,
        c.url, c.image_url, c.organization, _raw(c.subjects), c.level, c.effort, c.pacing,
        c.status, c.is_free, c.certificate, _raw(c.first_seen_at), _raw(c.updated_at),
    ).order_by(c.id)  # fmt: skip
    runs = select(
        r.course_id, r.id, r.key, _raw(r.start), _raw(r.end), _raw(r.enrollment_start),
        _raw(r.enrollment_end), r.pacing,
    ).order_by(r.course_id, r.start, r.key)  # fmt: skip
    offers = select(
        o.course_id, o.run_id, o.audience, o.offering, o.rule, o.term,
        _raw(o.application_start), _raw(o.application_end), o.open_now, o.seats, o.notes,
        _raw(o.notes_i18n), o.host_credits, o.host_system, o.home_credits, o.home_system,
        o.credits_source, o.equivalence_status, o.equivalence_home_course,
        _raw(o.equivalence_terms),
    ).order_by(o.course_id, o.id)  # fmt: skip
    courses = _visible(courses, audience=audience, include_withdrawn=include_withdrawn)
    if audience is not None:
        runs = runs.where(exists().where(o.course_id == r.course_id, o.audience == audience))
        # On SQLite, ``audience || ''`` keeps the planner off ix_offers_audience: it then reads
        # the offers in course order through ix_offers_course, rather than sorting all of the
        # audience's offers (memory, temporary files) before the first course.
        offer_audience = o.audience.concat("") if conn.dialect.name == "sqlite" else o.audience
        offers = offers.where(offer_audience == audience)

    stream = {"yield_per": BATCH}  # server-side cursors on PostgreSQL; SQLite steps anyway
    run_rows = iter(conn.execute(runs, execution_options=stream))
    offer_rows = iter(conn.execute(offers, execution_options=stream))
    run = next(run_rows, None)
    offer = next(offer_rows, None)
    course_rows: Iterator[Any] = iter(conn.execute(courses, execution_options=stream))
    for row in course_rows:
        (
            cid, feed, key, title, language, short_description, description, url, image_url,
            organization, subjects_raw, level, effort, pacing, status, is_free, certificate,
            first_seen, updated,
        ) = row  # fmt: skip
        run_docs: list[dict[str, Any]] = []
        run_keys: dict[int, str] = {}
        while run is not None and run[0] < cid:  # runs of courses left out
            run = next(run_rows, None)
        while run is not None and run[0] == cid:
            run_keys[run[1]] = run[2]
            run_docs.append(
                {
                    "key": run[2],
                    "start": utc(run[3]),
                    "end": utc(run[4]),
                    "enrollment_start": utc(run[5]),
                    "enrollment_end": utc(run[6]),
                    "pacing": run[7],
                }
            )
            run = next(run_rows, None)
        offer_docs: list[dict[str, Any]] = []
        while offer is not None and offer[0] < cid:
            offer = next(offer_rows, None)
        while offer is not None and offer[0] == cid:
            offer_docs.append(_offer(offer, run_keys, zones, zoned))
            offer = next(offer_rows, None)
        subjects, codes = subjects_of.get(subjects_raw)
        yield {
            "id": course_id(feed, key),
            "institution": institution_of.get(feed),
            "feed": feed,
            "key": key,
            "title": title,
            "language": language,
            "short_description": short_description,
            "description": description,
            "url": url,
            "image_url": image_url,
            "organization": organization,
            "subjects": list(subjects),
            "subjects_isced": [{"code": code, "labels": dict(names)} for code, names in codes],
            "level": level,
            "effort": effort,
            "pacing": pacing,
            "status": status,
            "is_free": is_free,
            "certificate": certificate,
            "runs": run_docs,
            "offers": offer_docs,
            "first_seen": utc(first_seen),
            "updated_at": utc(updated),
        }


def _offer(
    offer: Any,
    run_keys: dict[int, str],
    zones: dict[str, ZoneInfo | None],
    zoned: Callable[[Any, ZoneInfo | None], str | None],
) -> dict[str, Any]:
    (
        _course, run_id, audience, offering, rule, term, app_start, app_end, open_now, seats,
        notes, notes_i18n, host_credits, host_system, home_credits, home_system, credits_source,
        eq_status, eq_home_course, eq_terms,
    ) = offer  # fmt: skip
    zone = zones.get(offering)
    credits = None
    if host_credits is not None or home_credits is not None:
        credits = {
            "host": host_credits,
            "host_system": host_system,
            "home": home_credits,
            "home_system": home_system,
            "source": credits_source,
        }
    equivalence = None
    if eq_status:
        equivalence = {
            "status": eq_status,
            "home_course": eq_home_course,
            "valid_terms": _json_list(eq_terms),
        }
    return {
        "audience": audience,
        "offering": offering,
        "run": run_keys.get(run_id),
        "whole_course": run_id is None,
        "rule": rule,
        "term": term,
        "application_start": zoned(app_start, zone),
        "application_end": zoned(app_end, zone),
        "open_now": open_now,
        "seats": seats,
        "notes": notes,
        "notes_by_language": _json_object(notes_i18n),
        "credits": credits,
        "equivalence": equivalence,
    }
