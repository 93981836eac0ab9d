"""What a connector is, and the one harvest loop every paged connector shares.

A connector knows one wire format. It is built from a :class:`FeedContext` (which feed, where,
with which credentials and HTTP limits) and its own frozen ``Options`` dataclass, which the config
loader validates before anything runs. It never touches the database: the sync hands it the
last cursor and commits the pages it yields.

A paged connector is options, a request shape and a pure mapping::

    class MyConnector(Connector[MyOptions]):
        kind = "myplatform"
        Options = MyOptions

        def first_request(self, cursor):
            return Request(f"{self.feed.base_url}/api/courses")

        def paginator(self):
            return NextLink(self.feed, "next", max_pages=self.options.max_pages)

        def parse_page(self, response):
            body = decode_json(response, feed_id=self.feed.feed_id)
            return Parsed(items=[...], next=body["next"], declared_total=body["count"])

registered under the ``mooc_exchange.connectors`` entry-point group. :meth:`Connector.harvest`
does the rest: it resumes from the cursor, sends each request, refuses loops (the paginator's
guard), and recognises the pages the last complete harvest read — by ``304`` when
``conditional_get`` is set, by the digest of their bytes when :meth:`Connector.page_digests`
says so (connectors/unchanged.py) — yielding them as not modified, unparsed.

Optional hooks, each with a default that does nothing special: :meth:`Connector.fetch` (a
response check of the connector's own), :meth:`Connector.enrich` (more requests per item),
:meth:`Connector.page_cursor` (incremental state beside the position),
:meth:`Connector.http_settings` (the connector's own HTTP limits), :meth:`Connector.make_auth`
(its credentials) and :meth:`Connector.diagnose` (what ``moocx check`` shows about the source
besides its first page).
A connector whose source fits none of the paginators overrides :meth:`Connector.harvest` itself.

A connector runs one harvest at a time: the loop's per-harvest state (the paginator, and what
``first_request`` reads from the cursor) lives on it while the harvest runs.
"""

from __future__ import annotations

import inspect
import logging
import threading
from abc import ABC
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeAlias, TypeVar

from connectors.auth import OAuth2ClientCredentials, Secret
from connectors.errors import FeedError, ResumptionExpired
from connectors.facts import Fact, count_fact
from connectors.feedlog import FeedLog
from connectors.http import (
    AuthProvider,
    HttpClient,
    HttpResponse,
    HttpSettings,
    conditional_headers,
    response_validators,
)
from connectors.paging import Paginator, Parsed, Position, Request
from connectors.records import Cursor, Item, Page
from connectors.unchanged import carried_over, fingerprint, page_digest, same_as_before, with_digest

__all__ = [
    "AuthSettings",
    "Connector",
    "Fact",
    "FeedContext",
    "KnownPages",
    "NoOptions",
    "count_fact",
    "harvest_with",
]

#: What the last complete harvest read, by page URL: its validators (``etag``,
#: ``last_modified``, ``digest``) and ``next``, the cursor that followed it. The sync passes it
#: beside the cursor; the cursor itself is the connector's alone.
KnownPages: TypeAlias = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """``[feeds.auth]``: OAuth2 client credentials (the only scheme the built-ins need)."""

    client_id: str
    client_secret: Secret
    #: Defaults to ``{base_url}/oauth2/access_token`` (Open edX).
    token_url: str | None = None
    #: ``"jwt"`` (header ``JWT <token>``) or ``"bearer"`` (header ``Bearer <token>``).
    token_type: str = "jwt"


@dataclass(frozen=True, slots=True)
class FeedContext:
    """Everything a connector may know about the feed it harvests."""

    feed_id: str
    base_url: str
    auth: AuthSettings | None = None
    http: HttpSettings = field(default_factory=HttpSettings)
    #: IANA zone of the institution, for sources whose timestamps carry no offset.
    timezone: str = "UTC"
    #: This node's identities (its public base URL and ``oai:{node_id}:``), filled by the
    #: scheduler from ``[publish]``: a harvested course whose provenance names one of them
    #: originated here and is not imported again.
    home: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NoOptions:
    """For connectors that take no options."""


OptionsT = TypeVar("OptionsT")


class Connector(ABC, Generic[OptionsT]):
    """Base class of every connector. Subclasses set ``kind`` and ``Options``."""

    kind: ClassVar[str]
    accepts_auth: ClassVar[bool] = False  #: sends [feeds.auth]; else auth is a config error
    Options: ClassVar[type[Any]] = NoOptions
    #: One line for ``moocx connectors`` and the docs.
    description: ClassVar[str] = ""
    #: What should answer at ``base_url``, for messages ("the Open edX Courses API").
    api: ClassVar[str] = ""
    #: Ask for each page with the last harvest's ``If-None-Match`` / ``If-Modified-Since``;
    #: a ``304`` stands for the page as it was.
    conditional_get: ClassVar[bool] = False
    #: True while the running harvest asks only for changes (see ``Page.incremental``).
    incremental: bool = False

    def __init__(
        self,
        feed: FeedContext,
        options: OptionsT,
        *,
        http: HttpClient | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.feed = feed
        self.options = options
        #: The logger of the connector's module, with ``feed <id>:`` in front of each line.
        self.log = FeedLog(logging.getLogger(type(self).__module__), feed.feed_id)
        self.http = http or HttpClient(
            self.http_settings(feed.http), feed_id=feed.feed_id, stop=stop
        )
        self.auth: AuthProvider | None = self.make_auth()
        #: Prefix of the page digests (connectors/unchanged.py): who reads the page, and how.
        self.fingerprint = fingerprint(self.kind, options)

    def http_settings(self, settings: HttpSettings) -> HttpSettings:
        """The HTTP limits for this feed; override to add a connector's own (a polite rate)."""
        return settings

    def make_auth(self) -> AuthProvider | None:
        """The credential provider for this feed; ``None`` means anonymous."""
        auth = self.feed.auth
        if auth is None:
            return None
        token_url = auth.token_url or f"{self.feed.base_url.rstrip('/')}/oauth2/access_token"
        return OAuth2ClientCredentials(
            token_url,
            auth.client_id,
            auth.client_secret,
            token_type=auth.token_type,
            feed_id=self.feed.feed_id,
        )

    # -- what a paged connector declares ----------------------------------------------------

    def first_request(self, cursor: Cursor) -> Request:
        """The request a harvest starts with when ``cursor`` holds no position to resume at.

        Called once at the start of every harvest with the saved cursor, so a connector with
        incremental state reads it here (a high-water mark for the first request's filter).
        """
        raise NotImplementedError(f"connector {self.kind!r} declares no first_request")

    def paginator(self) -> Paginator:
        """A fresh paging strategy for one harvest (connectors/paging.py)."""
        raise NotImplementedError(f"connector {self.kind!r} declares no paginator")

    def parse_page(self, response: HttpResponse) -> Parsed:
        """One response → its items, where the listing goes on, and the total it declares.

        Pure: no requests, no state. Raises BadResponseError for a body that is not a page.
        """
        raise NotImplementedError(f"connector {self.kind!r} declares no parse_page")

    # -- optional hooks -----------------------------------------------------------------------

    def page_digests(self) -> bool:
        """True when a page's bytes alone decide its items, so the same bytes as in the last
        complete harvest stand for the page. Off by default: a source whose pages embed a
        timestamp would only pay for the digest."""
        return False

    def fetch(self, request: Request, conditional: Mapping[str, str]) -> HttpResponse:
        """Send one page's request, with ``conditional`` headers when the loop has validators."""
        headers = {**(request.headers or {}), **conditional} if conditional else request.headers
        return self.http.request(
            request.method,
            request.url,
            headers=headers,
            json_body=request.json_body,
            auth=self.auth,
            accept_statuses=request.accept | {304} if conditional else request.accept,
        )

    def enrich(self, items: Sequence[Item]) -> tuple[Item, ...]:
        """The page's items as yielded; override to complete them with further requests."""
        return tuple(items)

    def page_cursor(self, after: Position | None, parsed: Parsed) -> Cursor:
        """The cursor yielded with a page: ``after`` (the position that resumes after it, with
        its ``page``) on all but the last page, where it is ``None``. Override to add state."""
        return after

    # -- the loop -------------------------------------------------------------------------------

    def harvest(self, cursor: Cursor, known_pages: KnownPages | None = None) -> Iterator[Page]:
        """Yield the feed's pages, starting where ``cursor`` says (``None``: from the start).

        ``known_pages`` is what the last complete harvest read (see :data:`KnownPages`); its
        pages are asked for conditionally and, when unchanged, yielded as not modified.
        """
        cursor, known = _split_legacy(cursor, known_pages)
        first = self.first_request(cursor)
        paginator = self.paginator()
        request, number = paginator.resume(cursor, first, 1)
        digests = self.page_digests()
        while True:
            paginator.visit(request)
            before = known.get(request.url)
            response, validators, unchanged = self._send(request, before, digests)
            if unchanged and before is not None:
                page = carried_over(request.url, number, before, validators)
                yield page
                if page.cursor is None:
                    return
                request, number = paginator.resume(page.cursor, first, number + 1)
                continue
            try:
                parsed = self.parse_page(response)
            except ResumptionExpired as expired:
                # The listing starts over, and so do the page numbers: that is how the sync
                # knows to count only what the restarted pass delivers (scheduler.sync_run).
                request, number = paginator.restart(request, first, expired), 1
                continue
            onward = paginator.follow(parsed, request, number)
            yield Page(
                items=self.enrich(parsed.items),
                cursor=self.page_cursor(
                    None if onward is None else {**onward[1], "page": number + 1}, parsed
                ),
                url=request.url,
                number=number,
                last=onward is None,
                declared_total=parsed.declared_total,
                incremental=self.incremental,
                source_count=parsed.source_count,
                validators=validators,
            )
            if onward is None:
                return
            request, number = onward[0], number + 1

    def _send(
        self, request: Request, before: Mapping[str, Any] | None, digests: bool
    ) -> tuple[HttpResponse, dict[str, str] | None, bool]:
        """Fetch one page: the response, its validators, and whether it is the page the last
        complete harvest read (a ``304``, or the same digest)."""
        headers = conditional_headers(before) if self.conditional_get else {}
        response = self.fetch(request, headers)
        digest = None
        if digests and response.status != 304:
            digest = page_digest(self.fingerprint, response.content)
        validators = with_digest(
            response_validators(response) if self.conditional_get else None, digest
        )
        unchanged = before is not None and (
            response.status == 304 or same_as_before(before, digest)
        )
        return response, validators, unchanged

    def diagnose(self, first: Page | None, error: FeedError | None) -> list[Fact]:
        """Facts about the source for ``moocx check``, shown besides its first page.

        Called once, after ``harvest(None)`` yielded its first page (``first``) or failed
        (``error``) — never when that request got no answer at all (``error.cause`` set: refused,
        timed out…), since every further request would fail alike. The default has nothing to
        add. Prefer what the first page already told (a count, a version header kept while
        fetching it); a connector whose protocol describes itself (OAI-PMH's ``Identify``) may
        send a few requests through ``self.http``. A request that fails becomes a warning
        fact rather than an exception, so one answer missing never hides the others.
        """
        return []

    def close(self) -> None:
        self.http.close()


def harvest_with(
    connector: Connector[Any], cursor: Cursor, known_pages: KnownPages | None
) -> Iterator[Page]:
    """Start ``connector``'s harvest as the sync does: the known pages passed beside the cursor.

    A connector that overrides ``harvest(cursor)`` without a ``known_pages`` parameter (a
    third-party connector keeps working unchanged) gets them inside its cursor, under
    ``"validators"``.
    """
    if not known_pages:
        return connector.harvest(cursor)
    if "known_pages" in inspect.signature(connector.harvest).parameters:
        return connector.harvest(cursor, known_pages=known_pages)
    return connector.harvest({**(cursor or {}), "validators": known_pages})


def _split_legacy(cursor: Cursor, known_pages: KnownPages | None) -> tuple[Cursor, KnownPages]:
    """The connector's own cursor, and the known pages — also from a cursor that carries them
    under ``"validators"`` (how :func:`harvest_with` hands them to a connector without the
    ``known_pages`` parameter)."""
    if cursor is None or "validators" not in cursor:
        return cursor, known_pages or {}
    own = {key: value for key, value in cursor.items() if key != "validators"}
    return own or None, known_pages if known_pages is not None else cursor["validators"] or {}
