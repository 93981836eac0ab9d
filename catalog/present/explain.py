"""Why a course is or is not offered: every exchange rule tried on one course, with the reason
each decided as it did (``moocx exchange --explain ID``).

The decisions are the rebuild's own (:mod:`catalog.derive.exchange`, :mod:`catalog.store.offers`),
asked again for one course and spelled out: which include or exclude criterion decided, which term
took which run, which run fell outside which window, which earlier rule already offered it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from catalog.derive.exchange import (
    AFTER,
    BEFORE,
    CourseFacts,
    ExchangeSettings,
    PlacedTerm,
    PreparedRule,
    Rule,
    RunFacts,
    excluding_criterion,
    failed_criterion,
    prepare,
    values_text,
)
from catalog.present.lookup import find_course
from catalog.store import tables
from catalog.store.offers import course_facts, run_facts
from catalog.store.tables import utcnow

_LABEL = {
    "languages": "language",
    "subjects": "ISCED subjects",
    "levels": "level",
    "organizations": "organisation",
    "pacing": "pacing",
    "courses": "key and id",
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """One rule tried on the course: offered to its audience or not, and why (one line each)."""

    rule: str
    audience: str
    offered: bool
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Explanation:
    course: str
    title: str
    institution: str | None
    status: str
    verdicts: tuple[Verdict, ...]


def explain(
    conn: Connection,
    ref: str,
    settings: ExchangeSettings,
    *,
    now: datetime | None = None,
) -> Explanation:
    """Try every rule on the course ``ref`` (an id ``feed:key`` or an unambiguous key), on its
    stored ISCED codes (current for the config's mapping: ``subject_codes.ensure_codes``)."""
    now = now or utcnow()
    row = find_course(conn, ref)
    facts = course_facts(row)
    r = tables.course_runs.c
    runs: list[tuple[int | None, RunFacts | None]] = [
        (run.id, run_facts(run))
        for run in conn.execute(
            select(r.id, r.key, r.start, r.end, r.pacing, r.enrollment_start, r.enrollment_end)
            .where(r.course_id == row.id)
            .order_by(r.start, r.key)
        )
    ]
    feeds = tables.feeds.c
    institution = conn.execute(
        select(feeds.institution_id).where(feeds.id == row.feed_id)
    ).scalar_one_or_none()
    known = set(conn.execute(select(tables.institutions.c.id)).scalars())
    systems = {s.id: s for s in settings.credit_systems}
    taken: dict[tuple[int | None, str], str] = {}  # (run id, audience) → the rule that took it
    verdicts = []
    for rule in settings.rules:
        reason = _not_tried(rule, institution, known, row.status) or _expired(row.expires, now)
        if reason is None:
            reason = _criteria(rule, facts)
        if reason is not None:
            verdicts.append(Verdict(rule.id, rule.audience, False, (reason,)))
            continue
        prepared = prepare(rule, settings, systems)
        verdicts.append(_terms(prepared, runs, taken, now))
    return Explanation(facts.id, row.title, institution, row.status, tuple(verdicts))


def _not_tried(rule: Rule, institution: str | None, known: set[str], status: str) -> str | None:
    if rule.offering != institution:
        return f"not offered: the rule offers {rule.offering}'s courses; this is {institution}'s"
    if rule.audience not in known:
        return f"not offered: {rule.audience} is not in the catalog (run moocx sync)"
    if status != "active":
        return f"not offered: the course is {status}"
    return None


def _expired(expires: datetime | None, now: datetime) -> str | None:
    if expires is not None and expires <= now:
        return f"not offered: the source says the course expired on {expires.isoformat()}"
    return None


def _criteria(rule: Rule, facts: CourseFacts) -> str | None:
    failed = failed_criterion(rule.include, facts)
    if failed is not None:
        wanted = ", ".join(getattr(rule.include, failed))
        return (
            f"not offered: include.{failed} = [{wanted}], and the course's {_LABEL[failed]} "
            f"is {values_text(facts.values(failed))}"
        )
    hit = excluding_criterion(rule.exclude, facts)
    if hit is not None:
        wanted = ", ".join(getattr(rule.exclude, hit))
        return (
            f"not offered: exclude.{hit} = [{wanted}] excludes it (its {_LABEL[hit]}: "
            f"{values_text(facts.values(hit))})"
        )
    return None


def _terms(
    prepared: PreparedRule,
    runs: Sequence[tuple[int | None, RunFacts | None]],
    taken: dict[tuple[int | None, str], str],
    now: datetime,
) -> Verdict:
    rule = prepared.rule
    lines = [f"matches: {_criteria_text(rule)}"]
    offered = False
    for run_id, run in runs or [(None, None)]:
        what = f"run {run.key}" if run else "the course has no runs:"
        earlier = taken.get((run_id, rule.audience))
        if earlier is not None:
            lines.append(f"{what} already offered to {rule.audience} under rule {earlier}")
            continue
        placed = prepared.place(run, now) if run else prepared.undated_term(now)
        if placed is None:
            assert run is not None
            lines.extend(_misses(prepared, run))
            continue
        taken[(run_id, rule.audience)] = rule.id
        offered = True
        if run is None:
            lines.append(f"{what} offered as a whole (dates set by the platform), {_term(placed)}")
        else:
            lines.append(f"{what} ({_run_dates(prepared, run)}): offered, {_term(placed)}")
    return Verdict(rule.id, rule.audience, offered, tuple(lines))


def _criteria_text(rule: Rule) -> str:
    parts = [
        f"include.{name} = [{', '.join(getattr(rule.include, name))}]"
        for name in _LABEL
        if getattr(rule.include, name)
    ]
    held = ", ".join(parts) if parts else "no include criteria (every course)"
    return held + ("" if rule.exclude.empty() else "; no exclude criterion applies")


def _misses(prepared: PreparedRule, run: RunFacts) -> list[str]:
    zone = prepared.zone
    out = []
    for placed, miss in prepared.run_misses(run):
        term = placed.term
        name = term.name or "the rule"
        if miss in (BEFORE, AFTER):
            start = run.start.astimezone(zone).date() if run.start else None
            bound = term.runs_starting_from if miss == BEFORE else term.runs_starting_until
            side = "before" if miss == BEFORE else "after"
            out.append(
                f"run {run.key} not offered in term {name}: it starts {start} ({zone.key}), "
                f"{side} the term's run window "
                f"({term.runs_starting_from or '…'} – {term.runs_starting_until or '…'}; "
                f"runs_starting_{'from' if miss == BEFORE else 'until'} = {bound})"
            )
        else:
            end = run.end.astimezone(zone).date() if run.end else None
            opens = placed.opens.date() if placed.opens else None
            out.append(
                f"run {run.key} not offered in term {name}: it ended {end}, before the "
                f"term's application window opens ({opens})"
            )
    return out


def _run_dates(prepared: PreparedRule, run: RunFacts) -> str:
    if run.start is None:
        return "self-paced, no start date" if run.pacing == "self" else "no start date"
    start = run.start.astimezone(prepared.zone).date()
    return f"starts {start}" + (", self-paced" if run.pacing == "self" else "")


def _term(placed: PlacedTerm) -> str:
    term = placed.term
    if not term.name:
        return "no terms (the rule has none)"
    opens = placed.opens.date().isoformat() if placed.opens else "…"
    closes = placed.closes.date().isoformat() if placed.closes else "…"
    seats = f", {term.seats} seats" if term.seats is not None else ""
    return f"term {term.name} (applications {opens} – {closes}{seats})"


def explained_rows(explanation: Explanation) -> list[dict[str, Any]]:
    """The explanation as plain values (``--json``)."""
    return [
        {"rule": v.rule, "audience": v.audience, "offered": v.offered, "why": list(v.lines)}
        for v in explanation.verdicts
    ]
