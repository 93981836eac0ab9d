"""The identifiers a node publishes: ``oai:{node_id}:{course id}`` (pure).

The course id (``feed:key``) is kept readable: only characters outside the OAI local-identifier
alphabet (``A-Z a-z 0-9 - _ . ! ~ * ' ( ) ; / ? : @ & = + $ , %``) are percent-encoded as UTF-8
bytes, so ``vnu-edx:course-v1:VNUx+INT1001`` stays as it is and ``xuetangx:数据结构`` becomes
``xuetangx:%E6%95%B0…``. MOOChub items use the same identifier as their ``id``.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from catalog.ids import course_id

#: What :func:`quote` leaves alone besides letters, digits and ``_.-~``.
_SAFE = "!*'();/?:@&=+$,%"


def oai_identifier(node_id: str, feed: str, key: str) -> str:
    """The published identifier of the course ``feed:key``."""
    return f"oai:{node_id}:{quote(course_id(feed, key), safe=_SAFE)}"


def course_keys(node_id: str, identifier: str) -> list[tuple[str, str]]:
    """The (feed, key) pairs ``identifier`` may name on this node, most likely first: the
    decoded course id, then (when it holds a ``%``) the id as written, for a key that holds a
    literal ``%``. Empty for an identifier of another namespace."""
    prefix = f"oai:{node_id}:"
    if not identifier.startswith(prefix):
        return []
    local = identifier[len(prefix) :]
    candidates = dict.fromkeys([unquote(local, errors="strict") if _decodes(local) else local])
    if "%" in local:
        candidates[local] = None
    found: list[tuple[str, str]] = []
    for candidate in candidates:
        feed, colon, key = candidate.partition(":")
        if colon and feed and key:
            found.append((feed, key))
    return found


def _decodes(local: str) -> bool:
    """Whether the percent-escapes of ``local`` are UTF-8."""
    try:
        unquote(local, errors="strict")
    except UnicodeDecodeError:
        return False
    return True
