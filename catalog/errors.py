"""Exceptions of the catalog room.

::

    CatalogError            the catalog cannot do what was asked (bad URL, missing driver…)
    ├── SchemaError         the database's schema is newer than this program, or broken
    ├── UnknownFeedError    a feed id that the catalog has never seen
    └── CourseLookupError   a course id or key that names no course, or several
"""

from __future__ import annotations


class CatalogError(Exception):
    """Root of the catalog's errors."""


class SchemaError(CatalogError):
    """The database schema cannot be used or upgraded by this version."""


class UnknownFeedError(CatalogError):
    """No feed with that id exists in the catalog."""


class CourseLookupError(CatalogError):
    """A course reference that names no course (``candidates``: close ones) or several
    (``candidates``: their ids)."""

    def __init__(self, message: str, candidates: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.candidates = candidates
