"""The catalog's own check of every record before it is stored.

Connectors normalise; the catalog still refuses what it must never store or render: a record
without a key or a title, a URL that is not absolute http(s) (``javascript:`` must never reach an
``href``), a naive datetime, a NUL character (PostgreSQL rejects it, SQLite keeps it: the two
backends must agree), or a field far larger than any real course description.
"""

from __future__ import annotations

import re
from datetime import datetime

from connectors.records import CourseRecord, CourseRun, is_http_url

MAX_KEY = 255
MAX_SHORT_TEXT = 255
MAX_LONG_TEXT = 65_536
MAX_URL = 2048
_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_CURRENCY = re.compile(r"[A-Z]{3}")


class InvalidRecord(ValueError):
    """A record the catalog refuses; ``reason`` names the field."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def validate(record: CourseRecord) -> None:
    """Raise :class:`InvalidRecord` if ``record`` must not be stored.

    Runs for every record of every harvest, so the common case is kept cheap: a field's path in
    an error message is only spelled out when there is an error.
    """
    _key("key", record.key)
    _text("title", record.title, MAX_LONG_TEXT, required=True)
    _text("short_description", record.short_description, MAX_LONG_TEXT)
    _text("description", record.description, MAX_LONG_TEXT)
    _text("organization", record.organization, MAX_SHORT_TEXT)
    _text("level", record.level, 64)
    _text("effort", record.effort, MAX_SHORT_TEXT)
    _url("url", record.url)
    _url("image_url", record.image_url)
    _when("modified", record.modified)
    if record.language is not None and not _LANG.match(record.language):
        raise InvalidRecord(f"language: {record.language!r} is not a BCP 47 language tag")
    if record.pacing not in (None, "instructor", "self"):
        raise InvalidRecord(f"pacing: {record.pacing!r} is not 'instructor' or 'self'")
    for subject in record.subjects:
        _text("subjects", subject, MAX_SHORT_TEXT, required=True)
    seen: set[str] = set()
    for i, run in enumerate(record.runs):
        try:
            _run(run)
        except InvalidRecord as exc:
            raise InvalidRecord(f"runs[{i}].{exc.reason}") from None
        if run.key in seen:
            raise InvalidRecord(f"runs[{i}].key: {run.key!r} appears twice in one course")
        seen.add(run.key)


def _run(run: CourseRun) -> None:
    """One run; the reason names the field relative to the run (``key: missing``)."""
    _key("key", run.key)
    if run.title is not None:
        _text("title", run.title, MAX_LONG_TEXT)
    if run.url is not None:
        _url("url", run.url)
    for name, value in (
        ("start", run.start),
        ("end", run.end),
        ("enrollment_start", run.enrollment_start),
        ("enrollment_end", run.enrollment_end),
    ):
        if value is not None:
            _when(name, value)
    if run.pacing not in (None, "instructor", "self"):
        raise InvalidRecord(f"pacing: {run.pacing!r} is not 'instructor' or 'self'")
    if run.currency is not None and not _CURRENCY.fullmatch(run.currency):
        raise InvalidRecord(f"currency: {run.currency!r} is not an ISO 4217 code")
    if run.price is not None:
        _text("price", run.price, 32)
    if run.availability is not None:
        _text("availability", run.availability, 32)


def _key(path: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRecord(f"{path}: missing")
    if len(value) > MAX_KEY:
        raise InvalidRecord(f"{path}: longer than {MAX_KEY} characters")
    if "\x00" in value:
        raise InvalidRecord(f"{path}: contains a NUL character")


def _text(path: str, value: object, limit: int, *, required: bool = False) -> None:
    if value is None or value == "":
        if required:
            raise InvalidRecord(f"{path}: missing")
        return
    if not isinstance(value, str):
        raise InvalidRecord(f"{path}: expected text, got {type(value).__name__}")
    if required and not value.strip():
        raise InvalidRecord(f"{path}: empty")
    if len(value) > limit:
        raise InvalidRecord(f"{path}: {len(value)} characters, more than the {limit} allowed")
    if "\x00" in value:
        raise InvalidRecord(f"{path}: contains a NUL character")


def _url(path: str, value: str | None) -> None:
    if value is None:
        return
    if len(value) > MAX_URL:
        raise InvalidRecord(f"{path}: URL longer than {MAX_URL} characters")
    if not is_http_url(value):
        raise InvalidRecord(f"{path}: {value[:80]!r} is not an absolute http(s) URL")


def _when(path: str, value: datetime | None) -> None:
    if value is None:
        return
    if not isinstance(value, datetime):
        raise InvalidRecord(f"{path}: expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidRecord(f"{path}: datetime without a timezone")
