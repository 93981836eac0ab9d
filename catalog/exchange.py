"""The course exchange: which courses of one institution are open to another's students, when,
with how many seats, and what their credits are worth at home.

Offers are *derived* data: :func:`rebuild` recomputes them from the catalog and the rules in the
config (the scheduler builds the plain values below from it) after every sync that changed the
catalog, and on ``moocx exchange``. One offer per (course run, audience), from the first rule
that matches; a course may be offered under several rules to several audiences.

Credits: the host credits come from the source, else the rule's default. The home equivalent
goes through contact hours (tín chỉ 15 h, 学分 16 h, ECTS 25–30 h as configured) and is rounded
to the configured step — unless the equivalence register says otherwise, which always wins and
is shown to students.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, insert, select

from catalog import tables
from catalog.tables import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CreditSystem:
    id: str
    hours_per_credit: float


@dataclass(frozen=True, slots=True)
class Filters:
    """Course criteria; an empty tuple means "any"."""

    languages: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()  # ISCED-F codes
    levels: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()
    pacing: tuple[str, ...] = ()
    courses: tuple[str, ...] = ()  # course keys or ids ("feed:key")

    def empty(self) -> bool:
        return not any(
            (
                self.languages,
                self.subjects,
                self.levels,
                self.organizations,
                self.pacing,
                self.courses,
            )
        )


@dataclass(frozen=True, slots=True)
class Term:
    """An academic term in which runs are offered, with its application window."""

    name: str
    application_start: date | None = None
    application_end: date | None = None
    seats: int | None = None
    #: Only runs starting in this range belong to the term (self-paced runs belong to all).
    runs_starting_from: date | None = None
    runs_starting_until: date | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    offering: str  # institution id ("from")
    audience: str  # institution id ("to")
    include: Filters = field(default_factory=Filters)
    exclude: Filters = field(default_factory=Filters)
    terms: tuple[Term, ...] = ()
    default_credits: float | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class Equivalence:
    """A row of the equivalence register: host course ↔ home course, as agreed."""

    host_course: str  # course key or id
    audience: str
    home_course: str
    status: str  # approved / conditional / partial
    home_credits: float | None = None
    valid_terms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ExchangeSettings:
    rules: tuple[Rule, ...] = ()
    credit_systems: tuple[CreditSystem, ...] = ()
    #: Institution id → credit system id.
    institution_systems: dict[str, str] = field(default_factory=dict)
    #: Institution id → IANA zone, for application windows given as dates.
    institution_zones: dict[str, str] = field(default_factory=dict)
    credit_rounding: float = 0.5
    equivalences: tuple[Equivalence, ...] = ()


@dataclass
class DirectionSummary:
    offering: str
    audience: str
    courses: int = 0
    runs: int = 0
    open_now: int = 0
    #: Seats are per term (for all its runs together), counted once per (rule, term).
    seats: int = 0
    terms: set[tuple[str, str]] = field(default_factory=set, repr=False)


# -- pure rules ---------------------------------------------------------------------------------


def matches(filters: Filters, course: dict[str, Any]) -> bool:
    """True when the course meets every non-empty criterion of ``filters``."""

    def any_of(wanted: tuple[str, ...], values: Iterable[str | None]) -> bool:
        if not wanted:
            return True
        have = {v.lower() for v in values if v}
        return any(w.lower() in have for w in wanted)

    language = course.get("language") or ""
    return (
        (
            not filters.languages
            or any(
                language.lower() == w.lower() or language.lower().startswith(w.lower() + "-")
                for w in filters.languages
            )
        )
        and any_of(filters.subjects, course.get("isced") or ())
        and any_of(filters.levels, [course.get("level")])
        and any_of(filters.organizations, [course.get("organization")])
        and any_of(filters.pacing, [course.get("pacing")])
        and any_of(filters.courses, [course.get("key"), course.get("id")])
    )


def excluded(filters: Filters, course: dict[str, Any]) -> bool:
    """An exclude block matches when any one of its criteria matches."""
    if filters.empty():
        return False
    return any(
        matches(Filters(**{name: getattr(filters, name)}), course)
        for name in ("languages", "subjects", "levels", "organizations", "pacing", "courses")
        if getattr(filters, name)
    )


def in_term(term: Term, run_start: datetime | None, zone: ZoneInfo) -> bool:
    if run_start is None:
        return True  # self-paced or undated: available in every term
    local = run_start.astimezone(zone).date()
    if term.runs_starting_from and local < term.runs_starting_from:
        return False
    return not (term.runs_starting_until and local > term.runs_starting_until)


def window(day: date | None, zone: ZoneInfo, *, end: bool) -> datetime | None:
    """A window bound given as a date, in the offering institution's zone (end: end of day)."""
    if day is None:
        return None
    return datetime.combine(day, time.max if end else time.min, tzinfo=zone)


def round_to(value: float, step: float) -> float:
    if step <= 0:
        return value
    return math.floor(value / step + 0.5) * step


def convert(
    credits: float, host: CreditSystem | None, home: CreditSystem | None, step: float
) -> float | None:
    """Host credits → home credits through contact hours, rounded to ``step``."""
    if host is None or home is None:
        return None
    return round_to(credits * host.hours_per_credit / home.hours_per_credit, step)


def is_open(start: datetime | None, end: datetime | None, now: datetime) -> bool:
    return (start is None or start <= now) and (end is None or now <= end)


# -- rebuilding the offers ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _PreparedRule:
    """A rule with what every course it is tried on shares: zone, credit systems, and each
    term's application window as datetimes."""

    rule: Rule
    zone: ZoneInfo
    host: CreditSystem | None
    home: CreditSystem | None
    terms: tuple[tuple[Term, datetime | None, datetime | None], ...]


def _prepare(
    rule: Rule, settings: ExchangeSettings, systems: dict[str, CreditSystem]
) -> _PreparedRule:
    zone = ZoneInfo(settings.institution_zones.get(rule.offering, "UTC"))
    return _PreparedRule(
        rule=rule,
        zone=zone,
        host=systems.get(settings.institution_systems.get(rule.offering, "")),
        home=systems.get(settings.institution_systems.get(rule.audience, "")),
        terms=tuple(
            (
                term,
                window(term.application_start, zone, end=False),
                window(term.application_end, zone, end=True),
            )
            for term in rule.terms or (Term(name=""),)
        ),
    )


def rebuild(
    engine: Engine,
    settings: ExchangeSettings,
    *,
    isced: Callable[[Sequence[str]], list[str]] = lambda _subjects: [],
    now: datetime | None = None,
) -> list[DirectionSummary]:
    """Recompute every offer from the catalog and the rules, in one transaction.

    Courses are read in batches of their id, with only the columns the rules look at, and
    offers are inserted a thousand at a time.
    """
    now = now or utcnow()
    systems = {s.id: s for s in settings.credit_systems}
    summaries: dict[tuple[str, str], DirectionSummary] = {}
    offers_t, c, r = tables.offers, tables.courses.c, tables.course_runs.c
    with engine.begin() as conn:
        conn.execute(delete(offers_t))
        f = tables.feeds.c
        institution_of = dict(conn.execute(select(f.id, f.institution_id)).all())
        known = set(conn.execute(select(tables.institutions.c.id)).scalars())
        rules = [
            _prepare(x, settings, systems)
            for x in settings.rules
            if x.offering in known and x.audience in known
        ]
        if not rules:
            return []
        courses_q = select(
            c.id, c.feed_id, c.key, c.language, c.level, c.organization, c.pacing, c.subjects,
            c.credits,
        ).where(c.status == "active")  # fmt: skip
        runs_q = select(r.id, r.course_id, r.start, r.enrollment_start, r.enrollment_end)
        last_id, batch_rows = 0, []
        while True:
            courses = conn.execute(courses_q.where(c.id > last_id).order_by(c.id).limit(500)).all()
            if not courses:
                break
            last_id = courses[-1].id
            runs: dict[int, list[Any]] = {}
            for run in conn.execute(runs_q.where(r.course_id.in_([x.id for x in courses]))):
                runs.setdefault(run.course_id, []).append(run)
            for row in courses:
                offering = institution_of.get(row.feed_id)
                doc = {
                    "id": f"{row.feed_id}:{row.key}",
                    "key": row.key,
                    "language": row.language,
                    "level": row.level,
                    "organization": row.organization,
                    "pacing": row.pacing,
                    "isced": isced(row.subjects or []),
                }
                batch_rows.extend(
                    _offers_for(
                        row,
                        doc=doc,
                        runs=runs.get(row.id, []),
                        offering=offering,
                        rules=rules,
                        settings=settings,
                        now=now,
                        summaries=summaries,
                    )
                )
            if len(batch_rows) >= 1000:
                conn.execute(insert(offers_t), batch_rows)
                batch_rows = []
        if batch_rows:
            conn.execute(insert(offers_t), batch_rows)
    return sorted(summaries.values(), key=lambda s: (s.offering, s.audience))


def _offers_for(
    row: Any,
    *,
    doc: dict[str, Any],
    runs: list[Any],
    offering: str | None,
    rules: list[_PreparedRule],
    settings: ExchangeSettings,
    now: datetime,
    summaries: dict[tuple[str, str], DirectionSummary],
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    taken: set[tuple[int, str]] = set()  # (run id, audience): the first matching rule wins
    for prepared in rules:
        rule = prepared.rule
        if (
            rule.offering != offering
            or not matches(rule.include, doc)
            or excluded(rule.exclude, doc)
        ):
            continue
        zone, host, home = prepared.zone, prepared.host, prepared.home
        summary = summaries.get((rule.offering, rule.audience))
        if summary is None:
            summary = summaries[(rule.offering, rule.audience)] = DirectionSummary(
                rule.offering, rule.audience
            )
        counted = False
        host_credits = row.credits if row.credits is not None else rule.default_credits
        credits_source = "source" if row.credits is not None else "rule"
        converted = (
            convert(host_credits, host, home, settings.credit_rounding)
            if host_credits is not None
            else None
        )
        for run in runs:
            if (run.id, rule.audience) in taken:
                continue
            for term, term_start, term_end in prepared.terms:
                if not in_term(term, run.start, zone):
                    continue
                start = term_start or run.enrollment_start
                end = term_end or run.enrollment_end
                home_credits, source = converted, credits_source
                eq = _equivalence(settings.equivalences, doc, rule.audience, term.name)
                if eq is not None and eq.home_credits is not None:
                    home_credits, source = eq.home_credits, "equivalence"
                open_now = is_open(start, end, now)
                out.append(
                    {
                        "course_id": row.id,
                        "run_id": run.id,
                        "audience": rule.audience,
                        "offering": rule.offering,
                        "rule": rule.id,
                        "term": term.name or None,
                        "application_start": start,
                        "application_end": end,
                        "open_now": open_now,
                        "seats": term.seats,
                        "notes": rule.notes,
                        "host_credits": host_credits,
                        "host_system": host.id if host else None,
                        "home_credits": home_credits,
                        "home_system": home.id if home else None,
                        "credits_source": source if host_credits is not None else None,
                        "equivalence_status": eq.status if eq else None,
                        "equivalence_home_course": eq.home_course if eq else None,
                        "equivalence_terms": list(eq.valid_terms) if eq else None,
                    }
                )
                taken.add((run.id, rule.audience))
                summary.runs += 1
                summary.open_now += open_now
                if (rule.id, term.name) not in summary.terms:
                    summary.terms.add((rule.id, term.name))
                    summary.seats += term.seats or 0
                counted = True
                break
        summary.courses += counted
    return out


def _equivalence(
    register: tuple[Equivalence, ...], doc: dict[str, Any], audience: str, term: str
) -> Equivalence | None:
    for eq in register:
        if eq.audience != audience or eq.host_course not in (doc["key"], doc["id"]):
            continue
        if eq.valid_terms and term and term not in eq.valid_terms:
            continue
        return eq
    return None


def utc_iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None
