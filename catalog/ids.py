"""How the catalog names a course outside its database: ``feed:key``.

The id is stable across rebuilds of the database (row ids are not), so exports, the search
index, offers and the CLI's lookups all name a course this way, through this one function.
"""

from __future__ import annotations


def course_id(feed_id: str, key: str) -> str:
    """The course's id in exports and on the command line."""
    return f"{feed_id}:{key}"
