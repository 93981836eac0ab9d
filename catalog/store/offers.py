"""Rebuilding the exchange's offers from the catalog and the rules (:mod:`catalog.derive.exchange`).

Offers are *derived* data: :func:`rebuild` recomputes all of them in one transaction after every
sync that changed the catalog, and on ``moocx exchange``. One offer per (course run, audience),
and per (course, audience) for a course without runs, from the first rule that matches.

The rebuild also says what each rule did: how many courses it matched, how many it offered,
and — for courses it matched but could not offer — why, counted by reason, so an admin sees a
rule that matches courses and yields nothing (``moocx exchange``).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, or_, select

from catalog.derive.exchange import (
    ENDED,
    CourseFacts,
    ExchangeSettings,
    PlacedTerm,
    PreparedRule,
    RunFacts,
    convert,
    equivalence_for,
    excluded,
    is_open,
    matches,
    notes_for,
    prepare,
)
from catalog.ids import course_id
from catalog.store import renames, tables
from catalog.store.db import serialize
from catalog.store.tables import utcnow

log = logging.getLogger(__name__)

#: Why a course a rule matched has no offer from it, as ``moocx exchange`` prints it.
MISSED = {
    "outside": "no run starts within a term's run window",
    "ended": "every run ended before its term's application window opens",
    "outside-or-ended": (
        "no run fits a term (each starts outside the run windows or ended before the "
        "application window opens)"
    ),
}


@dataclass
class DirectionSummary:
    offering: str
    audience: str
    courses: int = 0
    runs: int = 0
    #: Courses without runs, offered as a whole (their dates are set by the platform).
    whole: int = 0
    open_now: int = 0
    #: Seats are per term (for all its runs together), counted once per (rule, term).
    seats: int = 0
    terms: set[tuple[str, str]] = field(default_factory=set, repr=False)


@dataclass
class RuleSummary:
    """What one rule did in a rebuild."""

    rule: str
    offering: str
    audience: str
    #: Why the rule was not applied at all (an institution with no feed in the catalog).
    skipped: str | None = None
    #: Active courses of ``offering`` that meet the rule's include and exclude criteria.
    matched: int = 0
    #: Of those, courses with at least one offer from this rule.
    offered: int = 0
    #: Matched, not offered by this rule, and already offered to the audience by an earlier one.
    earlier: int = 0
    #: Matched and not offered, by reason (keys of :data:`MISSED`).
    missed: Counter[str] = field(default_factory=Counter)


@dataclass
class ExchangeReport:
    directions: list[DirectionSummary]
    rules: list[RuleSummary]


@dataclass
class _Rebuild:
    """The state of one rebuild: the prepared rules and what they did so far."""

    settings: ExchangeSettings
    rules: list[PreparedRule]
    languages: dict[str, str]
    now: datetime
    directions: dict[tuple[str, str], DirectionSummary] = field(default_factory=dict)
    summaries: dict[str, RuleSummary] = field(default_factory=dict)

    def direction(self, rule: PreparedRule) -> DirectionSummary:
        key = (rule.rule.offering, rule.rule.audience)
        found = self.directions.get(key)
        if found is None:
            found = self.directions[key] = DirectionSummary(*key)
        return found


def rebuild(
    engine: Engine,
    settings: ExchangeSettings,
    *,
    now: datetime | None = None,
) -> ExchangeReport:
    """Recompute every offer from the catalog and the rules, in one transaction.

    The rules match the ISCED codes the ingest stored (``courses.isced``): the caller makes
    them current for the config's mapping first (``catalog.store.subject_codes.ensure_codes``).

    Courses are read in batches of their id, with only the columns the rules look at, and
    offers are inserted a thousand at a time.

    Two rebuilds take turns (``serialize``; on SQLite the write lock does it): on PostgreSQL
    the second one's ``DELETE`` would otherwise miss the offers the first just committed, and
    its inserts would collide with them. Reads stay at ``READ COMMITTED``: a sync committing
    meanwhile rebuilds the exchange itself once it is done, after this one.
    """
    with engine.begin() as conn:
        serialize(conn, "moocx:exchange")
        conn.execute(delete(tables.offers))
        state = _start(conn, settings, now or utcnow())
        if state.rules:
            _offer_everything(conn, state)
    directions = sorted(state.directions.values(), key=lambda s: (s.offering, s.audience))
    return ExchangeReport(directions, list(state.summaries.values()))


def _start(conn: Connection, settings: ExchangeSettings, now: datetime) -> _Rebuild:
    inst = tables.institutions.c
    languages = {
        row.id: row.language or "en" for row in conn.execute(select(inst.id, inst.language))
    }
    with_feeds = set(conn.execute(select(tables.feeds.c.institution_id).distinct()).scalars())
    systems = {s.id: s for s in settings.credit_systems}
    state = _Rebuild(settings, [], languages, now)
    for rule in settings.rules:
        summary = state.summaries[rule.id] = RuleSummary(rule.id, rule.offering, rule.audience)
        if rule.offering not in with_feeds:
            summary.skipped = f"{rule.offering} has no feed in the catalog (run moocx sync)"
        elif rule.audience not in languages:
            summary.skipped = f"{rule.audience} is not in the catalog (run moocx sync)"
        else:
            state.rules.append(prepare(rule, settings, systems))
    return state


def _offer_everything(conn: Connection, state: _Rebuild) -> None:
    c, r = tables.courses.c, tables.course_runs.c
    institution_of = dict(
        conn.execute(select(tables.feeds.c.id, tables.feeds.c.institution_id)).all()
    )
    courses_q = select(
        c.id, c.feed_id, c.key, c.language, c.level, c.organization, c.pacing, c.isced,
        c.credits,
    ).where(
        c.status == "active",
        c.id.not_in(renames.superseded()),
        # A course past the date its source says it expires is no longer offered.
        or_(c.expires.is_(None), c.expires > state.now),
    )  # fmt: skip
    runs_q = select(
        r.id, r.course_id, r.key, r.start, r.end, r.pacing, r.enrollment_start, r.enrollment_end
    )
    last_id, batch = 0, []
    while True:
        courses = conn.execute(courses_q.where(c.id > last_id).order_by(c.id).limit(500)).all()
        if not courses:
            break
        last_id = courses[-1].id
        runs: dict[int, list[Any]] = {}
        for run in conn.execute(runs_q.where(r.course_id.in_([x.id for x in courses]))):
            runs.setdefault(run.course_id, []).append(run)
        for row in courses:
            facts = course_facts(row)
            its_runs: list[tuple[int | None, RunFacts | None]] = [
                (run.id, run_facts(run)) for run in runs.get(row.id, [])
            ]
            batch.extend(_offers_for(state, row, facts, its_runs, institution_of.get(row.feed_id)))
        if len(batch) >= 1000:
            conn.execute(insert(tables.offers), batch)
            batch = []
    if batch:
        conn.execute(insert(tables.offers), batch)


def course_facts(row: Any) -> CourseFacts:
    """A ``courses`` row as the rules see it (its stored ISCED codes)."""
    return CourseFacts(
        id=course_id(row.feed_id, row.key), key=row.key, language=row.language, level=row.level,
        organization=row.organization, pacing=row.pacing, isced=tuple(row.isced or ()),
    )  # fmt: skip


def run_facts(run: Any) -> RunFacts:
    """A ``course_runs`` row as the terms see it."""
    return RunFacts(
        key=run.key, start=run.start, end=run.end, pacing=run.pacing,
        enrollment_start=run.enrollment_start, enrollment_end=run.enrollment_end,
    )  # fmt: skip


def _offers_for(
    state: _Rebuild,
    row: Any,
    facts: CourseFacts,
    runs: Sequence[tuple[int | None, RunFacts | None]],
    offering: str | None,
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    taken: set[tuple[int | None, str]] = set()  # (run id, audience): the first rule wins
    for prepared in state.rules:
        rule = prepared.rule
        if rule.offering != offering or not matches(rule.include, facts):
            continue
        if excluded(rule.exclude, facts):
            continue
        summary = state.summaries[rule.id]
        summary.matched += 1
        offered: list[dict[str, Any]] = []
        already, codes = False, set()
        for run_id, run in runs or [(None, None)]:
            if (run_id, rule.audience) in taken:
                already = True
                continue
            placed = prepared.place(run, state.now) if run else prepared.undated_term(state.now)
            if placed is None:
                codes.add(_miss_code(prepared, run))
                continue
            offered.append(
                _offer_row(state, prepared, placed, row=row, facts=facts, run_id=run_id, run=run)
            )
            taken.add((run_id, rule.audience))
        if offered:
            summary.offered += 1
            _count(state, prepared, offered, whole=not runs)
            out.extend(offered)
        elif already:  # the audience has the course from an earlier rule
            summary.earlier += 1
        else:
            summary.missed["-or-".join(sorted(codes, reverse=True))] += 1
    return out


def _miss_code(prepared: PreparedRule, run: RunFacts | None) -> str:
    """ "ended" when the run starts in a term's run window but ended before its application
    window opens, else "outside"."""
    assert run is not None  # a course without runs always has a term
    return "ended" if any(m == ENDED for _t, m in prepared.run_misses(run)) else "outside"


def _offer_row(
    state: _Rebuild,
    prepared: PreparedRule,
    placed: PlacedTerm,
    *,
    row: Any,
    facts: CourseFacts,
    run_id: int | None,
    run: RunFacts | None,
) -> dict[str, Any]:
    rule, term, host, home = prepared.rule, placed.term, prepared.host, prepared.home
    settings = state.settings
    host_credits = row.credits if row.credits is not None else rule.default_credits
    home_credits = (
        convert(host_credits, host, home, settings.credit_rounding)
        if host_credits is not None
        else None
    )
    source = "source" if row.credits is not None else "rule"
    eq = equivalence_for(settings.equivalences, facts, rule.audience, term.name)
    if eq is not None and eq.home_credits is not None:
        home_credits, source = eq.home_credits, "equivalence"
    start = placed.opens or (run.enrollment_start if run else None)
    end = placed.closes or (run.enrollment_end if run else None)
    return {
        "course_id": row.id,
        "run_id": run_id,
        "audience": rule.audience,
        "offering": rule.offering,
        "rule": rule.id,
        "term": term.name or None,
        "application_start": start,
        "application_end": end,
        "open_now": is_open(start, end, state.now),
        "seats": term.seats,
        "notes": notes_for(rule.notes, state.languages.get(rule.audience, "en")),
        "notes_i18n": dict(rule.notes) if isinstance(rule.notes, Mapping) else None,
        "host_credits": host_credits,
        "host_system": host.id if host else None,
        "home_credits": home_credits,
        "home_system": home.id if home else None,
        "credits_source": source if host_credits is not None else None,
        "equivalence_status": eq.status if eq else None,
        "equivalence_home_course": eq.home_course if eq else None,
        "equivalence_terms": list(eq.valid_terms) if eq else None,
    }


def _count(
    state: _Rebuild, prepared: PreparedRule, offers: list[dict[str, Any]], *, whole: bool
) -> None:
    direction = state.direction(prepared)
    direction.courses += 1
    if whole:
        direction.whole += 1
    else:
        direction.runs += len(offers)
    for offer in offers:
        direction.open_now += offer["open_now"]
        term = (prepared.rule.id, offer["term"] or "")
        if term not in direction.terms:
            direction.terms.add(term)
            direction.seats += offer["seats"] or 0
