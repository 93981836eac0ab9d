"""Where a course was before its source had it: provenance chains read, and this node's own
courses recognised (pure).

Another node of the network re-publishes what it harvested and says where it had it from:
OAI-PMH in ``<about><provenance><originDescription>`` (one nested in the other, the nearest
hop outermost), MOOChub in the item's ``meta.provenance`` (a list, the nearest hop first). Both
become :class:`~connectors.records.Origin` hops, the nearest first; the connector puts the hop
it harvested itself in front (:class:`Chains`).

A chain that names this node (``FeedContext.home``: its public base URL and ``oai:{node_id}:``)
is a course that originated here and came back: it is dropped, not stored again, so A → B → A
stops. Hostile input never crashes and never lands wrong: a chain deeper than :data:`MAX_HOPS`
is a Rejected item; a hop without ``baseURL`` or ``identifier`` (or with a base URL that is no
http(s) URL) is skipped; a date that cannot be read leaves the hop without that date. What was
skipped or unread is counted and logged once per page (:meth:`Chains.report`), not per record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lxml import etree

from connectors.errors import RecordError
from connectors.feedlog import FeedLog
from connectors.normalize import clean_text, parse_datetime
from connectors.records import CourseRecord, Item, Origin, Rejected, is_http_url

PROVENANCE = "{http://www.openarchives.org/OAI/2.0/provenance}"
#: The namespace a MOOChub v3 hop names as its metadata format.
MOOCHUB_V3 = "https://moochub.org/schema/v3"
#: The longest chain a record may carry, this harvest's own hop included: the catalog's bound
#: (``catalog.store.validate.MAX_HOPS``), repeated here since connectors never import the catalog.
MAX_HOPS = 16
#: Bounds of a hop's texts: what the catalog stores (longer ones are junk, not hops).
MAX_IDENTIFIER = 1_000
MAX_URL = 2_048
_ORIGIN = f"{PROVENANCE}originDescription"
_FALSE = frozenset({"false", "0"})


@dataclass
class Chains:
    """One page's provenance bookkeeping: this node's identities, what was dropped as this
    node's own, and what was wrong with the chains read (for one log line each, per page)."""

    home: tuple[str, ...] = ()
    #: Records (and deletions) dropped because they originated at this node.
    dropped: int = 0
    #: What was skipped or unread in the page's chains, in order (``field: value``).
    flaws: list[str] = field(default_factory=list)

    def note(self, flaw: str) -> None:
        self.flaws.append(flaw)

    def names_home(self, hops: Sequence[Origin]) -> bool:
        """True (and counted as dropped) when ``hops`` name this node."""
        if self.home and names_home(hops, self.home):
            self.dropped += 1
            return True
        return False

    def trace(
        self, item: Item, own: Origin, read: Callable[[], tuple[Origin, ...]] | None
    ) -> Item | None:
        """``item`` with its chain — ``own`` (the hop this harvest adds), then ``read()`` (the
        source's hops) — when the source names one (``read`` given); ``None`` when ``own`` or a
        hop names this node. A chain too long rejects a course (a deletion stays one)."""
        if read is None:
            return None if self.names_home((own,)) else item
        try:
            hops = read()
        except RecordError as exc:
            if self.names_home((own,)):
                return None
            if not isinstance(item, CourseRecord):
                return item
            return Rejected(reason=exc.reason, key=item.key, raw=item.raw)
        if self.names_home((own, *hops)):
            return None
        if not isinstance(item, CourseRecord):
            return item  # a deletion or a rejection carries no chain
        return replace(item, provenance=(own, *hops))

    def report(self, log: FeedLog) -> None:
        """The page's two lines: records not imported again (INFO), flaws of its chains."""
        if self.dropped:
            log.info("%d records originated at this node and were not imported again", self.dropped)
        if self.flaws:
            shown = "; ".join(dict.fromkeys(self.flaws[:3]))
            log.warning(
                "%d provenance hop fields were unreadable and left out (%s%s)",
                len(self.flaws),
                shown,
                "; …" if len(self.flaws) > 3 else "",
            )


def public_url(url: str) -> str:
    """``url`` as a hop may name it: without userinfo, query or fragment (never a credential)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url.split("?", 1)[0].split("#", 1)[0]
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def names_home(hops: Iterable[Origin], home: Sequence[str]) -> bool:
    """True when a hop names this node: its base URL is a home base URL or lies under it
    (``+ "/"``), or its identifier starts with a home ``oai:{node_id}:`` prefix.

    Scheme and host compare without case (``HTTPS://Node.example`` is the same node).
    """
    prefixes = tuple(h for h in home if h.startswith("oai:"))
    urls = [_fold(h.rstrip("/")) for h in home if not h.startswith("oai:") and h]
    for hop in hops:
        if prefixes and hop.identifier.startswith(prefixes):
            return True
        if urls:
            base = _fold(hop.base_url)
            if any(base == url or base.startswith(f"{url}/") for url in urls):
                return True
    return False


def _fold(url: str) -> str:
    """The URL with its scheme and host in lower case (the path keeps its case)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}"


def oai_hops(provenance: etree._Element, chains: Chains, *, limit: int) -> tuple[Origin, ...]:
    """A ``<provenance>`` container's hops, the outermost ``originDescription`` first.

    Raises RecordError when the chain is deeper than ``limit``; reads at most ``limit + 1``
    levels, however deep the document nests.
    """
    hops: list[Origin] = []
    level = provenance.find(_ORIGIN)
    depth = 0
    while level is not None:
        depth += 1
        if depth > limit:
            raise RecordError(
                f"about/provenance: more than {limit} nested originDescription hops "
                f"(at most {MAX_HOPS} with this harvest's own): a loop or a hostile document"
            )
        hop = _hop(
            chains,
            "originDescription",
            base_url=level.findtext(f"{PROVENANCE}baseURL"),
            identifier=level.findtext(f"{PROVENANCE}identifier"),
            datestamp=level.findtext(f"{PROVENANCE}datestamp"),
            harvested=level.get("harvestDate"),
            namespace=level.findtext(f"{PROVENANCE}metadataNamespace"),
            altered=level.get("altered"),
        )
        if hop is not None:
            hops.append(hop)
        level = level.find(_ORIGIN)
    return tuple(hops)


def moochub_hops(value: Any, chains: Chains, *, limit: int) -> tuple[Origin, ...]:
    """``meta.provenance`` of a MOOChub item (``[{baseURL, identifier, datestamp, harvestDate,
    metadataNamespace}]``, the nearest first) → hops. Raises RecordError past ``limit``."""
    if not isinstance(value, list):
        chains.note(f"meta.provenance: a {type(value).__name__}, not a list")
        return ()
    if len(value) > limit:
        raise RecordError(
            f"meta.provenance: {len(value)} hops, more than {limit} (at most {MAX_HOPS} with "
            "this harvest's own): a loop or a hostile document"
        )
    hops: list[Origin] = []
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            chains.note(f"meta.provenance[{i}]: a {type(entry).__name__}, not an object")
            continue
        altered = entry.get("altered")
        hop = _hop(
            chains,
            f"meta.provenance[{i}]",
            base_url=_string(entry.get("baseURL")),
            identifier=_string(entry.get("identifier")),
            datestamp=_string(entry.get("datestamp")),
            harvested=_string(entry.get("harvestDate")),
            namespace=_string(entry.get("metadataNamespace")),
            altered=None if altered is None else str(altered).lower(),
        )
        if hop is not None:
            hops.append(hop)
    return tuple(hops)


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None if value is None else str(value)


def _hop(
    chains: Chains,
    where: str,
    *,
    base_url: str | None,
    identifier: str | None,
    datestamp: str | None,
    harvested: str | None,
    namespace: str | None,
    altered: str | None,
) -> Origin | None:
    """One hop, or None (noted) without a usable base URL or identifier."""
    url, ident = clean_text(base_url), clean_text(identifier)
    if not url or len(url) > MAX_URL or not is_http_url(url):
        chains.note(f"{where}/baseURL: {'missing' if not url else repr(url[:60])}, hop skipped")
        return None
    if not ident or len(ident) > MAX_IDENTIFIER:
        chains.note(f"{where}/identifier: {'missing' if not ident else 'too long'}, hop skipped")
        return None
    space = clean_text(namespace)
    if space is not None and len(space) > MAX_URL:
        chains.note(f"{where}/metadataNamespace: too long")
        space = None
    return Origin(
        base_url=url,
        identifier=ident,
        datestamp=_date(chains, f"{where}/datestamp", datestamp),
        harvested=_date(chains, f"{where}@harvestDate", harvested),
        metadata_namespace=space,
        altered=(altered or "").strip().lower() not in _FALSE,
    )


def _date(chains: Chains, where: str, value: str | None) -> datetime | None:
    try:
        return parse_datetime(value.strip() if value else None, where)
    except (RecordError, OverflowError):  # 9999-12-31T23:59:59-05:00 overflows in UTC
        chains.note(f"{where}: unreadable {value[:40]!r}" if value else where)
        return None
