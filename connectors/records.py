"""The record contract between connectors and the catalog.

A connector turns a remote feed into a stream of :class:`Page` objects. Each page carries
plain, frozen values — never ORM objects — so the catalog can be tested without HTTP and a
connector can be used without a database (``moocx check`` and a JSON dump need nothing else).

Items on a page are one of:

* :class:`CourseRecord` — one course as the source describes it, normalised, with its runs;
* :class:`Withdrawn` — the source says explicitly that a course is gone;
* :class:`Rejected` — a source item the connector could not map (no key, unparseable date…);
  the catalog stores it with its reason and the run goes on.

Every page also carries the connector's **cursor**: the JSON-serialisable state that lets the
next run resume after this page (or, at the end, fetch only changes). The sync persists it in
the same transaction as the page's data, so a crash loses at most one page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias
from urllib.parse import urlsplit

#: Opaque, JSON-serialisable connector state. ``None`` means "start from the beginning".
Cursor: TypeAlias = Mapping[str, Any] | None


#: The course modes a record may carry.
COURSE_MODES = ("online", "blended", "onsite")

#: How often a price is paid (MOOChub v3 ``paymentFrequency``).
PAYMENT_FREQUENCIES = (
    "one-time",
    "weekly",
    "monthly",
    "quarterly",
    "half-yearly",
    "by semester",
    "yearly",
    "other",
)


@dataclass(frozen=True, slots=True)
class CourseRun:
    """One offering of a course: a term, a session, a self-paced edition."""

    key: str
    title: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    enrollment_start: datetime | None = None
    enrollment_end: datetime | None = None
    #: ``"instructor"`` (cohort with a schedule) or ``"self"`` (self-paced), or ``None``.
    pacing: str | None = None
    url: str | None = None
    #: Free-form availability as the source says it ("current", "upcoming", "archived").
    availability: str | None = None
    #: True when the run can be taken for free (auditing counts), False when it costs money.
    is_free: bool | None = None
    #: Price of the paid option as a decimal string ("49.00"), with its ISO 4217 currency.
    price: str | None = None
    currency: str | None = None
    #: True when a certificate can be earned in this run.
    certificate: bool | None = None
    #: How often ``price`` is paid, in MOOChub's words (:data:`PAYMENT_FREQUENCIES`); None when
    #: the source does not say (a one-time price, as most platforms mean it).
    payment_frequency: str | None = None
    #: Keys an earlier version of the connector gave this same run. The catalog renames a
    #: stored run of the course under one of them instead of adding the run a second time.
    former_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Origin:
    """One hop of a course's way here, as OAI-PMH's provenance container describes it
    (``<about><provenance><originDescription>``): the repository a record was harvested from,
    the record's identifier and datestamp there, and when it was harvested.

    A course harvested from another node carries the hops that node published, the nearest
    first: the node itself, then where that node had it from, down to the original source. The
    catalog stores them and publishes them again with one more hop in front; a node drops a
    record whose hops name itself, so A → B → A stops.
    """

    base_url: str
    identifier: str
    datestamp: datetime | None = None
    harvested: datetime | None = None
    #: The namespace of the metadata format harvested there (``oai_dc``'s, LOM's …).
    metadata_namespace: str | None = None
    #: True when the record was changed on the way (mapped to another format).
    altered: bool = True


@dataclass(frozen=True, slots=True)
class CourseRecord:
    """One course, normalised by its connector.

    ``key`` is the source's own stable identifier of the *course* (Open edX ``ORG+NUM``, XuetangX
    ``sign``), unique within one feed. Datetimes are timezone-aware; URLs are absolute.
    """

    key: str
    title: str
    runs: tuple[CourseRun, ...] = ()
    short_description: str | None = None
    #: Long description; may contain HTML, sanitised on export, never here.
    description: str | None = None
    #: BCP 47 language tag of the teaching language ("vi", "zh", "en", "zh-Hans").
    language: str | None = None
    organization: str | None = None
    subjects: tuple[str, ...] = ()
    level: str | None = None
    effort: str | None = None
    #: Credits as the source states them, in the host institution's credit system.
    credits: float | None = None
    pacing: str | None = None
    url: str | None = None
    image_url: str | None = None
    is_free: bool | None = None
    certificate: bool | None = None
    #: When the source last changed this course, if it says.
    modified: datetime | None = None
    #: How the course is taught (:data:`COURSE_MODES`): ``"online"``, ``"blended"`` or
    #: ``"onsite"``; None when the source does not say (every MOOC platform's courses are online).
    mode: str | None = None
    #: When the source says the course stops being available (MOOChub ``expires``): after it,
    #: the course is no longer offered or listed for students.
    expires: datetime | None = None
    #: Where the course was before the source had it, nearest first (:class:`Origin`): set when
    #: the source is another node of the network that re-publishes it; empty for an original.
    provenance: tuple[Origin, ...] = ()
    #: When a source delivers one course in several pieces (Open edX lists *runs*, and runs of one
    #: course may fall on different pages), the piece with the highest precedence supplies the
    #: course-level fields. Plain strings, compared lexically; "" is lowest.
    precedence: str = ""
    #: The source's own payload, for audit and for rejected-record excerpts. Not hashed.
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """The source says this course is gone (OAI-PMH ``status="deleted"``, a delta deletion)."""

    key: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """A source item that could not be mapped into a record; stored with its reason."""

    reason: str
    key: str | None = None
    raw: Any = field(default=None, compare=False, repr=False)


Item: TypeAlias = CourseRecord | Withdrawn | Rejected


@dataclass(frozen=True, slots=True)
class Page:
    """One unit of work: the items of one response, and the cursor that follows them.

    ``cursor`` is where the *next* run should continue if this one stops after committing this
    page. ``last`` is True on the final page of a harvest that reached the end of the feed.
    ``declared_total`` is the number of items the source says the whole listing holds (edX
    ``pagination.count``), when it says; the sync compares it with what it received.
    ``incremental`` is True when the harvest this page belongs to asks only for changes (OAI-PMH
    ``from``, discovery ``timestamp``): a course missing from it is *not* gone.

    Cursor conventions: on a page that is not the last, the cursor resumes the harvest right
    after it (``harvest(cursor)`` fetches the next page). On the last page, it is the state for
    the *next* harvest — a high-water mark for an incremental source, ``None`` for a source that
    can only be read in full.
    """

    items: tuple[Item, ...]
    cursor: Cursor
    url: str
    number: int
    last: bool = False
    declared_total: int | None = None
    incremental: bool = False
    #: Source items this page held, in the unit of ``declared_total`` (Open edX counts runs,
    #: hidden ones included); ``None`` means ``len(items)``.
    source_count: int | None = None
    #: The source answered ``304 Not Modified`` to a conditional request: the page is exactly
    #: what it was in the last harvest (``items`` is empty; the catalog knows the rest).
    not_modified: bool = False
    #: The response's validators for the next conditional request of this URL:
    #: ``{"etag": ..., "last_modified": ...}``, when the source sends them.
    validators: Mapping[str, str] | None = None


#: A prefix that settles it: ``http(s)://`` and a plain host, then the path, query or the end.
#: (Other spellings — upper case, userinfo, IPv6, spaces — are left to ``urlsplit``.)
_PLAIN_HTTP = re.compile(r"https?://[A-Za-z0-9._~-]+(?::[0-9]*)?(?:[/?#]|\Z)")


def is_http_url(value: str) -> bool:
    """True for absolute http(s) URLs with a host: the only URLs a record may carry."""
    if _PLAIN_HTTP.match(value):
        return True  # what urlsplit says of these, without its cost (four URLs a course)
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
