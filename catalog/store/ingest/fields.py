"""A course's and a run's stored fields as named tuples, and the content hash over them.

The hash covers exactly these fields, in this order: a course (or run) row is rewritten only
when its hash changes, so a second sync of an unchanged feed writes no course or run row. The
tuples are in column order, so a page's rows go to ``catalog.store.bulk`` as they are built.

Fields added after the first catalogs were written (a course's ``mode``, ``expires`` and
``provenance``, a run's ``payment_frequency``) are hashed only when set: a record without them
hashes as it did before they existed, so upgrading does not rewrite every course of every catalog
once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from catalog.store.bulk import Bulk
from connectors.records import CourseRecord, Origin
from connectors.records import CourseRun as RunRecord


class CourseFields(NamedTuple):
    """The fields of a course row that come from its record (column names, column order)."""

    title: str
    short_description: str | None
    description: str | None
    language: str | None
    organization: str | None
    subjects: list[str]
    level: str | None
    effort: str | None
    credits: float | None
    pacing: str | None
    url: str | None
    image_url: str | None
    is_free: bool | None
    certificate: bool | None
    source_modified_at: datetime | None
    mode: str | None
    expires: datetime | None
    #: The course's hops before its source (connectors.records.Origin as JSON objects).
    provenance: list[dict[str, Any]] | None

    def stored(self, bulk: Bulk) -> tuple[Any, ...]:
        """The values as their columns store them (subjects as JSON, the times)."""
        return (
            self.title,
            self.short_description,
            self.description,
            self.language,
            self.organization,
            bulk.json(self.subjects),
            self.level,
            self.effort,
            self.credits,
            self.pacing,
            self.url,
            self.image_url,
            self.is_free,
            self.certificate,
            bulk.when(self.source_modified_at),
            self.mode,
            bulk.when(self.expires),
            None if self.provenance is None else bulk.json(self.provenance),
        )


class RunFields(NamedTuple):
    """The fields of a course run row that come from its record (column names and order)."""

    title: str | None
    start: datetime | None
    end: datetime | None
    enrollment_start: datetime | None
    enrollment_end: datetime | None
    pacing: str | None
    url: str | None
    availability: str | None
    is_free: bool | None
    price: str | None
    currency: str | None
    certificate: bool | None
    payment_frequency: str | None

    def stored(self, bulk: Bulk) -> tuple[Any, ...]:
        """The values as their columns store them (the four times)."""
        when = bulk.when
        return (
            self.title,
            when(self.start),
            when(self.end),
            when(self.enrollment_start),
            when(self.enrollment_end),
            self.pacing,
            self.url,
            self.availability,
            self.is_free,
            self.price,
            self.currency,
            self.certificate,
            self.payment_frequency,
        )


COURSE_FIELDS = CourseFields._fields
RUN_FIELDS = RunFields._fields


def course_values(record: CourseRecord) -> CourseFields:
    """The record's course fields."""
    return CourseFields(
        record.title,
        record.short_description,
        record.description,
        record.language,
        record.organization,
        list(record.subjects),
        record.level,
        record.effort,
        record.credits,
        record.pacing,
        record.url,
        record.image_url,
        record.is_free,
        record.certificate,
        record.modified,
        record.mode,
        record.expires,
        _provenance(record.provenance) if record.provenance else None,
    )


def _provenance(hops: Sequence[Origin]) -> list[dict[str, Any]]:
    """The hops as the column stores them: plain JSON, times as ISO 8601 UTC text.

    The first hop's harvest time is this very harvest's (the peer's ``responseDate``): it is not
    content, and hashed it would make every harvest of a peer rewrite all of its courses. It is
    left out; the course's ``updated_at`` — when this node stored the version it holds — is that
    hop's harvest time wherever it is published."""
    return [
        {
            "base_url": hop.base_url,
            "identifier": hop.identifier,
            "datestamp": _iso(hop.datestamp),
            "harvested": None if n == 0 else _iso(hop.harvested),
            "metadata_namespace": hop.metadata_namespace,
            "altered": hop.altered,
        }
        for n, hop in enumerate(hops)
    ]


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_values(run: RunRecord) -> RunFields:
    """The run's fields."""
    return RunFields(
        run.title,
        run.start,
        run.end,
        run.enrollment_start,
        run.enrollment_end,
        run.pacing,
        run.url,
        run.availability,
        run.is_free,
        run.price,
        run.currency,
        run.certificate,
        run.payment_frequency,
    )


#: How many leading fields of each tuple every hash covers; the later ones only when set.
_HASHED_ALWAYS = {CourseFields: 15, RunFields: 12}


def content_hash(values: Sequence[Any]) -> str:
    """A stable digest of the stored values; datetimes hashed as UTC instants.

    The stored hashes of every catalog depend on this exact text: changing it makes the next
    harvest rewrite every course once. So the fields added later count only when set (see the
    module's docstring).
    """
    always = _HASHED_ALWAYS.get(type(values))
    if always is not None and not any(v is not None for v in values[always:]):
        values = values[:always]
    text = _HASH_ENCODER.encode(values)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _timestamp(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not a stored value")


#: The C encoder turns datetimes into their timestamps itself (``default``), with no Python loop.
_HASH_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_timestamp)
