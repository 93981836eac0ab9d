"""Where each published record came from: the ``<about><provenance>`` container, written as XML
text, and the feed and institution facts it needs, read once per request (pure but for
:func:`read_sources`).

A course the node harvested from its original source gets one ``originDescription``: the
feed's base URL (without credentials or query), the course's key there, its datestamp there
(the source's ``modified``, else when the catalog last changed it), the harvest time and the
namespace of what was read (``urn:mooc-exchange:source:{connector}``, or oai_dc's for an
OAI-PMH feed), ``altered="true"`` (it was mapped). A course harvested from another node carries
that node's chain (:attr:`CourseDocument.provenance`, nearest first): it is written as is, each
hop nested in the one before, so a harvester reads the full way back to the source.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Connection, select

from catalog.present.course_document import CourseDocument
from catalog.present.publish.oai_ids import public_url
from catalog.present.publish.oai_xml import stamp, text
from catalog.present.publish.settings import PublishSettings
from catalog.store import tables
from connectors.records import Origin

PROVENANCE_NS = "http://www.openarchives.org/OAI/2.0/provenance"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
#: Written as text (:mod:`.oai_records` says why); ``xsi`` is declared by the envelope.
_PROVENANCE_OPEN = (
    f'<about><provenance xmlns="{PROVENANCE_NS}" '
    f'xsi:schemaLocation="{PROVENANCE_NS} {PROVENANCE_NS}.xsd">'
)
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


@lru_cache(maxsize=64)
def namespace_of(connector: str) -> str:
    """What an original course was read as: its connector's format (oai_dc for OAI-PMH)."""
    return OAI_DC_NS if connector == "oaipmh" else f"urn:mooc-exchange:source:{connector}"


def _origin(hop: Origin, harvested: str | None) -> str:
    """An ``originDescription``'s start tag and children, without its end tag (the next hop
    nests inside it)."""
    when = f' harvestDate="{harvested}"' if harvested else ""
    altered = "true" if hop.altered else "false"
    datestamp = stamp(hop.datestamp) if hop.datestamp else ""
    return (
        f'<originDescription{when} altered="{altered}">'
        f"<baseURL>{text(public_url(hop.base_url))}</baseURL>"
        f"<identifier>{text(hop.identifier)}</identifier>"
        f"<datestamp>{datestamp}</datestamp>"
        f"<metadataNamespace>{text(hop.metadata_namespace or _UNKNOWN_NAMESPACE)}"
        "</metadataNamespace>"
    )


def provenance(document: CourseDocument, sources: Sources) -> str:
    """``<about><provenance>`` for ``document`` (see :mod:`.oai_about`)."""
    harvested = document.updated_at or document.first_seen
    if not document.provenance:
        connector, base_url = sources.feeds.get(document.feed, ("unknown", ""))
        when = document.modified or harvested
        hops: Iterable[tuple[Origin, str | None]] = [
            (
                Origin(base_url, document.key, when, None, namespace_of(connector)),
                stamp(harvested) if harvested else None,
            )
        ]
    else:
        chain = []
        for hop in document.provenance:
            harvested = hop.harvested or harvested
            chain.append((hop, stamp(harvested) if harvested else None))
        hops = chain
    opened = [_origin(hop, when) for hop, when in hops]
    closes = "</originDescription>" * len(opened)
    return f"{_PROVENANCE_OPEN}{''.join(opened)}{closes}</provenance></about>"
