"""Resumption tokens: stateless, signed, and enough to resume a listing exactly where it ended.

A token is ``<payload>.<signature>``, both base64url without padding: the payload is compact
JSON of the listing (format, set, ``since``, ``before``), the position of the page's last record
(datestamp to the microsecond, feed, key), the cursor, the complete list size and the expiry;
the signature is HMAC-SHA256 of the payload with the node's key. Nothing is stored, so any
process of the node (several behind one load balancer) resumes any token, a token stays valid
while syncs write, and re-issuing a token gives the same page again. A token that was altered,
truncated, signed with another key, or is past its expiry decodes to None
(``badResumptionToken``); nothing in it is trusted before the signature is checked.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from catalog.present.publish.selection import Listing, Position

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Resumption:
    """Where a listing resumes: its format and selection, after ``after``, the ``cursor``-th
    record of ``size``; valid until ``expires``."""

    prefix: str
    listing: Listing
    after: Position
    cursor: int
    size: int
    expires: datetime


def _micros(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _moment(micros: Any) -> datetime:
    if type(micros) is not int:
        raise ValueError("not a time")
    return _EPOCH + timedelta(microseconds=micros)  # OverflowError past year 9999


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())


def encode(resumption: Resumption, key: bytes) -> str:
    """The token for ``resumption``, signed with ``key``."""
    listing, after = resumption.listing, resumption.after
    fields = [
        resumption.prefix,
        listing.set_spec,
        None if listing.since is None else _micros(listing.since),
        _micros(listing.before),
        [_micros(after.datestamp), after.feed, after.key],
        resumption.cursor,
        resumption.size,
        _micros(resumption.expires) // 1_000_000,
    ]
    text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    payload = _b64(text.encode("utf-8"))
    return f"{payload}.{_sign(key, payload)}"


def decode(token: str, key: bytes, *, now: datetime) -> Resumption | None:
    """The resumption ``token`` stands for; None when it is not one of ours, or expired."""
    payload, dot, signature = token.partition(".")
    if not dot or not payload.isascii() or not signature.isascii():
        return None
    if not hmac.compare_digest(_sign(key, payload), signature):
        return None
    try:
        resumption = _fields(json.loads(_unb64(payload).decode("utf-8")))
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, binascii.Error):
        return None
    return resumption if resumption is not None and resumption.expires > now else None


def _fields(fields: Any) -> Resumption | None:
    """The payload's list as a Resumption (signed by us, still checked field by field)."""
    if not isinstance(fields, list) or len(fields) != 8:
        return None
    prefix, set_spec, since, before, after, cursor, size, expires = fields
    if not isinstance(prefix, str) or not (set_spec is None or isinstance(set_spec, str)):
        return None
    if not isinstance(after, list) or len(after) != 3:
        return None
    datestamp, feed, key = after
    if not (isinstance(feed, str) and isinstance(key, str)):
        return None
    if type(cursor) is not int or type(size) is not int or type(expires) is not int:
        return None
    listing = Listing(set_spec, None if since is None else _moment(since), _moment(before))
    return Resumption(
        prefix,
        listing,
        Position(_moment(datestamp), feed, key),
        cursor,
        size,
        _moment(expires * 1_000_000),
    )
