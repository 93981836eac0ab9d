"""The course exchange's rules: which courses of one institution are open to another's
students, in which term, with how many seats, and what their credits are worth at home.

This module holds the plain values the scheduler builds from the config and the pure decisions
made from them; :mod:`catalog.store.offers` applies them to the whole catalog (the offers table) and
:mod:`catalog.present.explain` to one course, with every reason spelled out. Both ask the same
functions, so what ``moocx exchange --explain`` says is what the rebuild did.

A rule takes the courses of ``from`` that meet every ``include`` criterion and no ``exclude``
criterion. Each run of such a course is offered in the first of the rule's terms it fits:
its start (in the offering institution's zone) lies in the term's run window, and it did not
end before the term's application window opens — self-paced and undated runs fit every term,
and take the first whose application window has not closed. A course without runs (OAI-PMH, a
plain catalogue) is offered as a whole in that same term: its dates are set by the platform.

Credits: the host credits come from the source, else the rule's default. The home equivalent
goes through contact hours (tín chỉ 15 h, 学分 16 h, ECTS 25–30 h as configured) and is rounded
to the configured step — unless the equivalence register says otherwise, which always wins and
is shown to students.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

#: Why a run fits no term (the codes :func:`run_misses` gives).
BEFORE, AFTER, ENDED = "before", "after", "ended"


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
        return not any(getattr(self, name) for name in CRITERIA)


#: The criteria of :class:`Filters`, in the order they are checked and explained.
CRITERIA = ("languages", "subjects", "levels", "organizations", "pacing", "courses")


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
    #: One text, or one per language ({"vi": …, "zh": …, "en": …}).
    notes: str | Mapping[str, str] | None = None


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


@dataclass(frozen=True, slots=True)
class CourseFacts:
    """What the rules look at in a course."""

    id: str  # "feed:key"
    key: str
    language: str | None = None
    level: str | None = None
    organization: str | None = None
    pacing: str | None = None
    isced: tuple[str, ...] = ()

    def values(self, criterion: str) -> tuple[str | None, ...]:
        """The course's values for one criterion of :class:`Filters`."""
        if criterion == "subjects":
            return self.isced
        if criterion == "courses":
            return (self.key, self.id)
        return (getattr(self, _FIELD_OF[criterion]),)


_FIELD_OF = {
    "languages": "language",
    "levels": "level",
    "organizations": "organization",
    "pacing": "pacing",
}


@dataclass(frozen=True, slots=True)
class RunFacts:
    """What the terms look at in a run."""

    key: str
    start: datetime | None = None
    end: datetime | None = None
    pacing: str | None = None
    enrollment_start: datetime | None = None
    enrollment_end: datetime | None = None


# -- criteria -----------------------------------------------------------------------------------


def _language_fits(wanted: str, language: str | None) -> bool:
    have, want = (language or "").lower(), wanted.lower()
    return have == want or have.startswith(want + "-")


def criterion_holds(criterion: str, wanted: tuple[str, ...], course: CourseFacts) -> bool:
    """True when the course meets one criterion (an empty one always holds)."""
    if not wanted:
        return True
    if criterion == "languages":
        return any(_language_fits(w, course.language) for w in wanted)
    have = {v.lower() for v in course.values(criterion) if v}
    return any(w.lower() in have for w in wanted)


def failed_criterion(filters: Filters, course: CourseFacts) -> str | None:
    """The first ``include`` criterion the course does not meet, or None when it meets all."""
    for name in CRITERIA:
        if not criterion_holds(name, getattr(filters, name), course):
            return name
    return None


def excluding_criterion(filters: Filters, course: CourseFacts) -> str | None:
    """The first ``exclude`` criterion the course meets (any one excludes it), or None."""
    for name in CRITERIA:
        wanted = getattr(filters, name)
        if wanted and criterion_holds(name, wanted, course):
            return name
    return None


def matches(filters: Filters, course: CourseFacts) -> bool:
    """True when the course meets every non-empty criterion of ``filters``."""
    return failed_criterion(filters, course) is None


def excluded(filters: Filters, course: CourseFacts) -> bool:
    """An exclude block matches when any one of its criteria matches."""
    return excluding_criterion(filters, course) is not None


def values_text(values: Iterable[str | None]) -> str:
    shown = [v for v in values if v]
    return ", ".join(shown) if shown else "none"


# -- terms and windows --------------------------------------------------------------------------


def in_term(term: Term, run_start: datetime | None, zone: ZoneInfo) -> bool:
    """True when a run starting then belongs to the term's run window."""
    return _start_miss(term, run_start, zone) is None


def _start_miss(term: Term, run_start: datetime | None, zone: ZoneInfo) -> str | None:
    if run_start is None:
        return None  # self-paced or undated: available in every term
    local = run_start.astimezone(zone).date()
    if term.runs_starting_from and local < term.runs_starting_from:
        return BEFORE
    if term.runs_starting_until and local > term.runs_starting_until:
        return AFTER
    return None


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


@dataclass(frozen=True, slots=True)
class PlacedTerm:
    """A term with its application window as datetimes in the offering institution's zone."""

    term: Term
    opens: datetime | None
    closes: datetime | None


@dataclass(frozen=True, slots=True)
class PreparedRule:
    """A rule with what every course it is tried on shares: zone, credit systems, and each
    term's application window as datetimes."""

    rule: Rule
    zone: ZoneInfo
    host: CreditSystem | None
    home: CreditSystem | None
    terms: tuple[PlacedTerm, ...]

    def undated_term(self, now: datetime) -> PlacedTerm:
        """The term of a self-paced or undated run, or of a course without runs: the first
        whose application window has not closed, else the last."""
        for placed in self.terms:
            if placed.closes is None or placed.closes >= now:
                return placed
        return self.terms[-1]

    def place(self, run: RunFacts, now: datetime) -> PlacedTerm | None:
        """The first term the run fits, or None (:func:`run_misses` says why). Self-paced and
        undated runs fit every term."""
        if run.start is None or run.pacing == "self":
            return self.undated_term(now)
        for placed in self.terms:
            if _start_miss(placed.term, run.start, self.zone) is None and not _ended_before(
                run, placed
            ):
                return placed
        return None

    def run_misses(self, run: RunFacts) -> list[tuple[PlacedTerm, str]]:
        """Why the run fits none of the terms: (term, BEFORE | AFTER | ENDED) for each."""
        out = []
        for placed in self.terms:
            miss = _start_miss(placed.term, run.start, self.zone)
            if miss is None and _ended_before(run, placed):
                miss = ENDED
            if miss is not None:
                out.append((placed, miss))
        return out


def _ended_before(run: RunFacts, placed: PlacedTerm) -> bool:
    """A run (not self-paced) that ended before the term's application window opens cannot be
    taken in that term."""
    return (
        run.pacing != "self"
        and run.end is not None
        and placed.opens is not None
        and run.end < placed.opens
    )


def prepare(
    rule: Rule, settings: ExchangeSettings, systems: Mapping[str, CreditSystem]
) -> PreparedRule:
    zone = ZoneInfo(settings.institution_zones.get(rule.offering, "UTC"))
    return PreparedRule(
        rule=rule,
        zone=zone,
        host=systems.get(settings.institution_systems.get(rule.offering, "")),
        home=systems.get(settings.institution_systems.get(rule.audience, "")),
        terms=tuple(
            PlacedTerm(
                term,
                window(term.application_start, zone, end=False),
                window(term.application_end, zone, end=True),
            )
            for term in rule.terms or (Term(name=""),)
        ),
    )


def notes_for(notes: str | Mapping[str, str] | None, language: str) -> str | None:
    """A rule's notes in one language: its own text, else English, else any it has."""
    if notes is None or isinstance(notes, str):
        return notes
    return notes.get(language) or notes.get("en") or next(iter(notes.values()), None)


def equivalence_for(
    register: tuple[Equivalence, ...], course: CourseFacts, audience: str, term: str
) -> Equivalence | None:
    for eq in register:
        if eq.audience != audience or eq.host_course not in (course.key, course.id):
            continue
        if eq.valid_terms and term and term not in eq.valid_terms:
            continue
        return eq
    return None
