"""OAI-PMH 2.0 course repositories: ``GET {base_url}?verb=ListRecords`` (shared/formats §6).

One ``ListRecords`` harvest per run, ``oai_dc`` by default or IEEE LOM (``lom``/``oai_lom``),
following ``resumptionToken`` until it comes back empty or absent. Requests, paging and the
repository's errors are here; responses and records are mapped in connectors/oaipmh_mapping.py.

Incremental by ``from``: the next run asks for changes since the ``responseDate`` of this run's
first response (the server's clock, not ours), formatted in the granularity ``Identify`` states.
An expired token (``badResumptionToken``) restarts the harvest from that ``from``, once.

Quirks handled here, each with a test: ``noRecordsMatch`` as an empty harvest; gzip bodies,
declared or not; an HTML or JSON answer instead of XML; records in a format the mapping does not
read (connectors/oaipmh_formats.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, TypeVar
from urllib.parse import urlencode

from annotated_types import Ge, MinLen

from connectors.base import Connector, Fact
from connectors.errors import FeedError, HttpStatusError, RecordError, WrongEndpointError
from connectors.http import HttpResponse
from connectors.normalize import parse_datetime
from connectors.oaipmh_formats import advise, oai_error, unsupported
from connectors.oaipmh_mapping import (
    ENDPOINT_HINT,
    ListRecordsResponse,
    parse_list_records,
    read_response,
    response_moment,
)
from connectors.oaipmh_origin import RecordOrigins
from connectors.oaipmh_repository import (
    OAI,
    ROOT,
    SECONDS,
    parse_metadata_formats,
    repository_facts,
)
from connectors.paging import Paginator, Parsed, Position, Request, ResumptionToken
from connectors.records import Cursor, Item, Page
from connectors.xmlsafe import parse_document

T = TypeVar("T")

_NOT_FOUND = frozenset({404, 410})


@dataclass(frozen=True, slots=True)
class OaiPmhOptions:
    """``[feeds.options]`` for ``connector = "oaipmh"``."""

    #: ``oai_dc`` (every repository has it) or an IEEE LOM prefix (``lom``, ``oai_lom``).
    metadata_prefix: Annotated[str, MinLen(1)] = "oai_dc"
    #: Harvest only this set (``setSpec``, hierarchical with ``:``).
    set: str | None = None
    #: Preferred ``xml:lang`` (BCP 47) when a title or description comes in several languages.
    language: str | None = None
    #: Ask only for changes since the last harvest (``from``); false re-reads everything.
    incremental: bool = True
    #: Stop with an error after this many pages: a guard against endless pagination.
    max_pages: Annotated[int, Ge(1)] = 10_000


class OaiPmhConnector(Connector[OaiPmhOptions]):
    """Harvests an OAI-PMH 2.0 repository with ``ListRecords``."""

    kind = "oaipmh"
    Options = OaiPmhOptions
    description = "OAI-PMH 2.0 repository (ListRecords; oai_dc or IEEE LOM), incremental by from"
    api = "OAI-PMH endpoint"
    #: The running harvest's ``from`` argument, and the ``from`` of the harvest after it (the
    #: first response's ``responseDate``, once ``_dated``).
    _since: str | None = None
    _next_from: str | None = None
    _dated = True
    #: Whether this harvest already said which formats the repository offers.
    _advised = False

    def first_request(self, cursor: Cursor) -> Request:
        """``ListRecords`` from the stored mark; resuming a token, with the harvest's ``from``."""
        state, self._advised = cursor or {}, False
        if state.get("token"):  # resumed: the `from` is already formatted, no Identify needed
            self._since, self.incremental = state.get("from"), bool(state.get("incremental"))
            self._next_from, self._dated = state.get("next_from"), True
        else:
            previous = state.get("from") if self.options.incremental else None
            self._since = self._from_argument(previous) if previous else None
            self.incremental = self._since is not None
            self._next_from, self._dated = state.get("from"), False
        return self._list_request(None)

    def paginator(self) -> Paginator:
        return ResumptionToken(self.feed, self._list_request, max_pages=self.options.max_pages)

    def fetch(self, request: Request, conditional: Mapping[str, str]) -> HttpResponse:
        """GET one response; a 404 or 410 says what base_url must be."""
        try:
            return super().fetch(request, conditional)
        except HttpStatusError as exc:
            if exc.status not in _NOT_FOUND:
                raise
            raise HttpStatusError(
                f"{str(exc).rstrip('.')}; {ENDPOINT_HINT}", url=exc.url, status=exc.status
            ) from None

    def parse_page(self, response: HttpResponse) -> Parsed:
        """The records of one response; OAI-PMH errors other than ``noRecordsMatch`` fail it."""
        listed = read_response(response, self._parse, feed_id=self.feed.feed_id)
        if listed.origins is not None:
            listed.origins.chains.report(self.log)  # records dropped as this node's own
        codes = {code for code, _ in listed.errors}
        if codes - {"noRecordsMatch"}:
            feed_id, prefix = self.feed.feed_id, self.options.metadata_prefix
            raise oai_error(listed, response.url, feed_id=feed_id, prefix=prefix)
        return Parsed(
            items=listed.items,
            next=None if codes else (listed.token or None),
            declared_total=listed.complete_list_size,
            source_count=listed.source_count,  # the dropped ones were received all the same
            mark=response_moment(listed.response_date),
        )

    def enrich(self, items: Sequence[Item]) -> tuple[Item, ...]:
        """The items; at the harvest's first record in an unread format, the repository's
        formats said (connectors/oaipmh_formats.py)."""
        rejected = None if self._advised else unsupported(items)
        if rejected is not None:
            self._advised, url = True, self._url({"verb": "ListMetadataFormats"})
            offered = lambda: self._ask(url, parse_metadata_formats)  # noqa: E731
            advise(self.log, rejected, self.options.metadata_prefix, offered)
        return tuple(items)

    def page_cursor(self, after: Position | None, parsed: Parsed) -> Cursor:
        """The token goes with the harvest's ``from``; the last page gives the next ``from``."""
        if not self._dated:
            stamp = parsed.mark.strftime("%Y-%m-%dT%H:%M:%SZ") if parsed.mark else None
            self._next_from, self._dated = stamp or self._next_from, True
        if after is None:
            return {"from": self._next_from} if self._next_from else None
        window = {"from": self._since, "next_from": self._next_from}
        return {**after, **window, "incremental": self.incremental}

    def _url(self, params: dict[str, str]) -> str:
        base = self.feed.base_url
        return f"{base}{'&' if '?' in base else '?'}{urlencode(params)}"

    def _list_request(self, token: str | None) -> Request:
        if token is not None:  # an exclusive argument: nothing else may go with it
            return Request(self._url({"verb": "ListRecords", "resumptionToken": token}))
        params = {"verb": "ListRecords", "metadataPrefix": self.options.metadata_prefix}
        params |= {"set": self.options.set} if self.options.set else {}
        return Request(self._url(params | ({"from": self._since} if self._since else {})))

    def _from_argument(self, previous: str) -> str | None:
        """The stored high-water mark in the granularity ``Identify`` says the server takes."""
        try:
            when = parse_datetime(previous, "cursor.from")
        except RecordError:
            self.log.warning("unreadable from=%r; full harvest", previous)
            return None
        if when is None:
            return None
        root = self._ask(self._url({"verb": "Identify"}), lambda b: parse_document(b, root=ROOT))
        granularity = (root.findtext(f"{OAI}Identify/{OAI}granularity") or "").strip()
        # Day granularity is what every repository must accept (spec §3.3.1).
        return when.strftime("%Y-%m-%dT%H:%M:%SZ" if granularity == SECONDS else "%Y-%m-%d")

    def _parse(self, body: bytes) -> ListRecordsResponse:
        origins = RecordOrigins(self.feed.base_url, self.feed.home)
        return parse_list_records(body, language=self.options.language, origins=origins)

    def diagnose(self, first: Page | None, error: FeedError | None) -> list[Fact]:
        """Identify, ListMetadataFormats and ListSets, unless base_url is plainly not the
        endpoint (the harvest's error already says so, and these would only repeat it)."""
        if isinstance(error, WrongEndpointError) or (
            isinstance(error, HttpStatusError) and error.status in _NOT_FOUND
        ):
            return []
        return repository_facts(
            lambda verb, parse: self._ask(self._url({"verb": verb}), parse),
            metadata_prefix=self.options.metadata_prefix,
            set_spec=self.options.set,
            base_url=self.feed.base_url,
        )

    def _ask(self, url: str, parse: Callable[[bytes], T]) -> T:
        """GET ``url`` (a verb besides the harvest's) and parse its body."""
        return read_response(self.fetch(Request(url), {}), parse, feed_id=self.feed.feed_id)
