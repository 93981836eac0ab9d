"""Deciding what a page changes in each of its courses, before anything is written.

A pure step: the page's records and the stored rows of their courses in, the writes out. A
course is *new* (inserted), *rewritten* (its fields' hash changed), *touched* (only its status,
precedence or stamps change: a withdrawn course that returns) or *unchanged*. A lower-precedence
piece of a split course adds runs but never course fields. The runs come after the courses (a
new course needs its id first); :meth:`CourseChanges.runs_changed` then turns a course whose
runs changed into an updated one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from catalog.store.ingest.fields import CourseFields, content_hash, course_values
from catalog.store.ingest.stored import StoredCourse
from connectors.records import CourseRecord


class NewCourse(NamedTuple):
    """A course to insert."""

    key: str
    fields: CourseFields
    digest: str
    precedence: str


class Rewrite(NamedTuple):
    """A stored course whose fields changed: all of them are written again."""

    id: int
    fields: CourseFields
    digest: str
    precedence: str


@dataclass(slots=True)
class CourseChanges:
    """What a page does to its courses, by key and by course id."""

    #: key -> ``new``, ``updated`` or ``unchanged`` (the page's count of each course).
    results: dict[str, str] = field(default_factory=dict)
    new: list[NewCourse] = field(default_factory=list)
    rewritten: list[Rewrite] = field(default_factory=list)
    #: Courses whose fields stay but whose status, precedence and stamps are written:
    #: course id -> the precedence to store.
    touched: dict[int, str] = field(default_factory=dict)
    #: key -> the fields written (new and rewritten courses), for the search index.
    indexed: dict[str, CourseFields] = field(default_factory=dict)

    def changed(self) -> Iterator[tuple[str, str]]:
        """(key, result) of every course the page writes something for."""
        return ((key, result) for key, result in self.results.items() if result != "unchanged")

    def runs_changed(
        self,
        keys: Iterable[str],
        records: Mapping[str, CourseRecord],
        existing: Mapping[str, StoredCourse],
    ) -> None:
        """The courses of ``keys`` had a run written: each stored one is updated (its row
        stamped, if its fields are not rewritten anyway)."""
        rewritten = {course.id for course in self.rewritten}
        for key in keys:
            if self.results[key] == "new":
                continue
            self.results[key] = "updated"
            old = existing[key]
            if old.id not in rewritten:
                self.touched[old.id] = max(old.precedence, records[key].precedence)


def decide(
    records: Mapping[str, CourseRecord], existing: Mapping[str, StoredCourse]
) -> CourseChanges:
    """The course writes of a page (its runs aside), from its records and their stored rows."""
    changes = CourseChanges()
    for key, record in records.items():
        fields = course_values(record)
        digest = content_hash(fields)
        old = existing.get(key)
        if old is None:
            changes.new.append(NewCourse(key, fields, digest, record.precedence))
            changes.indexed[key] = fields
            changes.results[key] = "new"
        # A lower-precedence piece of a split course adds runs but not course fields.
        elif record.precedence >= old.precedence and old.content_hash != digest:
            changes.rewritten.append(Rewrite(old.id, fields, digest, record.precedence))
            changes.indexed[key] = fields
            changes.results[key] = "updated"
        elif old.status != "active":
            changes.touched[old.id] = max(old.precedence, record.precedence)
            changes.results[key] = "updated"
        else:
            changes.results[key] = "unchanged"
    return changes
