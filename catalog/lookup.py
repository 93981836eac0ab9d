"""Finding one course from what an admin types: its id (``feed:key``) or its bare key.

Keys may hold colons themselves (``course-v1:…``, OAI identifiers ``oai:repo:42``), so an id is
recognised by its feed prefix, not by the first colon alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from catalog import tables
from catalog.errors import CourseLookupError

#: Close matches a failed lookup suggests.
SUGGESTIONS = 5


def find_course(conn: Connection, ref: str) -> Any:
    """The ``courses`` row ``ref`` names; :class:`CourseLookupError` when it names none (with
    close ids) or several (with their ids)."""
    c = tables.courses.c
    ref = ref.strip()
    feeds = set(conn.execute(select(tables.feeds.c.id)).scalars())
    feed, sep, key = ref.partition(":")
    if sep and feed in feeds:
        row = conn.execute(
            select(tables.courses).where(c.feed_id == feed, c.key == key)
        ).one_or_none()
        if row is not None:
            return row
    rows = conn.execute(select(tables.courses).where(c.key == ref).order_by(c.feed_id)).all()
    if len(rows) == 1:
        return rows[0]
    if rows:
        ids = tuple(f"{r.feed_id}:{r.key}" for r in rows)
        raise CourseLookupError(
            f"{ref!r} is the key of {len(ids)} courses: give one id ({', '.join(ids)})", ids
        )
    close = _close(conn, ref)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise CourseLookupError(f"no course has the id or key {ref!r}{hint}", close)


def _close(conn: Connection, ref: str) -> tuple[str, ...]:
    """Ids of courses whose key contains what was typed (without its feed prefix)."""
    c = tables.courses.c
    needle = ref.partition(":")[2] if ":" in ref else ref
    if not needle:
        return ()
    escaped = needle.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    rows = conn.execute(
        select(c.feed_id, c.key)
        .where(func.lower(c.key).like(pattern, escape="\\"))
        .order_by(c.feed_id, c.key)
        .limit(SUGGESTIONS)
    )
    return tuple(f"{feed}:{key}" for feed, key in rows)
