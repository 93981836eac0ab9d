"""From the config to the exchange: rules, credit systems, the equivalence register, subjects.

The catalog computes offers from plain values (catalog.derive.exchange); this module builds those
values from the TOML config and the register file, and rebuilds the exchange when the catalog
changed. Whatever reads the stored ISCED codes — the exchange, explanations, ``moocx course``,
the exports — first makes them current for the config's ``[subjects]`` mapping
(:func:`current_subject_codes`), so a changed mapping counts without a harvest.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from sqlalchemy import Engine

from catalog.derive.exchange import (
    CreditSystem,
    Equivalence,
    ExchangeSettings,
    Filters,
    Rule,
    Term,
)
from catalog.store.offers import ExchangeReport, rebuild
from catalog.store.subject_codes import Recoded, ensure_codes
from connectors.normalize import language_tag
from scheduler.config import Config, ConfigError, FiltersConfig, Names

log = logging.getLogger(__name__)
REGISTER_COLUMNS = (
    "host_institution",
    "host_course",
    "home_institution",
    "home_course",
    "status",
    "home_credits",
    "valid_terms",
)
STATUSES = ("approved", "conditional", "partial")


def _filters(f: FiltersConfig) -> Filters:
    # Tags as the connectors store them: a rule's "vie" or "zh-hans" must match "vi", "zh-Hans".
    languages = tuple(language_tag(tag) or tag for tag in f.languages)
    return Filters(
        languages=languages,
        subjects=tuple(f.subjects),
        levels=tuple(f.levels),
        organizations=tuple(f.organizations),
        pacing=tuple(f.pacing),
        courses=tuple(f.courses),
    )


def load_register(path: Path) -> tuple[Equivalence, ...]:
    """Read the equivalence register (CSV, UTF-8, header row); errors name the line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError([f"credits.equivalences: cannot read {path}: {exc}"]) from None
    rows = csv.DictReader(text.splitlines())
    missing = set(REGISTER_COLUMNS) - set(rows.fieldnames or ())
    if missing:
        raise ConfigError(
            [f"credits.equivalences: {path} lacks the columns {', '.join(sorted(missing))}"]
        )
    out, errors = [], []
    for line, row in enumerate(rows, start=2):
        status = (row["status"] or "").strip().lower()
        if status not in STATUSES:
            errors.append(
                f"credits.equivalences: {path} line {line}: status {status!r} is not "
                f"one of {', '.join(STATUSES)}"
            )
            continue
        try:
            credits = float(row["home_credits"]) if (row["home_credits"] or "").strip() else None
        except ValueError:
            errors.append(
                f"credits.equivalences: {path} line {line}: home_credits "
                f"{row['home_credits']!r} is not a number"
            )
            continue
        out.append(
            Equivalence(
                host_course=row["host_course"].strip(),
                audience=row["home_institution"].strip(),
                home_course=row["home_course"].strip(),
                status=status,
                home_credits=credits,
                valid_terms=tuple(
                    t.strip() for t in (row["valid_terms"] or "").split(";") if t.strip()
                ),
            )
        )
    if errors:
        raise ConfigError(errors)
    return tuple(out)


def _notes(notes: str | Names | None) -> str | dict[str, str] | None:
    if notes is None or isinstance(notes, str):
        return notes
    return notes.model_dump(exclude_none=True) or None


def settings(config: Config) -> ExchangeSettings:
    """The exchange's plain settings from the config (and the register file it names)."""
    register = (
        load_register(Path(config.credits.equivalences)) if config.credits.equivalences else ()
    )
    return ExchangeSettings(
        rules=tuple(
            Rule(
                id=r.id,
                offering=r.offering,
                audience=r.audience,
                include=_filters(r.include),
                exclude=_filters(r.exclude),
                terms=tuple(Term(**t.model_dump()) for t in r.terms),
                default_credits=r.default_credits,
                notes=_notes(r.notes),
            )
            for r in config.exchange
        ),
        credit_systems=tuple(CreditSystem(c.id, c.hours_per_credit) for c in config.credit_systems),
        institution_systems={i.id: i.credit_system for i in config.institutions if i.credit_system},
        institution_zones={i.id: i.timezone for i in config.institutions},
        credit_rounding=config.credits.rounding,
        equivalences=register,
    )


def current_subject_codes(engine: Engine, config: Config) -> Recoded:
    """The catalog's stored ISCED codes (``courses.isced``) and search index made current for
    the config's ``[subjects]`` mapping: decided again, all of them, if it changed since they
    were stored; nothing written if not."""
    return ensure_codes(engine, config.subjects)


def rebuild_exchange(config: Config, engine: Engine) -> ExchangeReport:
    """Recompute every offer; a summary per direction (offering → audience) and per rule."""
    current_subject_codes(engine, config)
    report = rebuild(engine, settings(config))
    for s in report.directions:
        log.info(
            "exchange %s → %s: %d courses, %d runs, %d courses without runs, %d open now, %d seats",
            s.offering,
            s.audience,
            s.courses,
            s.runs,
            s.whole,
            s.open_now,
            s.seats,
        )
    for rule in report.rules:
        if rule.skipped:
            log.warning("exchange rule %s not applied: %s", rule.rule, rule.skipped)
        elif rule.missed:
            log.info(
                "exchange rule %s: %d of %d matching courses get no offer",
                rule.rule,
                sum(rule.missed.values()),
                rule.matched,
            )
    return report
