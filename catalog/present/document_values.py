"""Stored values → the values of a course document, each distinct value converted once.

Documents read timestamps and JSON columns as the driver returns them (text on SQLite), not
through SQLAlchemy's per-row conversion: the few distinct values an export meets — a harvest
stamps thousands of courses with the same ``updated_at``, a rule gives every offer the same
window, most courses of a feed share their subjects — are converted once each through bounded
memos (:mod:`catalog.memo`), which is most of what reading a course cost.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, type_coerce

from catalog.memo import CACHE_MAX, cached
from catalog.present.course_document import Subject
from connectors.records import Origin

#: The labels of an ISCED-F code by language.
IscedLabels = Callable[[str], dict[str, str]]

SubjectsFound = tuple[tuple[str, ...], tuple[Subject, ...]]


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _zoned(value_zone: tuple[Any, ZoneInfo]) -> datetime | None:
    value, zone = value_zone
    moment = _aware(value)
    return None if moment is None else moment.astimezone(zone)


class Times:
    """Stored timestamps → aware datetimes, as ``catalog.store.tables.UTCDateTime`` reads them
    back (UTC, or the zone asked for), each distinct value converted once: documents that share
    a time share the one immutable datetime.

    ``utc`` is the memo itself (None is remembered as None): it is called for every time of
    every document, and one call is most of what a time costs once it is remembered."""

    __slots__ = ("_zoned", "utc")

    def __init__(self) -> None:
        self.utc: Callable[[Any], datetime | None] = cached(_aware)
        self._zoned = cached(_zoned)

    def zoned(self, value: Any, zone: ZoneInfo | None) -> datetime | None:
        if zone is None:
            return self.utc(value)
        return self._zoned((value, zone))


class Subjects:
    """A course's stored subjects and ISCED codes (JSON text on SQLite, lists on PostgreSQL) →
    the source's names and the codes with their labels. The codes were decided at ingest
    (:mod:`catalog.store.subject_codes`); each distinct pair is parsed once."""

    def __init__(self, labels: IscedLabels) -> None:
        self._labels = labels
        self._memo: dict[tuple[Any, Any], SubjectsFound] = {}

    def get(self, subjects: Any, codes: Any) -> SubjectsFound:
        # Called once per course: the memo is read inline (bounded like catalog.memo.Memo).
        key = (_json_key(subjects), _json_key(codes))
        memo = self._memo
        found = memo.get(key)
        if found is None:
            if len(memo) >= CACHE_MAX:
                memo.clear()
            found = memo[key] = self._read((subjects, codes))
        return found

    def _read(self, values: tuple[Any, Any]) -> SubjectsFound:
        subjects, codes = (json_list(value) for value in values)
        labels = self._labels
        return tuple(subjects), tuple(Subject(str(code), labels(str(code))) for code in codes)


def _json_key(value: Any) -> Any:
    """A stored JSON value as a memo key: SQLite's text as it is, PostgreSQL's lists as text."""
    return value if value is None or type(value) is str else json.dumps(value, sort_keys=True)


def json_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        value = json.loads(value)
    return value or []


def json_object(value: Any) -> dict[str, Any] | None:
    """A stored JSON object (text on SQLite), or None when empty or not an object."""
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, dict) and value else None


def _terms(value: Any) -> tuple[str, ...]:
    return tuple(json_list(value))


def _notes(value: Any) -> Mapping[str, str] | None:
    notes = json_object(value)
    return None if notes is None else MappingProxyType(notes)


class OfferValues:
    """An offer's stored JSON columns → document values, each distinct text parsed once: a rule
    gives every offer of a term the same notes and equivalence terms. Read-only views, since
    the documents that share them must not see each other's edits."""

    __slots__ = ("notes", "terms")

    def __init__(self) -> None:
        self.notes: Callable[[Any], Mapping[str, str] | None] = cached(_notes)
        self.terms: Callable[[Any], tuple[str, ...]] = cached(_terms)


def as_stored(column: Any) -> Any:
    """The column as the driver returns it: no per-row conversion by SQLAlchemy."""
    return type_coerce(column, String()).label(column.name)


def stored_provenance(value: Any) -> tuple[Origin, ...]:
    """``courses.provenance`` (the JSON the ingest wrote) → its hops; a hop the column holds
    malformed (edited by hand) is left out rather than failing the export."""
    hops = []
    for hop in json_list(value):
        if not isinstance(hop, dict) or not hop.get("base_url") or not hop.get("identifier"):
            continue
        hops.append(
            Origin(
                str(hop["base_url"]),
                str(hop["identifier"]),
                _iso_time(hop.get("datestamp")),
                _iso_time(hop.get("harvested")),
                hop.get("metadata_namespace") or None,
                bool(hop.get("altered", True)),
            )
        )
    return tuple(hops)


def _iso_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
