"""OAI-PMH responses read, ``ListRecords`` mapped: oai_dc records, deletions (pure); IEEE LOM
records are mapped in connectors/oaipmh_lom.py, the shared text helpers are oaipmh_text.py.

Each response is parsed whole with the streaming API of :mod:`connectors.xmlsafe`, so a
truncated response never lands half. Quirks decided here, each with a test: escaped and
double-escaped HTML in ``dc:description``; several ``dc:title`` in different ``xml:lang``; ISO
639-2 language codes (``vie``, ``chi``); stray mixed-content text; the same identifier twice on
a page (several sets); ``status="deleted"`` records without metadata; a metadata root that
inherited the envelope's namespace (named by its ``xsi:schemaLocation`` when rejected).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from lxml import etree

from connectors.errors import BadResponseError, RecordError, WrongEndpointError
from connectors.feedlog import feed_prefix
from connectors.http import HttpResponse, describe_html, is_html, redact_url
from connectors.normalize import clean_text, parse_datetime, summary
from connectors.oaipmh_lom import map_lom
from connectors.oaipmh_origin import RecordOrigins
from connectors.oaipmh_repository import OAI, ROOT, OaiErrors
from connectors.oaipmh_text import XML_LANG, first_language, html_description, pick
from connectors.records import CourseRecord, Item, Rejected, Withdrawn, is_http_url
from connectors.xmlsafe import XmlError, iter_elements

OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"
DC = "{http://purl.org/dc/elements/1.1/}"
_SCHEMA_LOCATION = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"
#: How a record in a format the mapping does not read is rejected (and recognised).
UNSUPPORTED = "metadata: unsupported format"
#: The oai_dc elements the mapping reads.
_DC_ELEMENTS = ("title", "description", "date", "identifier", "publisher", "language", "subject")
_TAGS = tuple(
    f"{OAI}{t}" for t in ("responseDate", "error", "record", "resumptionToken", "ListRecords")
)
_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
#: What a wrong base_url is told: an HTML page, a 404, JSON, another XML, badVerb.
ENDPOINT_HINT = (
    "base_url must be the repository's OAI-PMH endpoint (the URL that answers ?verb=Identify)"
)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ListRecordsResponse:
    """One parsed ``ListRecords`` response. ``token`` is ``None`` when absent, ``""`` when empty."""

    response_date: str | None
    errors: tuple[tuple[str, str], ...]
    items: tuple[Item, ...]
    token: str | None = None
    complete_list_size: int | None = None
    #: The response's provenance bookkeeping (records dropped as this node's own), when traced.
    origins: RecordOrigins | None = None

    @property
    def source_count(self) -> int | None:
        """Records the response held, the dropped ones included; ``None`` when none dropped."""
        dropped = self.origins.chains.dropped if self.origins is not None else 0
        return len(self.items) + dropped if dropped else None


def read_response(response: HttpResponse, parse: Callable[[bytes], T], *, feed_id: str) -> T:
    """Parse a response's body with ``parse``. An answer that is not OAI-PMH (an HTML page,
    JSON, another XML document) fails naming the URL and what base_url must be."""
    url = response.url
    where = f"{feed_prefix(feed_id)}{redact_url(url)}"
    if is_html(response):
        raise WrongEndpointError(
            f"{where} answered {describe_html(response)}, not OAI-PMH XML: {ENDPOINT_HINT}",
            url=url,
            status=response.status,
        )
    head = response.content[:2048].lstrip()
    if head[:1] in (b"{", b"["):
        raise WrongEndpointError(
            f"{where} answered JSON, not OAI-PMH XML: {ENDPOINT_HINT}", url=url
        )
    try:
        return parse(response.content)
    except OaiErrors as exc:
        hint = f"; {ENDPOINT_HINT}" if "badVerb" in exc.codes else ""
        raise BadResponseError(
            f"{where} answered with OAI-PMH error {exc}{hint}", url=url
        ) from None
    except XmlError as exc:
        if b"OAI-PMH" not in head:  # another document, well-formed or not
            raise WrongEndpointError(
                f"{where} is not an OAI-PMH response ({exc}): {ENDPOINT_HINT}", url=url
            ) from None
        raise BadResponseError(f"{where} is not a valid OAI-PMH response: {exc}", url=url) from None


def response_moment(value: str | None) -> datetime | None:
    """The ``responseDate``: the server's clock, which the next incremental run asks from."""
    try:
        return parse_datetime(value, "responseDate")
    except RecordError:
        return None


def parse_list_records(
    body: bytes, *, language: str | None = None, origins: RecordOrigins | None = None
) -> ListRecordsResponse:
    """One ``ListRecords`` response → its items (deduplicated by identifier), token and errors.

    With ``origins``, each record gets its provenance chain, and those that originated at this
    node are dropped (connectors/oaipmh_origin.py); the response carries ``origins`` back.
    Raises XmlError for anything that is not a well-formed, DTD-free OAI-PMH response.
    """
    response_date, token, size, listed = None, None, None, False
    errors: list[tuple[str, str]] = []
    items: list[Item] = []
    where: dict[str, int] = {}  # the same record in several sets: the last copy wins
    for element in iter_elements(body, _TAGS, root=ROOT):
        tag = element.tag
        if tag == f"{OAI}record":
            item = map_record(element, language=language)
            if origins is not None:
                traced = origins.trace(element, item)
                if traced is None:  # originated at this node: counted, not imported again
                    continue
                item = traced
            key = None if isinstance(item, Rejected) else item.key
            if key is not None and key in where:
                items[where[key]] = item
                continue
            if key is not None:
                where[key] = len(items)
            items.append(item)
        elif tag == f"{OAI}responseDate":
            response_date = (element.text or "").strip() or None
            if origins is not None:
                origins.harvested = response_moment(response_date)
        elif tag == f"{OAI}error":
            errors.append((element.get("code") or "unknown", clean_text(element.text) or ""))
        elif tag == f"{OAI}resumptionToken":
            token = (element.text or "").strip()
            raw_size = (element.get("completeListSize") or "").strip()
            size = int(raw_size) if raw_size.isdigit() else None
        else:
            listed = True
    if not errors and not listed:
        raise XmlError("it has neither <ListRecords> nor <error>")
    return ListRecordsResponse(response_date, tuple(errors), tuple(items), token, size, origins)


def map_record(record: etree._Element, *, language: str | None = None) -> Item:
    """One ``<record>`` → CourseRecord, Withdrawn (``status="deleted"``) or Rejected."""
    raw = etree.tostring(record, encoding="unicode")
    header = record.find(f"{OAI}header")
    key = clean_text(header.findtext(f"{OAI}identifier")) if header is not None else None
    if header is None or not key:
        return Rejected(reason="header/identifier: missing", raw=raw)
    if header.get("status") == "deleted":
        return Withdrawn(key)
    try:
        datestamp = parse_datetime(header.findtext(f"{OAI}datestamp"), "header/datestamp")
        metadata = record.find(f"{OAI}metadata")
        if metadata is None or len(metadata) == 0:
            raise RecordError("metadata: missing on a record that is not deleted")
        fields = metadata[0]
        if fields.tag == OAI_DC:
            return map_dc(fields, key=key, datestamp=datestamp, language=language, raw=raw)
        if etree.QName(fields).localname == "lom":
            return map_lom(fields, key=key, datestamp=datestamp, language=language, raw=raw)
        raise RecordError(f"{UNSUPPORTED} {format_root(fields)}")
    except RecordError as exc:
        return Rejected(reason=exc.reason, key=key, raw=raw)


def format_root(element: etree._Element) -> str:
    """The metadata's format as a Clark name. A root in the OAI-PMH namespace only inherited
    the envelope's default namespace (the record declares none of its own): its
    ``xsi:schemaLocation`` names the namespace it means, else its first child in another one."""
    qname = etree.QName(element)
    if f"{{{qname.namespace}}}" != OAI:
        return str(element.tag)
    location = (element.get(_SCHEMA_LOCATION) or "").split()
    if location:
        return f"{{{location[0]}}}{qname.localname}"
    inner = next((c for c in element if isinstance(c.tag, str) and not c.tag.startswith(OAI)), None)
    return str(inner.tag) if inner is not None else f"{element.tag} (no namespace of its own)"


def map_dc(
    dc: etree._Element, *, key: str, datestamp: datetime | None, language: str | None, raw: str
) -> CourseRecord:
    """``oai_dc`` → CourseRecord. ``dc:date`` counts as modified only when it is a full date."""
    fields = _dc_fields(dc)
    title = pick(fields.get("title", []), language)
    if not title:
        raise RecordError("dc:title: missing", key=key)
    description = html_description(pick(fields.get("description", []), language))
    dates: list[datetime] = []
    for value, _lang in fields.get("date", ()):
        if _FULL_DATE.match(value):
            try:
                parsed = parse_datetime(value, "dc:date")
            except RecordError:
                continue  # "2025-02-30": free text in DC, so ignored rather than guessed
            if parsed is not None:
                dates.append(parsed)
    identifiers = [value for value, _lang in fields.get("identifier", ())]
    publishers = [value for value, _lang in fields.get("publisher", ())]
    return CourseRecord(
        key=key,
        title=title,
        description=description,
        short_description=summary(description),
        language=first_language(value for value, _lang in fields.get("language", ())),
        organization=next(iter(publishers), None),
        subjects=tuple(dict.fromkeys(value for value, _lang in fields.get("subject", ()))),
        url=next((u for u in identifiers if is_http_url(u)), None),
        modified=max(dates) if dates else datestamp,
        raw=raw,
    )


_DC_NAMES = {f"{DC}{name}": name for name in _DC_ELEMENTS}


def _dc_fields(dc: etree._Element) -> dict[str, list[tuple[str, str | None]]]:
    """The Dublin Core children by element name: cleaned non-empty texts with their xml:lang.

    One pass over the children (what ``_texts`` gives for each name, without a search per name).
    """
    found: dict[str, list[tuple[str, str | None]]] = {}
    for child in dc:
        name = _DC_NAMES.get(child.tag)  # comments and PIs have no string tag: never found
        if name is None:
            continue
        raw_text = "".join(child.itertext()) if len(child) else child.text  # type: ignore[arg-type]
        text = clean_text(raw_text) if raw_text else None
        if text:
            found.setdefault(name, []).append((text, child.get(XML_LANG)))
    return found
