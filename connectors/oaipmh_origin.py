"""An OAI-PMH record's provenance: the hop this harvest adds, the hops the repository names,
and this node's own courses dropped (pure; the chains are read in connectors/provenance.py).

Only a record with ``<about><provenance>`` gets a chain: that is how another node of the
network (or any aggregator) says it re-publishes the record. A plain repository's records keep
``provenance=()``, so a catalog harvested before federation is not rewritten. The chain starts
with this harvest's own hop — the feed's base URL (no query, no userinfo), the header's
identifier and datestamp, the response's ``responseDate``, the metadata format's namespace — then
the repository's hops, the nearest first.

A record (or a deletion) whose identifier, feed, or chain names this node originated here: it
is dropped, counted in :class:`~connectors.provenance.Chains` — not Rejected (nothing is wrong
with it), not Withdrawn (the course is not gone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from connectors.errors import RecordError
from connectors.normalize import parse_datetime
from connectors.oaipmh_repository import OAI
from connectors.provenance import MAX_HOPS, Chains, oai_hops, public_url
from connectors.records import Item, Origin

_CONTAINER = f"{OAI}about/{{http://www.openarchives.org/OAI/2.0/provenance}}provenance"


@dataclass
class RecordOrigins:
    """What one ``ListRecords`` response needs to trace its records: the feed (the hop this
    harvest adds), this node's identities, and the response's ``responseDate``."""

    base_url: str = ""
    home: tuple[str, ...] = ()
    harvested: datetime | None = None
    chains: Chains = field(default_factory=Chains)

    def __post_init__(self) -> None:
        self.chains.home = self.home
        self.base_url = public_url(self.base_url) if self.base_url else ""

    def trace(self, record: etree._Element, item: Item) -> Item | None:
        """``item`` with its chain when the record has one; ``None`` when it originated here."""
        key = item.key
        if key is None:  # a record without identifier: nothing to trace
            return item
        container = record.find(_CONTAINER)
        if container is None:
            if not self.home:
                return item  # a plain repository's record, no identity to compare: as before
            return self.chains.trace(item, Origin(self.base_url, key), None)
        own = Origin(
            base_url=self.base_url,
            identifier=key,
            datestamp=_header_datestamp(record),
            harvested=self.harvested,
            metadata_namespace=_namespace(record),
        )
        chains = self.chains
        return chains.trace(item, own, lambda: oai_hops(container, chains, limit=MAX_HOPS - 1))


def _header_datestamp(record: etree._Element) -> datetime | None:
    """The header's datestamp (the mapping already refused a record whose datestamp is junk)."""
    try:
        return parse_datetime(record.findtext(f"{OAI}header/{OAI}datestamp"), "header/datestamp")
    except RecordError:
        return None


def _namespace(record: etree._Element) -> str | None:
    """The namespace of the record's metadata format (oai_dc's, LOM's …)."""
    metadata = record.find(f"{OAI}metadata")
    if metadata is None or len(metadata) == 0 or not isinstance(metadata[0].tag, str):
        return None
    return etree.QName(metadata[0]).namespace
