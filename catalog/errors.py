"""Exceptions of the catalog room.

::

    CatalogError            the catalog cannot do what was asked (bad URL, missing driver…)
    ├── SchemaError         the database's schema is newer than this program, or broken
    ├── UnknownFeedError    a feed id that the catalog has never seen
    ├── UnknownCourse       a course id or key that names no course
    ├── AmbiguousCourse     a bare course key that several feeds have
    ├── LeaseLost           another process took this feed's lease: the sync stops writing
    ├── SiteError           the static site cannot be written where it was asked
    └── ExportError         an export asked for what it cannot write (a format without its audience)
"""

from __future__ import annotations

from collections.abc import Sequence

from connectors.feedlog import feed_prefix


class CatalogError(Exception):
    """Root of the catalog's errors."""


class SchemaError(CatalogError):
    """The database schema cannot be used or upgraded by this version."""


class UnknownFeedError(CatalogError):
    """No feed with that id exists in the catalog."""


class UnknownCourse(CatalogError):
    """No course has that id or key; ``suggestions`` are ids of courses whose key looks alike."""

    def __init__(self, ident: str, suggestions: Sequence[str]) -> None:
        self.ident, self.suggestions = ident, tuple(suggestions)
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"no course {ident!r} in the catalog{hint}")


class AmbiguousCourse(CatalogError):
    """A bare key that several feeds have: the caller must say which (``ids``)."""

    def __init__(self, ident: str, ids: Sequence[str]) -> None:
        self.ident, self.ids = ident, tuple(ids)
        super().__init__(f"course key {ident!r} is in {len(ids)} feeds: {', '.join(self.ids)}")


class LeaseLost(CatalogError):
    """Another process took this feed's lease: stop writing."""

    def __init__(self, feed_id: str) -> None:
        super().__init__(lost_message(feed_id))
        self.feed_id = feed_id


def lost_message(feed_id: str) -> str:
    """What a sync that lost its lease records on its run (and the CLI prints)."""
    return (
        f"{feed_prefix(feed_id)}this sync lost its lease (it was paused or cut off from the "
        "database past lease_ttl, and another sync took the feed over); it stopped without "
        "writing"
    )


class SiteError(CatalogError):
    """The site cannot be written where asked (the directory is not ours to replace)."""


class ExportError(CatalogError):
    """An export was asked for what it cannot write (a format without its audience, an unknown
    format): the caller's mistake, said in words the command line shows as they are."""
