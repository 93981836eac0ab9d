"""The OAI-PMH 2.0 data provider: one request's arguments in, one response out (pure over a
read-only connection; ``scheduler/web`` mounts it at ``/oai`` for GET and POST).

:func:`oai_response` checks the arguments (:mod:`.oai_request`), then answers the verb:
Identify (:class:`EarliestCache` keeps its earliest datestamp), ListMetadataFormats, ListSets
(the set hierarchy always exists — ``institution`` and ``isced`` — so ``noSetHierarchy`` is
never the answer, even before any institution is published), GetRecord, and the two listings
(:mod:`.oai_listing`). Bad input of any kind is an OAI-PMH error, never an exception; an
invalid request's arguments are not echoed into ``<request>``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from lxml import etree
from sqlalchemy import Connection

from catalog.derive.subjects import load_subjects
from catalog.present.publish import oai_xml, selection
from catalog.present.publish.oai_about import read_sources
from catalog.present.publish.oai_ids import course_of, oai_identifier
from catalog.present.publish.oai_listing import list_response
from catalog.present.publish.oai_metadata import FORMATS, PREFIXES
from catalog.present.publish.oai_records import MARK_TEXT, RECORDS_MARK, record
from catalog.present.publish.oai_request import OaiError, OaiRequest, parse_request
from catalog.present.publish.response import PublishResponse
from catalog.present.publish.selection import INSTITUTION, ISCED, Header
from catalog.present.publish.settings import PublishSettings

__all__ = ["EarliestCache", "PublishResponse", "oai_response"]


class EarliestCache:
    """Identify's ``earliestDatestamp``, computed at most once per ``ttl`` per process (and
    per consent: a changed institution list is a new key), as pkp-lib#6963 taught."""

    def __init__(self, ttl: timedelta = timedelta(minutes=5)) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._value: tuple[tuple[str, ...], datetime, datetime | None] | None = None

    def get(self, conn: Connection, settings: PublishSettings, now: datetime) -> datetime:
        """The earliest published datestamp; ``now`` when nothing is published yet."""
        with self._lock:
            cached = self._value
        if cached is None or cached[0] != settings.institutions or now - cached[1] >= self.ttl:
            value = selection.earliest(conn, settings)
            cached = (settings.institutions, now, value)
            with self._lock:
                self._value = cached
        return cached[2] or now


def oai_response(
    conn: Connection,
    settings: PublishSettings,
    args: Mapping[str, Sequence[str]],
    *,
    now: datetime,
    earliest: EarliestCache,
) -> PublishResponse:
    """The answer to one OAI-PMH request (``args``: every argument with all its values)."""
    parsed = parse_request(args)
    if isinstance(parsed, list):
        root = oai_xml.errors(oai_xml.envelope(settings, now), parsed)
    else:
        root = oai_xml.envelope(settings, now, parsed.arguments)
        found = _answer(conn, settings, parsed, root, now=now, earliest=earliest)
        if isinstance(found, str):  # records, written as text (oai_records)
            body = oai_xml.serialize(root).replace(RECORDS_MARK, found.encode(), 1)
            token = root.findtext(f"{oai_xml.OAI}{parsed.verb}/{oai_xml.OAI}resumptionToken")
            follow = (("verb", parsed.verb), ("resumptionToken", token)) if token else ()
            return PublishResponse(200, body, oai_xml.CONTENT_TYPE, next_request=follow)
        oai_xml.errors(root, found)
    return PublishResponse(200, oai_xml.serialize(root), oai_xml.CONTENT_TYPE)


def _answer(
    conn: Connection,
    settings: PublishSettings,
    request: OaiRequest,
    root: etree._Element,
    *,
    now: datetime,
    earliest: EarliestCache,
) -> list[OaiError] | str:
    """Fill ``root`` with the verb's answer (a record verb returns its records as text, to
    splice in); its errors instead, if any."""
    verb = request.verb
    if verb == "Identify":
        sample = oai_identifier(settings.node_id, "feed", "course-key")
        oai_xml.identify(root, settings, earliest.get(conn, settings, now), sample)
    elif verb == "ListMetadataFormats":
        if request.identifier is not None and _find(conn, settings, request.identifier) is None:
            return [_unknown(request.identifier)]
        oai_xml.metadata_formats(root, FORMATS)
    elif verb == "ListSets":
        if request.token is not None:
            return [OaiError("badResumptionToken", "resumptionToken: ListSets issues none")]
        oai_xml.sets(root, _sets(conn, settings))
    elif verb == "GetRecord":
        return _get_record(conn, settings, request, root)
    else:
        return list_response(conn, settings, request, root, now)
    return []


def _unknown(identifier: str) -> OaiError:
    return OaiError("idDoesNotExist", "identifier: no such record in this repository")


def _find(conn: Connection, settings: PublishSettings, identifier: str) -> Header | None:
    """The published course ``identifier`` names; None for any other."""
    found = course_of(settings.node_id, identifier)
    return None if found is None else selection.find(conn, settings, *found)


def _get_record(
    conn: Connection, settings: PublishSettings, request: OaiRequest, root: etree._Element
) -> list[OaiError] | str:
    errors: list[OaiError] = []
    prefix = request.prefix or ""
    if prefix not in PREFIXES:
        errors.append(OaiError("cannotDisseminateFormat", f"metadataPrefix: {prefix} not offered"))
    header = _find(conn, settings, request.identifier or "")
    if header is None:
        errors.append(_unknown(request.identifier or ""))
    if errors or header is None:
        return errors
    documents = {} if header.deleted else selection.documents(conn, [header])
    oai_xml.sub(root, "GetRecord").append(etree.Comment(MARK_TEXT))
    identifier = oai_identifier(settings.node_id, header.feed, header.key)
    document = documents.get(header.course_id)
    return record(header, identifier, document, read_sources(conn, settings), prefix=prefix)


def _sets(conn: Connection, settings: PublishSettings) -> list[tuple[str, str]]:
    """The set hierarchy: every consented institution, every ISCED field published."""
    found = [(INSTITUTION, "Institutions")]
    for institution, names in selection.institutions(conn, settings):
        found.append((f"{INSTITUTION}:{institution}", str(names.get("en") or institution)))
    found.append((ISCED, "Fields of education (ISCED-F 2013)"))
    subjects = load_subjects()
    for code in selection.isced_codes(conn, settings):
        found.append((f"{ISCED}:{code}", subjects.labels(code).get("en") or code))
    return found
