"""A MOOChub item's provenance: the hop this harvest adds, the hops the item's ``meta.provenance``
names, and this node's own courses dropped (pure; chains read in connectors/provenance.py).

Another mooc-exchange node publishes, in each JSON:API resource object's ``meta.provenance``,
where it had the course from (``[{baseURL, identifier, datestamp, harvestDate,
metadataNamespace}]``, the nearest first). An item with it gets the chain: this harvest's own hop
(the feed's base URL without query or userinfo, the item's ``id``, its ``dateModified``, the
response's ``Date`` — else now — and the MOOChub v3 namespace), then those hops. An item without
it (a plain MOOChub bridge: openHPI, iMooX…) keeps ``provenance=()``.

An item whose ``id`` (``oai:{node_id}:…``), feed or chain names this node originated here and is
dropped, counted — neither Rejected nor Withdrawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from connectors.provenance import MAX_HOPS, MOOCHUB_V3, Chains, moochub_hops, public_url
from connectors.records import CourseRecord, Item, Origin


@dataclass
class ItemOrigins:
    """What one MOOChub page needs to trace its items: the feed, this node's identities, and
    when the page was harvested."""

    base_url: str = ""
    home: tuple[str, ...] = ()
    harvested: datetime | None = None
    chains: Chains = field(default_factory=Chains)

    def __post_init__(self) -> None:
        self.chains.home = self.home
        self.base_url = public_url(self.base_url) if self.base_url else ""

    def trace(self, item: Item) -> Item | None:
        """``item`` with its chain when its ``meta`` has one; ``None`` when it originated here."""
        key = item.key
        if key is None:
            return item
        raw = getattr(item, "raw", None)
        meta = raw.get("meta") if isinstance(raw, dict) else None
        value = meta.get("provenance") if isinstance(meta, dict) else None
        if value is None:
            if not self.home:
                return item  # a plain MOOChub bridge's item: as before
            return self.chains.trace(item, Origin(self.base_url, key), None)
        own = Origin(
            base_url=self.base_url,
            identifier=key,
            datestamp=item.modified if isinstance(item, CourseRecord) else None,
            harvested=self.harvested,
            metadata_namespace=MOOCHUB_V3,
        )
        chains = self.chains
        return chains.trace(item, own, lambda: moochub_hops(value, chains, limit=MAX_HOPS - 1))

    def trace_all(self, items: list[Item]) -> list[Item]:
        """The page's items traced, those that originated here left out (and counted)."""
        return [traced for item in items if (traced := self.trace(item)) is not None]


def harvested_at(headers: Mapping[str, str], now: datetime | None = None) -> datetime:
    """When the page was harvested: the response's ``Date`` (the server's clock), else now."""
    value: Any = headers.get("Date")
    if value:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None and when.tzinfo is not None:
            return when.astimezone(UTC)
    return now or datetime.now(UTC)
