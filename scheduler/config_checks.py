"""Checks across the config's entries, and of what the connectors accept.

They run on the raw TOML document, so they also run when an unrelated key is wrong and the
typed model could not be built: one pass reports every mistake. Each check yields
``(loc, message)`` problems (see :mod:`scheduler.config_paths`); a value of the wrong type is
left to the model's own check, which reports it once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from pydantic import TypeAdapter, ValidationError

from connectors import registry
from connectors.base import Connector
from scheduler.config_paths import Problem, known
from scheduler.langtags import language_problem

_DATE = TypeAdapter(date)
#: Term windows that must not end before they start: (start key, end key).
_WINDOWS = (
    ("application_start", "application_end"),
    ("runs_starting_from", "runs_starting_until"),
)


def entries(value: Any) -> list[tuple[int, dict[str, Any]]]:
    """The tables of an array of tables, with their index (nothing when it is not one)."""
    if not isinstance(value, list):
        return []
    return [(i, entry) for i, entry in enumerate(value) if isinstance(entry, dict)]


def cross_checks(data: Mapping[str, Any]) -> Iterator[Problem]:
    """Every check of this module, in the order of the sections they concern."""
    institutions = _ids(data, "institutions")
    yield from institutions.problems
    credit_systems = _ids(data, "credit_systems")
    yield from credit_systems.problems
    yield from _ids(data, "feeds").problems
    yield from _ids(data, "exchange").problems
    yield from _subjects(data)
    known_institution = _Refs("institution", institutions, "[[institutions]]")
    known_system = _Refs("credit system", credit_systems, "[[credit_systems]]")
    for i, inst in entries(data.get("institutions")):
        names = inst.get("names")
        if isinstance(names, dict) and not any(names.get(k) for k in ("vi", "zh", "en")):
            yield ("institutions", i, "names"), "give at least one of vi, zh, en"
        system = inst.get("credit_system")
        yield from known_system.check(("institutions", i, "credit_system"), system)
    for i, feed in entries(data.get("feeds")):
        yield from known_institution.check(("feeds", i, "institution"), feed.get("institution"))
    for i, rule in entries(data.get("exchange")):
        yield from _rule(i, rule, known_institution)
    for i, export in entries(data.get("exports")):
        audience = export.get("audience")
        if export.get("format") in ("csv", "site") and not audience:
            yield ("exports", i, "audience"), f"the {export['format']} export is for one audience"
        yield from known_institution.check(("exports", i, "audience"), audience)
    yield from _publish(data.get("publish"), known_institution)


def _publish(publish: Any, institution: _Refs) -> Iterator[Problem]:
    """``[publish]``'s institutions and audiences name configured institutions."""
    if not isinstance(publish, dict):
        return
    for key in ("institutions", "audiences"):
        for n, value in enumerate(v if isinstance(v := publish.get(key), list) else []):
            yield from institution.check(("publish", key, n), value)


class _Ids:
    def __init__(self, valid: bool) -> None:
        #: False when the section is not an array of tables: the model reports it, and every
        #: reference to it would only add an "unknown id" line.
        self.valid = valid
        self.ids: dict[str, int] = {}
        self.problems: list[Problem] = []


def _ids(data: Mapping[str, Any], section: str) -> _Ids:
    """The section's ids (first use wins) and a problem for each id used twice."""
    found = _Ids(isinstance(data.get(section, []), list))
    for i, entry in entries(data.get(section)):
        entry_id = entry.get("id")
        if not isinstance(entry_id, str):
            continue
        if entry_id in found.ids:
            first = found.ids[entry_id]
            found.problems.append(
                ((section, i, "id"), f"{entry_id!r} is already used by {section}[{first}]")
            )
        found.ids.setdefault(entry_id, i)
    return found


class _Refs:
    """A reference to an id of another section: unknown ones list the known ids."""

    def __init__(self, what: str, section: _Ids, where: str) -> None:
        self.what, self.section, self.where = what, section, where

    def check(self, loc: tuple[Any, ...], value: Any) -> Iterator[Problem]:
        ids = self.section.ids
        if self.section.valid and isinstance(value, str) and value not in ids:
            yield loc, known(self.what, value, ids, self.where)


def _rule(i: int, rule: dict[str, Any], institution: _Refs) -> Iterator[Problem]:
    for key in ("from", "to"):
        yield from institution.check(("exchange", i, key), rule.get(key))
    offering, audience = rule.get("from"), rule.get("to")
    if isinstance(offering, str) and offering == audience:
        yield (
            ("exchange", i, "to"),
            f"{audience!r} is also the rule's from; a rule opens one institution's courses "
            "to another institution's students",
        )
    for block in ("include", "exclude"):
        filters = rule.get(block)
        languages = filters.get("languages") if isinstance(filters, dict) else None
        if isinstance(languages, list):
            for n, tag in enumerate(languages):
                if isinstance(tag, str) and (problem := language_problem(tag)):
                    yield ("exchange", i, block, "languages", n), problem
    for t, term in entries(rule.get("terms")):
        for start_key, end_key in _WINDOWS:
            start, end = _as_date(term.get(start_key)), _as_date(term.get(end_key))
            if start is not None and end is not None and end < start:
                yield (
                    ("exchange", i, "terms", t, end_key),
                    f"{end.isoformat()} is before {start_key} {start.isoformat()}; "
                    "the window must end on or after the day it starts",
                )


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    try:
        return _DATE.validate_python(value)
    except ValidationError:
        return None  # the model reports a value that is not a date


def _subjects(data: Mapping[str, Any]) -> Iterator[Problem]:
    subjects = data.get("subjects")
    if not isinstance(subjects, dict) or not subjects:
        return
    from catalog.derive.subjects import load_subjects

    for category, code in subjects.items():
        try:
            load_subjects().check_extra({category: code})
        except ValueError as exc:
            yield ("subjects", category), str(exc)


# -- what each feed's connector accepts ----------------------------------------------------


def connector_checks(i: int, feed: dict[str, Any], cls: type[Connector]) -> Iterator[Problem]:
    """Options of one feed against its connector: languages, and whether it takes auth."""
    raw = feed.get("options", {})
    names = {f.name for f in dataclasses.fields(cls.Options)}
    if isinstance(raw, dict):
        for key, value in raw.items():
            if key not in names or not _is_language_key(key):
                continue
            values = value if isinstance(value, list) else [value]
            for n, tag in enumerate(values):
                if isinstance(tag, str) and (problem := language_problem(tag)):
                    loc = ("feeds", i, "options", key, n) if isinstance(value, list) else None
                    yield loc or ("feeds", i, "options", key), problem
    if "auth" in feed and not cls.accepts_auth:
        takers = ", ".join(_connectors_taking_auth()) or "none installed"
        yield (
            ("feeds", i, "auth"),
            f"the {feed.get('connector')} connector takes no authentication; remove "
            f"[feeds.auth] (connectors that take it: {takers})",
        )


def _is_language_key(key: str) -> bool:
    return key in ("language", "languages") or key.endswith(("_language", "_languages"))


def _connectors_taking_auth() -> list[str]:
    out = []
    for name in registry.available():
        try:
            if getattr(registry.load(name), "accepts_auth", False):
                out.append(name)
        except LookupError:
            continue  # a broken connector is reported where a feed uses it
    return out
