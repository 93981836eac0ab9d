"""Finding one course from what an admin types: its id (``feed:key``) or its bare key.

Keys may hold colons themselves (OAI-PMH identifiers ``oai:host:123``, ``course-v1:…``), so an
argument is tried both ways: as an id and as a key.
"""

from __future__ import annotations

import difflib
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from catalog.errors import AmbiguousCourse, UnknownCourse
from catalog.ids import course_id
from catalog.store import tables

#: Suggestions an unknown course gets, at most; close keys are looked for (difflib) only in a
#: catalog of at most CLOSE_KEYS courses (about 0.1 s there; a containment match always).
SUGGESTIONS = 5
CLOSE_KEYS = 20_000


def resolve(conn: Connection, ident: str) -> int:
    """The row id of the course ``ident`` names: ``feed:key``, or a key only one feed has.

    Raises :class:`AmbiguousCourse` (with every matching id) or :class:`UnknownCourse` (with
    the ids of a few courses whose key looks alike).
    """
    c = tables.courses.c
    ident = ident.strip()
    wanted = [c.key == ident]
    feed, sep, key = ident.partition(":")
    if sep and key:
        wanted.append(and_(c.feed_id == feed, c.key == key))
    rows = conn.execute(
        select(c.id, c.feed_id, c.key).where(or_(*wanted)).order_by(c.feed_id, c.key)
    ).all()
    if len(rows) == 1:
        return int(rows[0].id)
    if rows:
        raise AmbiguousCourse(ident, [course_id(row.feed_id, row.key) for row in rows])
    raise UnknownCourse(ident, suggest(conn, key if sep and key else ident))


def find_course(conn: Connection, ident: str) -> Any:
    """The ``courses`` row ``ident`` names (see :func:`resolve`)."""
    course_id = resolve(conn, ident)
    return conn.execute(select(tables.courses).where(tables.courses.c.id == course_id)).one()


def suggest(conn: Connection, text: str) -> list[str]:
    """Ids of a few courses whose key contains ``text`` (case folded), else whose key is close
    to it (difflib) when the catalog is small enough for that to be quick: an error path."""
    c = tables.courses.c
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = conn.execute(
        select(c.feed_id, c.key)
        .where(func.lower(c.key).like(f"%{escaped}%", escape="\\"))
        .order_by(c.feed_id, c.key)
        .limit(SUGGESTIONS)
    ).all()
    if rows:
        return [course_id(row.feed_id, row.key) for row in rows]
    if conn.execute(select(func.count()).select_from(tables.courses)).scalar_one() > CLOSE_KEYS:
        return []
    ids: dict[str, list[str]] = {}
    for row in conn.execute(select(c.feed_id, c.key)):
        ids.setdefault(row.key, []).append(course_id(row.feed_id, row.key))
    close = difflib.get_close_matches(text, list(ids), n=SUGGESTIONS, cutoff=0.75)
    return [i for k in close for i in ids[k]][:SUGGESTIONS]
