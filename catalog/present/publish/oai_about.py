"""Where each published record came from: the ``<about><provenance>`` container, and the feed
and institution facts it needs, read once per request (pure but for :func:`read_sources`).

A course the node harvested from its original source gets one ``originDescription``: the
feed's base URL (without credentials or query), the course's key there, its datestamp there
(the source's ``modified``, else when the catalog last changed it), the harvest time and the
namespace of what was read (``urn:mooc-exchange:source:{connector}``, or oai_dc's for an
OAI-PMH feed), ``altered="true"`` (it was mapped). A course harvested from another node carries
that node's chain (:attr:`CourseDocument.provenance`, nearest first): it is written as is, each
hop nested in the one before, so a harvester reads the full way back to the source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from lxml import etree
from sqlalchemy import Connection, select

from catalog.present.course_document import CourseDocument
from catalog.present.publish.oai_xml import OAI, XSI_LOCATION, nsmap, stamp, xml_text
from catalog.present.publish.settings import PublishSettings
from catalog.store import tables
from connectors.records import Origin

PROVENANCE_NS = "http://www.openarchives.org/OAI/2.0/provenance"
_P = f"{{{PROVENANCE_NS}}}"
_LOCATION = f"{PROVENANCE_NS} {PROVENANCE_NS}.xsd"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
#: A hop that does not say what it read.
_UNKNOWN_NAMESPACE = "urn:mooc-exchange:source:unknown"


@dataclass(frozen=True, slots=True)
class Sources:
    """The consented feeds' connector and public base URL, and the institutions' names."""

    feeds: dict[str, tuple[str, str]]
    names: dict[str, str]

    def institution_name(self, institution: str | None) -> str | None:
        return None if institution is None else self.names.get(institution, institution)


def public_url(url: str) -> str:
    """``url`` without userinfo, query or fragment: what may be published of a feed's URL."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return ""
    netloc = f"[{host}]" if ":" in host else host
    netloc += f":{port}" if port else ""
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def read_sources(conn: Connection, settings: PublishSettings) -> Sources:
    """The feeds and institution names of the consented institutions (two small reads)."""
    f, i = tables.feeds.c, tables.institutions.c
    feeds = {
        row.id: (row.connector, public_url(row.base_url))
        for row in conn.execute(
            select(f.id, f.connector, f.base_url).where(f.institution_id.in_(settings.institutions))
        )
    }
    names: dict[str, str] = {}
    for row in conn.execute(select(i.id, i.names).where(i.id.in_(settings.institutions))):
        labels = row.names or {}
        names[row.id] = str(labels.get("en") or row.id)
    return Sources(feeds, names)


def provenance(record: etree._Element, document: CourseDocument, sources: Sources) -> None:
    """``<about><provenance>`` for ``document``, appended to ``record``."""
    about = etree.SubElement(record, f"{OAI}about")
    container = etree.SubElement(about, f"{_P}provenance", nsmap=nsmap(PROVENANCE_NS))
    container.set(XSI_LOCATION, _LOCATION)
    harvested = document.updated_at or document.first_seen
    if not document.provenance:
        connector, base_url = sources.feeds.get(document.feed, ("unknown", ""))
        namespace = OAI_DC_NS if connector == "oaipmh" else f"urn:mooc-exchange:source:{connector}"
        when = document.modified or harvested
        _origin(container, Origin(base_url, document.key, when, harvested, namespace, True))
        return
    parent = container
    for hop in document.provenance:
        hop_harvested = hop.harvested or harvested
        parent = _origin(parent, hop, fallback=hop_harvested)
        harvested = hop_harvested


def _origin(
    parent: etree._Element, hop: Origin, *, fallback: datetime | None = None
) -> etree._Element:
    """One ``originDescription`` (its children in the schema's order), inside ``parent``."""
    element = etree.SubElement(parent, f"{_P}originDescription")
    harvested = hop.harvested or fallback
    if harvested is not None:
        element.set("harvestDate", stamp(harvested))
    element.set("altered", "true" if hop.altered else "false")
    etree.SubElement(element, f"{_P}baseURL").text = xml_text(public_url(hop.base_url))
    etree.SubElement(element, f"{_P}identifier").text = xml_text(hop.identifier)
    datestamp = hop.datestamp or harvested
    etree.SubElement(element, f"{_P}datestamp").text = stamp(datestamp) if datestamp else ""
    namespace = hop.metadata_namespace or _UNKNOWN_NAMESPACE
    etree.SubElement(element, f"{_P}metadataNamespace").text = xml_text(namespace)
    return element
