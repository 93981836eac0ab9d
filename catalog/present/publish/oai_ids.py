"""The identifiers a node publishes: ``oai:{node_id}:{course id}`` (pure).

The course id (``feed:key``) is kept readable: only characters outside the OAI local-identifier
alphabet (``A-Z a-z 0-9 - _ . ! ~ * ' ( ) ; / ? : @ & = + $ ,``) are percent-encoded as UTF-8
bytes, so ``vnu-edx:course-v1:VNUx+INT1001`` stays as it is and ``xuetangx:数据结构`` becomes
``xuetangx:%E6%95%B0…``. The alphabet's ``%`` is the escape's lead only: a literal ``%`` in a
key is written ``%25``, so every identifier decodes back to exactly one course. MOOChub items
use the same identifier as their ``id`` (:func:`oai_identifier`).
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from catalog.ids import course_id

#: What :func:`quote` leaves alone besides letters, digits and ``_.-~``.
_SAFE = "!*'();/?:@&=+$,"


def oai_identifier(node_id: str, feed: str, key: str) -> str:
    """The published identifier of the course ``feed:key``."""
    return published_identifier(node_id, course_id(feed, key))


def published_identifier(node_id: str, course: str) -> str:
    """The published identifier of the course whose public id is ``course``."""
    return f"oai:{node_id}:{quote(course, safe=_SAFE)}"


def course_of(node_id: str, identifier: str) -> tuple[str, str] | None:
    """The (feed, key) ``identifier`` names on this node; None for an identifier of another
    namespace, or one that cannot be a course id of ours."""
    prefix = f"oai:{node_id}:"
    if not identifier.startswith(prefix):
        return None
    try:
        local = unquote(identifier[len(prefix) :], errors="strict")
    except UnicodeDecodeError:
        return None
    feed, colon, key = local.partition(":")
    return (feed, key) if colon and feed and key else None


@lru_cache(maxsize=1024)
def public_url(url: str) -> str:
    """``url`` without userinfo, query or fragment: what may be published of a feed's URL (it
    may carry credentials); "" for a URL that does not parse."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return ""
    netloc = f"[{host}]" if ":" in host else host
    netloc += f":{port}" if port else ""
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
