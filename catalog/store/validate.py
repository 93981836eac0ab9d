"""The catalog's own check of every record before it is stored.

Connectors normalise; the catalog still refuses what it must never store or render, so that
SQLite and PostgreSQL always agree on what a page stores (shared/RELIABILITY.md C11, C12, J4):

* a record without a key or a title, a URL that is not absolute http(s) (``javascript:`` must
  never reach an ``href``), a naive datetime, a credit count that is not a finite number
  (SQLite would store NaN as NULL, PostgreSQL as NaN);
* a NUL character in text (PostgreSQL refuses it, SQLite keeps it);
* a field longer than its column. The limits are read from the columns themselves
  (``catalog/store/tables.py``: ``String(n)`` is ``n`` characters), so a column and its check cannot
  drift apart; ``Text`` columns, which have no limit in the database, get the catalog's own
  bounds (:data:`TEXT_LIMITS`). PostgreSQL refuses a longer value, SQLite would keep it whole.

A refused record is stored whole nowhere: it is rejected, with a reason naming the field, its
size and the limit, and the rest of its page lands. Nothing is cut silently — except
``precedence``, a value the connector derives for the catalog's own use (which piece of a split
course supplies its fields), which :func:`stored_precedence` bounds instead.

A lone surrogate (a JSON ``"\ud800"``), which neither database can encode, is left to the
ingest's safety net, which rejects that record alone; :func:`lone_surrogate` names its field.
"""

from __future__ import annotations

import hashlib
import math
import re
from datetime import datetime

from sqlalchemy import Column, String, Table

from catalog.store import tables
from connectors.records import (
    COURSE_MODES,
    PAYMENT_FREQUENCIES,
    CourseRecord,
    CourseRun,
    is_http_url,
)

#: The bounds of the record fields stored in ``Text`` columns (characters).
TEXT_LIMITS = {"title": 1_000, "short_description": 65_536, "description": 65_536}
#: Subjects are stored as one JSON list: at most this many, each at most this long.
MAX_SUBJECTS = 200
MAX_SUBJECT = 255

_LANG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
_CURRENCY = re.compile(r"[A-Z]{3}")


def column_limit(column: Column[str]) -> int:
    """How many characters ``column`` holds: its ``String(n)``, else the :data:`TEXT_LIMITS`."""
    length = column.type.length if isinstance(column.type, String) else None
    return length or TEXT_LIMITS[column.name]


def _limits(table: Table, names: tuple[str, ...]) -> dict[str, int]:
    return {name: column_limit(table.c[name]) for name in names}


#: Every text field of a record, with the length of the column it is stored in.
COURSE_LIMITS = _limits(
    tables.courses,
    (
        "key",
        "title",
        "short_description",
        "description",
        "language",
        "organization",
        "level",
        "effort",
        "url",
        "image_url",
    ),
)
RUN_LIMITS = _limits(tables.course_runs, ("key", "title", "url", "availability", "price"))
PRECEDENCE_LIMIT = column_limit(tables.courses.c.precedence)


class InvalidRecord(ValueError):
    """A record the catalog refuses; ``reason`` names the field."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


#: A course re-published by node after node keeps at most this many hops; a longer chain is a
#: loop the origin check missed or a hostile document.
MAX_HOPS = 16
MAX_IDENTIFIER = 1_000


def _provenance(record: CourseRecord) -> None:
    if len(record.provenance) > MAX_HOPS:
        raise InvalidRecord(f"provenance: {len(record.provenance)} hops, more than {MAX_HOPS}")
    for i, hop in enumerate(record.provenance):
        where = f"provenance[{i}]"
        _url(f"{where}.base_url", hop.base_url, 2048)
        _text(f"{where}.identifier", hop.identifier, MAX_IDENTIFIER, required=True)
        _when(f"{where}.datestamp", hop.datestamp)
        _when(f"{where}.harvested", hop.harvested)
        _text(f"{where}.metadata_namespace", hop.metadata_namespace, 2048)


def validate(record: CourseRecord) -> None:
    """Raise :class:`InvalidRecord` if ``record`` must not be stored.

    Runs for every record of every harvest, so the common case is kept cheap: a field's path in
    an error message is only spelled out when there is an error.
    """
    limit = COURSE_LIMITS
    _key("key", record.key, limit["key"])
    _text("title", record.title, limit["title"], required=True)
    _text("short_description", record.short_description, limit["short_description"])
    _text("description", record.description, limit["description"])
    _text("organization", record.organization, limit["organization"])
    _text("level", record.level, limit["level"])
    _text("effort", record.effort, limit["effort"])
    _url("url", record.url, limit["url"])
    _url("image_url", record.image_url, limit["image_url"])
    _when("modified", record.modified)
    _when("expires", record.expires)
    if record.mode is not None and record.mode not in COURSE_MODES:
        raise InvalidRecord(f"mode: {record.mode!r} is not one of {', '.join(COURSE_MODES)}")
    if record.provenance:
        _provenance(record)
    if "\x00" in record.precedence:  # any length: the ingest bounds it (stored_precedence)
        raise InvalidRecord("precedence: contains a NUL character")
    if record.language is not None:
        _language(record.language, limit["language"])
    if record.pacing not in (None, "instructor", "self"):
        raise InvalidRecord(f"pacing: {record.pacing!r} is not 'instructor' or 'self'")
    if record.credits is not None and not _finite(record.credits):
        raise InvalidRecord(f"credits: {record.credits!r} is not a finite number")
    if len(record.subjects) > MAX_SUBJECTS:
        raise InvalidRecord(
            f"subjects: {len(record.subjects)} entries, more than the {MAX_SUBJECTS} allowed"
        )
    for subject in record.subjects:
        _text("subjects", subject, MAX_SUBJECT, required=True)
    seen: set[str] = set()
    for i, run in enumerate(record.runs):
        try:
            _run(run)
        except InvalidRecord as exc:
            raise InvalidRecord(f"runs[{i}].{exc.reason}") from None
        if run.key in seen:
            raise InvalidRecord(f"runs[{i}].key: {run.key!r} appears twice in one course")
        seen.add(run.key)


def key_problem(key: object) -> str | None:
    """Why ``key`` cannot be a stored course key (``"key: contains a NUL character"``), or
    ``None``: for the keys a source withdraws, which the catalog looks up and records."""
    try:
        _key("key", key, COURSE_LIMITS["key"])
    except InvalidRecord as exc:
        return exc.reason
    return _surrogate("key", key) if isinstance(key, str) else None


def stored_precedence(value: str) -> str:
    """``value`` as ``courses.precedence`` stores it: whole when it fits the column, else its
    first characters, ``~`` and a digest of the whole.

    Precedence only needs to be a stable order; a bounded, digest-preserving form keeps it one
    without a wider column (Open edX's start time + a 255-character run key is 275 characters,
    and a third-party connector's could be anything). Two values that differ in their first
    ``PRECEDENCE_LIMIT - 17`` characters (for Open edX: the start time and about 90 characters
    of the run key) keep their order; longer ties are broken by the digest, the same way on every
    run and on both backends.
    """
    if len(value) <= PRECEDENCE_LIMIT:
        return value
    digest = hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    return f"{value[: PRECEDENCE_LIMIT - 17]}~{digest}"


def _run(run: CourseRun) -> None:
    """One run; the reason names the field relative to the run (``key: missing``)."""
    limit = RUN_LIMITS
    _key("key", run.key, limit["key"])
    for former in run.former_keys:
        _key("former_keys", former, limit["key"])
    if run.title is not None:
        _text("title", run.title, limit["title"])
    if run.url is not None:
        _url("url", run.url, limit["url"])
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
    if run.currency is not None and not (
        isinstance(run.currency, str) and _CURRENCY.fullmatch(run.currency)
    ):
        raise InvalidRecord(f"currency: {run.currency!r} is not an ISO 4217 code")
    if run.price is not None:
        _text("price", run.price, limit["price"])
    if run.availability is not None:
        _text("availability", run.availability, limit["availability"])
    if run.payment_frequency is not None and run.payment_frequency not in PAYMENT_FREQUENCIES:
        raise InvalidRecord(
            f"payment_frequency: {run.payment_frequency!r} is not one of "
            + ", ".join(PAYMENT_FREQUENCIES)
        )


def _key(path: str, value: object, limit: int) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRecord(f"{path}: missing")
    if len(value) > limit or "\x00" in value:
        raise InvalidRecord(_unstorable(path, value, limit))


def _text(path: str, value: object, limit: int, *, required: bool = False) -> None:
    if value is None or value == "":
        if required:
            raise InvalidRecord(f"{path}: missing")
        return
    if not isinstance(value, str):
        raise InvalidRecord(f"{path}: expected text, got {type(value).__name__}")
    if required and not value.strip():
        raise InvalidRecord(f"{path}: empty")
    # One test on the common path (this runs for every field of every record).
    if len(value) > limit or "\x00" in value:
        raise InvalidRecord(_unstorable(path, value, limit))


def _unstorable(path: str, value: str, limit: int) -> str:
    """Why ``value`` cannot be stored as it is: too long for its column, or holding a NUL."""
    if len(value) > limit:
        return f"{path}: {len(value)} characters, more than the {limit} allowed"
    return f"{path}: contains a NUL character"


def lone_surrogate(record: CourseRecord) -> str | None:
    """Which text field of ``record`` holds a lone surrogate, as a rejection reason; ``None``
    when none does.

    Not part of :func:`validate`: encoding every field of every record to find one costs more
    than the rest of validation together, so the ingest's safety net asks only when the
    database driver could not encode a record (``UnicodeEncodeError``).
    """
    fields: list[tuple[str, object]] = [
        (name, getattr(record, name)) for name in (*COURSE_LIMITS, "precedence")
    ]
    fields += [(f"subjects[{i}]", subject) for i, subject in enumerate(record.subjects)]
    for i, run in enumerate(record.runs):
        fields += [(f"runs[{i}].{name}", getattr(run, name)) for name in RUN_LIMITS]
    for path, value in fields:
        reason = _surrogate(path, value) if isinstance(value, str) else None
        if reason is not None:
            return reason
    return None


def _surrogate(path: str, value: str) -> str | None:
    if value.isascii():
        return None
    at = next((i for i, c in enumerate(value) if "\ud800" <= c <= "\udfff"), None)
    if at is None:
        return None
    return f"{path}: contains a lone surrogate ({value[at]!r} at character {at}), which is not text"


def _url(path: str, value: object, limit: int) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise InvalidRecord(f"{path}: expected a URL, got {type(value).__name__}")
    if len(value) > limit:
        raise InvalidRecord(
            f"{path}: URL of {len(value)} characters, more than the {limit} allowed"
        )
    if not is_http_url(value):
        raise InvalidRecord(f"{path}: {value[:80]!r} is not an absolute http(s) URL")
    if "\x00" in value:
        raise InvalidRecord(_unstorable(path, value, limit))


def _language(value: object, limit: int) -> None:
    if not isinstance(value, str) or not _LANG.fullmatch(value):
        raise InvalidRecord(f"language: {value!r} is not a BCP 47 language tag")
    if len(value) > limit:
        raise InvalidRecord(f"language: {len(value)} characters, more than the {limit} allowed")


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _when(path: str, value: datetime | None) -> None:
    if value is None:
        return
    if not isinstance(value, datetime):
        raise InvalidRecord(f"{path}: expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidRecord(f"{path}: datetime without a timezone")
