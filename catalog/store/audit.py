"""What the catalog keeps for the admin beside the data: the source's own record of a course
(``course_sources.raw``, ``moocx course ID --raw``) and what it could not store
(``rejected_records``, ``moocx runs show``).

Both are written by the ingest from whatever a source sent, in the page's own transaction, so
they must never fail a page themselves (shared/RELIABILITY.md C12, J4): a NUL character
(PostgreSQL refuses it in text, SQLite keeps it) is escaped as ``\\u0000``, a lone surrogate
(neither database can encode one) as ``\\udXXX``, and every value fits its column — the same
text on both backends. Sizes:

* a rejection's reason: :data:`REASON_CHARS`; its excerpt (the source item as JSON):
  :data:`EXCERPT_CHARS`; its key and page URL: their columns' lengths;
* a course's raw record up to :data:`MAX_RAW_CHARS` of JSON text; a longer one is kept as
  ``{"moocx_truncated": true, "characters": N, "start": "…"}`` (its first
  :data:`RAW_START_CHARS` characters, as a string), still JSON for ``--raw`` to show.

It also names the errors that mean "the database refused this record" (:data:`DATA_ERRORS`) and
words their reason for the admin (:func:`refusal`).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.exc import DataError, IntegrityError

from catalog.store import tables
from catalog.store.validate import column_limit

EXCERPT_CHARS = 2000
REASON_CHARS = 2000
MAX_RAW_CHARS = 1_048_576
RAW_START_CHARS = 65_536
KEY_CHARS = column_limit(tables.rejected_records.c.key)
#: Page URLs, as ``rejected_records.page_url``, ``courses.source_url`` and ``harvest_pages.url``.
URL_CHARS = column_limit(tables.rejected_records.c.page_url)

#: Errors of one record's write that another record would not have: a constraint or a column
#: refused a value (PostgreSQL ``StringDataRightTruncation``, NUL in text…), or the driver
#: could not encode it. Anything else (a lost connection, a lease lost, a bug) fails the page.
DATA_ERRORS: tuple[type[BaseException], ...] = (IntegrityError, DataError, UnicodeEncodeError)


def audit_text(value: str | None, limit: int) -> str | None:
    """``value`` as both databases store it: NUL and lone surrogates escaped, at most ``limit``
    characters."""
    return None if value is None else _clean(value, limit)


def _clean(value: str, limit: int) -> str:
    text = value.replace("\x00", "\\u0000") if "\x00" in value else value
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text[:limit]


def audit_key(key: object) -> str | None:
    """A rejected record's key, as ``rejected_records.key`` holds it (``None`` when it has none)."""
    return audit_text(key, KEY_CHARS) if isinstance(key, str) and key else None


def excerpt(raw: Any) -> str | None:
    """The first :data:`EXCERPT_CHARS` of a rejected item, as JSON text (odd values as ``str``)."""
    if raw is None:
        return None
    try:
        text = json.dumps(raw, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(raw)
    return _clean(text, EXCERPT_CHARS)


def raw_text(raw: Any) -> str | None:
    """A record's raw payload as compact JSON text for ``course_sources`` (odd values as their
    ``str``); ASCII-escaped only when the text would not encode (lone surrogates); bounded by
    :data:`MAX_RAW_CHARS` (see the module docstring).

    JSON text holds no NUL: ``json`` escapes every control character.
    """
    if raw is None:
        return None
    try:
        text = _RAW_ENCODER.encode(raw)
    except (TypeError, ValueError):  # keys that are not strings, circular values
        text = json.dumps(repr(raw))
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = json.dumps(raw, separators=(",", ":"), default=str)
    if len(text) > MAX_RAW_CHARS:
        cut = {"moocx_truncated": True, "characters": len(text), "start": text[:RAW_START_CHARS]}
        return json.dumps(cut, separators=(",", ":"))
    return text


_RAW_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def database_error(exc: BaseException) -> str:
    """The database's (or its driver's) own words for ``exc``, on one line:
    ``StringDataRightTruncation: value too long for type character varying(128)``."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {lines[0] if lines else 'no reason given'}"


def refusal(exc: BaseException) -> str:
    """Why the database refused a record, for ``rejected_records.reason``."""
    return _clean(f"the database refused it: {database_error(exc)}", REASON_CHARS)
