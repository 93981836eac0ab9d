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
from functools import lru_cache

from lxml import etree
from sqlalchemy import Connection, select

from catalog.present.course_document import CourseDocument
from catalog.present.publish.oai_ids import public_url
from catalog.present.publish.oai_xml import OAI, XSI_LOCATION, nsmap, stamp, xml_text
from catalog.present.publish.settings import PublishSettings
from catalog.store import tables
from connectors.records import Origin

PROVENANCE_NS = "http://www.openarchives.org/OAI/2.0/provenance"
_P = f"{{{PROVENANCE_NS}}}"
_LOCATION = f"{PROVENANCE_NS} {PROVENANCE_NS}.xsd"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
_ORIGIN, _BASE_URL, _IDENTIFIER, _DATESTAMP, _NAMESPACE = (
    f"{_P}{name}"
    for name in ("originDescription", "baseURL", "identifier", "datestamp", "metadataNamespace")
)
_PROVENANCE, _ABOUT = f"{_P}provenance", f"{OAI}about"
_SUB = etree.SubElement
#: A hop that does not say what it read.
_UNKNOWN_NAMESPACE = "urn:mooc-exchange:source:unknown"


@dataclass(frozen=True, slots=True)
class Sources:
    """The consented feeds' connector and public base URL, and the institutions' names."""

    feeds: dict[str, tuple[str, str]]
    names: dict[str, str]

    def institution_name(self, institution: str | None) -> str | None:
        return None if institution is None else self.names.get(institution, institution)


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


def _template() -> etree._Element:
    """The container of an original course: copied per record (one C-level copy instead of
    seven elements built from Python), then filled."""
    container = etree.Element(_PROVENANCE, nsmap=nsmap(PROVENANCE_NS))
    origin = _SUB(container, _ORIGIN, harvestDate="", altered="true")
    for tag in (_BASE_URL, _IDENTIFIER, _DATESTAMP, _NAMESPACE):
        _SUB(origin, tag)
    return container


_ORIGINAL = _template()


def provenance(record: etree._Element, document: CourseDocument, sources: Sources) -> None:
    """``<about><provenance>`` for ``document``, appended to ``record``."""
    about = _SUB(record, _ABOUT)
    harvested = document.updated_at or document.first_seen
    if not document.provenance:
        connector, base_url = sources.feeds.get(document.feed, ("unknown", ""))
        container = _ORIGINAL.__copy__()  # type: ignore[attr-defined]
        about.append(container)
        container.set(XSI_LOCATION, _LOCATION)
        origin = container[0]
        if harvested is not None:
            origin.set("harvestDate", stamp(harvested))
        else:
            del origin.attrib["harvestDate"]
        when = document.modified or harvested
        origin[0].text = base_url
        origin[1].text = xml_text(document.key)
        origin[2].text = stamp(when) if when else ""
        origin[3].text = _namespace(connector)
        return
    container = _SUB(about, _PROVENANCE, nsmap=nsmap(PROVENANCE_NS))
    container.set(XSI_LOCATION, _LOCATION)
    parent = container
    for hop in document.provenance:
        hop_harvested = hop.harvested or harvested
        parent = _origin(parent, hop, fallback=hop_harvested)
        harvested = hop_harvested


@lru_cache(maxsize=64)
def _namespace(connector: str) -> str:
    """What an original course was read as: its connector's format (oai_dc for OAI-PMH)."""
    return OAI_DC_NS if connector == "oaipmh" else f"urn:mooc-exchange:source:{connector}"


def _origin(
    parent: etree._Element, hop: Origin, *, fallback: datetime | None = None
) -> etree._Element:
    """One ``originDescription`` (its children in the schema's order), inside ``parent``."""
    harvested = hop.harvested or fallback
    element = _SUB(parent, _ORIGIN, altered="true" if hop.altered else "false")
    if harvested is not None:
        element.set("harvestDate", stamp(harvested))
    _SUB(element, _BASE_URL).text = xml_text(public_url(hop.base_url))
    _SUB(element, _IDENTIFIER).text = xml_text(hop.identifier)
    datestamp = hop.datestamp or harvested
    _SUB(element, _DATESTAMP).text = stamp(datestamp) if datestamp else ""
    namespace = hop.metadata_namespace or _UNKNOWN_NAMESPACE
    _SUB(element, _NAMESPACE).text = xml_text(namespace)
    return element
