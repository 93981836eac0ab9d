"""The course document: one course as every export and published feed sees it.

Frozen, typed values built in one place (:func:`catalog.present.documents.course_documents`)
from what the catalog stored, with the decisions already taken: times are aware datetimes (runs
in UTC, an offer's application window in the offering institution's zone), subjects carry their
ISCED-F codes and labels, an offer names its run by key or is an offer of the whole course. The
JSON export (:mod:`catalog.present.document_json`), the CSV, the static site and its search index
read these attributes; none of them parses a time or maps a subject again.

The field names are those of the JSON export's ``courses[]`` items (schema mooc-exchange/1).

**Immutable to the type checker, plain slotted classes at run time** (:func:`document`): an
export builds several of these per course, and a frozen dataclass pays a guarded
``object.__setattr__`` for every field it sets — more than the rest of reading the course. The
type checker still refuses any assignment to a field, and equal documents hash alike, as frozen
ones would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from typing_extensions import dataclass_transform

from connectors.records import Origin

_T = TypeVar("_T")


@dataclass_transform(frozen_default=True)
def document(cls: type[_T]) -> type[_T]:
    """A slotted dataclass the type checker treats as frozen (see the module's docstring)."""
    return dataclass(slots=True, unsafe_hash=True)(cls)


@document
class Subject:
    """An ISCED-F 2013 broad field (``"06"``) and its labels by language (vi, zh, en)."""

    code: str
    labels: Mapping[str, str]


@document
class RunDocument:
    """A run of the course, its times in UTC."""

    key: str
    start: datetime | None
    end: datetime | None
    enrollment_start: datetime | None
    enrollment_end: datetime | None
    pacing: str | None
    #: The run's own page on its platform.
    url: str | None = None
    #: As the source says it ("current", "upcoming", "archived").
    availability: str | None = None
    #: True when the run can be taken for free (auditing counts).
    is_free: bool | None = None
    #: The paid option's price as a decimal string ("49.00"), its ISO 4217 currency, and how
    #: often it is paid (MOOChub's words: "monthly" …; None: once, or not said).
    price: str | None = None
    currency: str | None = None
    payment_frequency: str | None = None
    certificate: bool | None = None


@document
class Credits:
    """Credits on both sides of an offer, each in its own credit system."""

    host: float | None
    host_system: str | None
    home: float | None
    home_system: str | None
    source: str | None


#: An offer without credits, for readers that show every credit cell (empty).
NO_CREDITS = Credits(None, None, None, None, None)


@document
class Equivalence:
    """The home university's decision on a course: which of its courses it counts as, when."""

    status: str
    home_course: str | None
    valid_terms: tuple[str, ...]


@document
class OfferDocument:
    """A course (one run, or the whole course) open to one audience's students in one term."""

    audience: str
    offering: str
    #: The key of the run offered; None for a course offered as a whole (it has no runs).
    run: str | None
    whole_course: bool
    rule: str
    term: str | None
    #: In the offering institution's time zone.
    application_start: datetime | None
    application_end: datetime | None
    open_now: bool
    seats: int | None
    notes: str | None
    notes_by_language: Mapping[str, str] | None
    credits: Credits | None
    equivalence: Equivalence | None


@document
class CourseDocument:
    """A course with its runs and (for an export with an audience, only that audience's)
    offers."""

    id: str
    institution: str | None
    feed: str
    key: str
    title: str
    language: str | None
    short_description: str | None
    description: str | None
    url: str | None
    image_url: str | None
    organization: str | None
    #: The source's own subject names, as it sent them.
    subjects: tuple[str, ...]
    subjects_isced: tuple[Subject, ...]
    level: str | None
    effort: str | None
    pacing: str | None
    status: str
    is_free: bool | None
    certificate: bool | None
    runs: tuple[RunDocument, ...]
    offers: tuple[OfferDocument, ...]
    first_seen: datetime | None
    updated_at: datetime | None
    #: Credits as the source states them, in the offering institution's credit system.
    credits: float | None = None
    #: When the source last changed the course, if it says.
    modified: datetime | None = None
    #: "online", "blended" or "onsite"; None when the source does not say.
    mode: str | None = None
    #: When the source says the course stops being available.
    expires: datetime | None = None
    #: Where the course was before its source had it, nearest hop first; empty for a course
    #: harvested from its original source (see :class:`connectors.records.Origin`).
    provenance: tuple[Origin, ...] = ()
