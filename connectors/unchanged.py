"""Pages whose bytes are the same as last time: recognised by digest, never parsed again.

Most platforms send no ``ETag`` (an Open edX LMS without a caching proxy, XuetangX, MOOChub
servers), and without one a re-sync of an unchanged catalog would download, parse, map,
validate and hash every page only to write nothing. So each page's validators also carry a
digest of its body; the sync hands the last complete harvest's validators back, and when a
page's body has the same digest the connector yields it as *not modified* — exactly what a
``304`` means — so the catalog carries that page's courses over without reading a record of it.

The digest covers the connector's identity too (:func:`fingerprint`: kind, the project's
version, the feed's options), so a new release or a changed option reads every page again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from connectors.records import Page
from connectors.version import __version__


def fingerprint(kind: str, options: object) -> bytes:
    """What, besides the bytes, decides what a page maps to."""
    return f"{kind}\x00{__version__}\x00{options!r}\x00".encode()


def page_digest(prefix: bytes, body: bytes) -> str:
    """The digest stored with a page and compared the next time (hex, 32 characters)."""
    hasher = hashlib.blake2b(prefix, digest_size=16)
    hasher.update(body)
    return hasher.hexdigest()


def same_as_before(known: Mapping[str, Any] | None, digest: str | None) -> bool:
    """True when the last complete harvest read exactly this page (and knows what came next)."""
    return (
        known is not None
        and digest is not None
        and known.get("digest") == digest
        and "next" in known
    )


def with_digest(validators: dict[str, str] | None, digest: str | None) -> dict[str, str] | None:
    """A page's validators (``ETag``, ``Last-Modified``) with its digest added."""
    if digest is None:
        return validators
    return {**(validators or {}), "digest": digest}


def carried_over(
    url: str, number: int, known: Mapping[str, Any], validators: dict[str, str] | None
) -> Page:
    """The page as the last harvest read it (a 304, or the same digest): no items, its cursor.

    The catalog carries its courses over; the connector goes on from ``page.cursor`` (its
    ``next``), or stops when the page is the last (``page.last``).
    """
    after = known.get("next")
    return Page(
        items=(),
        cursor=after,
        url=url,
        number=number,
        last=after is None,
        not_modified=True,
        validators=validators,
    )
