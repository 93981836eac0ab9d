"""Atom 1.0 (RFC 4287) feeds of an audience's new and changed offers, built with lxml.

One feed per audience: its offers, newest first (by when the catalog last changed the course,
then by course id), at most :data:`MAX_ENTRIES`, one entry per offer — a run offered in a term,
or the whole course. :func:`atom_feed` reads them from the catalog (``/feeds/{audience}.atom``);
the site export collects the newest of the courses it writes (:class:`NewestCourses`) and
writes the same feed as ``feeds/{audience}.atom`` (:func:`render_feed`).

* Feed: ``id`` (``tag:{node_id},2026:feeds/{audience}``, or
  ``urn:mooc-exchange:feed:{audience}`` without publishing settings), ``title`` in the
  audience's language, ``updated`` (the newest entry's), ``link rel="self"``, ``author`` (the
  node's repository name, else mooc-exchange), ``xml:lang``.
* Entry: a stable ``id`` per offer (course id, run key or ``whole``, audience), the course
  title, ``updated``, ``link rel="alternate"`` to the course page of the audience's site
  (absolute under ``site_url``; else relative, with ``xml:base="../"``: the site's root seen
  from its ``feeds/`` folder), a text ``summary`` (:func:`.atom_text.offer_summary`) and a
  ``category`` per ISCED-F field.

With settings, only offers whose offering institution the node publishes, and none at all for
an audience it does not publish. Every text goes through lxml (escaped) after the characters
XML 1.0 forbids are removed, so a hostile title gives a well-formed feed.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from lxml import etree
from sqlalchemy import Connection, exists, select

from catalog.present.course_document import CourseDocument, OfferDocument
from catalog.present.documents import course_documents
from catalog.present.documents import institutions as read_institutions
from catalog.present.publish import selection
from catalog.present.publish.atom_text import institution_name, offer_summary, words
from catalog.present.publish.settings import PublishSettings
from catalog.present.site.i18n import default_language
from catalog.present.site.safety import page_slug
from catalog.store import tables

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
#: The most entries a feed holds.
MAX_ENTRIES = 100
#: The scheme of the entries' ISCED-F 2013 broad-field categories.
ISCED_SCHEME = "http://uis.unesco.org/isced-f-2013"
#: The year in the feeds' tag: URIs (RFC 4151: a date the node's name was held).
TAG_YEAR = "2026"

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
#: What XML 1.0 does not allow in a document (C0 controls but tab, LF, CR; surrogates; FFFE/F).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EARLIEST = datetime.min.replace(tzinfo=UTC)

#: A course and the file name (slug) of its page in the audience's site.
Paged = tuple[CourseDocument, str]


def atom_feed(
    conn: Connection,
    settings: PublishSettings | None,
    audience: str,
    *,
    now: datetime,
    site_url: str | None,
) -> bytes:
    """The feed of ``audience``'s newest offers in the catalog (UTF-8 XML)."""
    known = read_institutions(conn)
    courses: list[Paged] = []
    if settings is None or settings.publishes_audience(audience):
        ids = _newest_ids(conn, settings, audience)
        documents = course_documents(conn, audience=audience, ids=ids, include_withdrawn=False)
        courses = [(d, page_slug(d.id)) for d in documents]
    return render_feed(courses, known, settings, audience, now=now, site_url=site_url)


def _newest_ids(conn: Connection, settings: PublishSettings | None, audience: str) -> list[int]:
    """The row ids of the audience's :data:`MAX_ENTRIES` most recently changed live courses
    that have an offer (each gives at least one entry): ``ix_courses_published`` backwards."""
    c, o = tables.courses.c, tables.offers.c
    query = select(c.id).where(
        c.status == "active", exists().where(o.course_id == c.id, o.audience == audience)
    )
    if settings is not None:
        query = query.where(selection.published(settings))
    query = query.order_by(c.updated_at.desc(), c.feed_id.desc(), c.key.desc())
    return [row.id for row in conn.execute(query.limit(MAX_ENTRIES))]


class NewestCourses:
    """The :data:`MAX_ENTRIES` most recently changed courses among those added (a heap: the
    site export adds every course it writes, at a few comparisons each)."""

    def __init__(self, limit: int = MAX_ENTRIES) -> None:
        self.limit = limit
        self._heap: list[tuple[datetime, str, int, Paged]] = []
        self._added = 0

    def add(self, course: CourseDocument, slug: str) -> None:
        """Consider ``course`` (its page ``slug``): live courses with offers only."""
        if not course.offers or course.status == "withdrawn":
            return
        self._added += 1
        entry = (course.updated_at or _EARLIEST, course.id, self._added, (course, slug))
        if len(self._heap) < self.limit:
            heapq.heappush(self._heap, entry)
        elif entry[:2] > self._heap[0][:2]:
            heapq.heapreplace(self._heap, entry)

    def courses(self) -> list[Paged]:
        """The courses kept (in any order: :func:`render_feed` orders them)."""
        return [entry[3] for entry in self._heap]


def render_feed(
    courses: Iterable[Paged],
    institutions: Sequence[Mapping[str, Any]],
    settings: PublishSettings | None,
    audience: str,
    *,
    now: datetime,
    site_url: str | None,
    language: str | None = None,
) -> bytes:
    """The feed of ``courses`` (documents limited to ``audience``'s offers, with their page
    slugs); ``language``: the audience's reading language (default: the site's rule)."""
    lang = language or default_language(audience, institutions)
    names = {str(i.get("id")): i.get("names") for i in institutions}
    newest = sorted(courses, key=lambda paged: (paged[0].updated_at or _EARLIEST, paged[0].id))
    newest.reverse()
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})  # type: ignore[dict-item]
    feed.set(_XML_LANG, lang)
    if site_url is None:
        feed.set(_XML_BASE, "../")
    audience_name = institution_name(names.get(audience), lang, audience)
    title = words(lang)["feed_title"].replace("{audience}", audience_name)
    _text(feed, "id", _feed_id(settings, audience))
    _text(feed, "title", title)
    updated = _text(feed, "updated", "")
    self_href = f"feeds/{quote(audience, safe='')}.atom"
    if settings is not None:
        self_href = f"{settings.base_url}/{self_href}"
    elif site_url is not None:
        self_href = f"{site_url.rstrip('/')}/{self_href}"
    etree.SubElement(feed, f"{{{ATOM}}}link", rel="self", type=MEDIA_TYPE, href=self_href)
    author = etree.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", settings.repository_name if settings else "mooc-exchange")
    _text(feed, "generator", "mooc-exchange")
    latest: datetime | None = None
    count = 0
    for course, slug in newest:
        if count >= MAX_ENTRIES:
            break
        for offer in course.offers:
            if count >= MAX_ENTRIES:
                break
            if settings is not None and not settings.publishes(offer.offering):
                continue
            university = institution_name(names.get(offer.offering), lang, offer.offering)
            _entry(
                feed, course, offer, slug=slug, settings=settings, site_url=site_url,
                university=university, lang=lang,
            )  # fmt: skip
            latest = latest or course.updated_at
            count += 1
    updated.text = _stamp(latest or now)
    return etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _entry(
    feed: etree._Element,
    course: CourseDocument,
    offer: OfferDocument,
    *,
    slug: str,
    settings: PublishSettings | None,
    site_url: str | None,
    university: str,
    lang: str,
) -> None:
    entry = etree.SubElement(feed, f"{{{ATOM}}}entry")
    _text(entry, "id", _entry_id(settings, course.id, offer))
    _text(entry, "title", course.title or course.key)
    _text(entry, "updated", _stamp(course.updated_at or datetime.now(UTC)))
    href = f"courses/{slug}.html"
    if site_url is not None:
        href = f"{site_url.rstrip('/')}/{href}"
    etree.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=href)
    _text(entry, "summary", offer_summary(offer, university, lang)).set("type", "text")
    for subject in course.subjects_isced:
        if subject.code:
            label = subject.labels.get(lang) or subject.labels.get("en") or subject.code
            category = etree.SubElement(entry, f"{{{ATOM}}}category", term=subject.code)
            category.set("scheme", ISCED_SCHEME)
            category.set("label", _clean(label))


def _feed_id(settings: PublishSettings | None, audience: str) -> str:
    if settings is None:
        return f"urn:mooc-exchange:feed:{quote(audience, safe='')}"
    return f"tag:{settings.node_id},{TAG_YEAR}:feeds/{quote(audience, safe='')}"


def _entry_id(settings: PublishSettings | None, course_id: str, offer: OfferDocument) -> str:
    """Stable per offer: the course, its run (``whole`` for the whole course), the audience —
    each part percent-encoded whole, so no two offers share an id."""
    parts = (course_id, offer.run or "whole", offer.audience)
    specific = ":".join(quote(part, safe="") for part in parts)
    if settings is None:
        return f"urn:mooc-exchange:offer:{specific}"
    return f"tag:{settings.node_id},{TAG_YEAR}:offer:{specific}"


def _stamp(moment: datetime) -> str:
    """An RFC 3339 date-time in UTC, to the second."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clean(value: str) -> str:
    """``value`` without the characters XML 1.0 forbids (lxml refuses them)."""
    return _NOT_XML.sub("", value)


def _text(parent: etree._Element, tag: str, value: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ATOM}}}{tag}")
    element.text = _clean(value)
    return element
