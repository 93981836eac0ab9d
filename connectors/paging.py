"""How sources page, as small strategies the harvest loop (connectors/base.py) drives.

Sources paginate by following a ``next`` link (Open edX, course-discovery, MOOChub), by page
number (XuetangX) or by resumption token (OAI-PMH). Each style is a :class:`Paginator`: where a
saved cursor resumes, which request follows a parsed page, and the cursor keys that resume there.
Each also carries its guard, because whatever the style a harvester must stop when the source
sends it round in circles (the same link or token twice, the same courses on every page, or more
pages than any real catalog has — CKAN's "the paging doesn't seem to work") and must never follow
a link to another host, where the feed's credentials and trust do not extend.

A paginator holds the state of one harvest; a connector makes a fresh one for each.
"""

from __future__ import annotations

import logging
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol, TypeAlias
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from connectors.errors import BadResponseError, PaginationError
from connectors.feedlog import FeedLog, feed_prefix
from connectors.http import redact_url
from connectors.records import Cursor, Item

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Request:
    """One page's request, as the connector shapes it."""

    url: str
    method: str = "GET"
    headers: Mapping[str, str] | None = None
    json_body: Any = None
    #: Statuses besides 2xx the connector reads itself (MOOChub's 406 "version not served").
    accept: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Parsed:
    """What a connector's pure ``parse_page`` makes of one response."""

    items: Sequence[Item]
    #: Where the source says the listing goes on, as it wrote it: a link, a token, or ``None``;
    #: for page numbers, whether more pages follow (a ``has_more`` flag), ``None`` if unsaid.
    next: object = None
    #: How many items the source says the whole listing holds, when it says.
    declared_total: int | None = None
    #: Source items on the page, in the unit of ``declared_total``; ``None``: ``len(items)``.
    source_count: int | None = None
    #: The source's own clock or newest change on this page, for an incremental cursor.
    mark: datetime | None = None


#: Cursor keys a paginator resumes from (``{"next": url}``, ``{"token": t}``); the loop adds
#: ``"page"``.
Position: TypeAlias = dict[str, Any]


class Source(Protocol):
    """The feed a paginator pages through (a :class:`~connectors.base.FeedContext`)."""

    @property
    def feed_id(self) -> str: ...

    @property
    def base_url(self) -> str: ...


class PageGuard:
    """Call :meth:`visit` before fetching each page; it refuses repeats and runaway paging."""

    def __init__(self, feed_id: str, max_pages: int, what: str = "the next link") -> None:
        self.feed_id = feed_id
        self.max_pages = max_pages
        self.what = what
        self._seen: set[str] = set()

    def visit(self, token: str, *, url: str | None = None) -> None:
        """Record the page about to be fetched (its URL, page number or resumption token)."""
        where = redact_url(url or token)
        if token in self._seen:
            raise PaginationError(
                f"{feed_prefix(self.feed_id)}{self.what} repeats {where}; the source's paging is "
                "broken, stopping instead of looping",
                url=url,
            )
        if len(self._seen) >= self.max_pages:
            raise too_many_pages(self.feed_id, self.max_pages, url or token)
        self._seen.add(token)


def too_many_pages(feed_id: str, max_pages: int, url: str) -> PaginationError:
    return PaginationError(
        f"{feed_prefix(feed_id)}more than {max_pages} pages (options.max_pages); "
        f"stopping before {redact_url(url)}",
        url=url,
    )


class Paginator(ABC):
    """One paging style. The loop calls :meth:`resume` to start (and after a carried-over page),
    :meth:`visit` before each request, and :meth:`follow` with each parsed page."""

    def __init__(self, feed: Source, what: str, *, max_pages: int) -> None:
        self.feed = feed
        self.what = what
        self.max_pages = max_pages

    @abstractmethod
    def resume(self, cursor: Cursor, first: Request, number: int) -> tuple[Request, int]:
        """The request and page number ``cursor`` resumes at; ``first`` when it holds none."""

    @abstractmethod
    def visit(self, request: Request) -> None:
        """Before ``request`` is sent: raise PaginationError if it would loop or run away."""

    @abstractmethod
    def follow(
        self, parsed: Parsed, request: Request, number: int
    ) -> tuple[Request, Position] | None:
        """The next request and the cursor keys that resume at it; ``None`` after the last."""

    def restart(self, request: Request, first: Request, expired: BadResponseError) -> Request:
        """The source no longer knows ``request``'s position: where to start over, or raise."""
        raise expired


class NextLink(Paginator):
    """Follow the ``next`` link each page gives, on the source's own host only.

    ``keep_query`` names query parameters every link must carry even when the source's own
    links drop them (course-discovery's ``exclude_utm``).
    """

    def __init__(
        self,
        feed: Source,
        what: str = "next",
        *,
        max_pages: int,
        keep_query: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(feed, what, max_pages=max_pages)
        self.keep_query = keep_query or {}
        self.guard = PageGuard(feed.feed_id, max_pages, what)

    def resume(self, cursor: Cursor, first: Request, number: int) -> tuple[Request, int]:
        saved = (cursor or {}).get("next")
        if saved and same_host(str(saved), self.feed.base_url):
            return replace(first, url=str(saved)), int((cursor or {}).get("page") or number)
        if saved:  # base_url moved to another host since the cursor was saved
            FeedLog(log, self.feed.feed_id).warning(
                "saved cursor is not on base_url's host; starting over"
            )
        return first, 1

    def visit(self, request: Request) -> None:
        self.guard.visit(request.url, url=request.url)

    def follow(
        self, parsed: Parsed, request: Request, number: int
    ) -> tuple[Request, Position] | None:
        url = follow_next(
            parsed.next,
            base_url=self.feed.base_url,
            current=request.url,
            feed_id=self.feed.feed_id,
            what=self.what,
        )
        if url is None:
            return None
        if self.keep_query:
            url = _add_query(url, self.keep_query)
        return replace(request, url=url), {"next": url}


class PageNumber(Paginator):
    """Count pages in a query parameter until a page is empty, the declared total is reached,
    or the page says no more follow (``Parsed.next`` False).

    Numbers never repeat, so the guard compares content instead: a source that answers every
    number with the same courses ignores the parameter, and the harvest stops.
    """

    def __init__(
        self, feed: Source, param: str = "page", *, page_size: int, max_pages: int
    ) -> None:
        super().__init__(feed, param, max_pages=max_pages)
        self.param = param
        self.page_size = page_size
        self.guard = PageGuard(feed.feed_id, max_pages, f"?{param}")
        self._previous: tuple[str | None, ...] | None = None

    def resume(self, cursor: Cursor, first: Request, number: int) -> tuple[Request, int]:
        self._previous = None
        page = int((cursor or {}).get("page") or number)
        return (first if page == 1 else self._at(first, page)), page

    def visit(self, request: Request) -> None:
        self.guard.visit(request.url, url=request.url)

    def follow(
        self, parsed: Parsed, request: Request, number: int
    ) -> tuple[Request, Position] | None:
        keys = tuple(item.key for item in parsed.items)
        if keys and keys == self._previous:
            raise PaginationError(
                f"{feed_prefix(self.feed.feed_id)}{redact_url(request.url)} returns the same "
                f"courses as page {number - 1}; the platform ignores ?{self.param}, "
                "stopping instead of looping",
                url=request.url,
            )
        self._previous = keys
        count = len(parsed.items) if parsed.source_count is None else parsed.source_count
        total = parsed.declared_total
        if not count or parsed.next is False:
            return None
        if total is not None and number >= math.ceil(total / self.page_size):
            return None
        return self._at(request, number + 1), {}

    def _at(self, request: Request, page: int) -> Request:
        return replace(request, url=_set_query(request.url, self.param, str(page)))


class ResumptionToken(Paginator):
    """Send back the token each page gives (OAI-PMH); a token used twice stops the harvest.

    The next request is built from the token alone (``request_for``). When the source says a
    token expired, the harvest starts over from its first request, once.
    """

    def __init__(
        self,
        feed: Source,
        request_for: Callable[[str], Request],
        what: str = "resumptionToken",
        *,
        max_pages: int,
    ) -> None:
        super().__init__(feed, what, max_pages=max_pages)
        self.request_for = request_for
        self._token: str | None = None
        self._seen: set[str] = set()
        self._fetched = 0
        self._restarted = False

    def resume(self, cursor: Cursor, first: Request, number: int) -> tuple[Request, int]:
        token = (cursor or {}).get("token")
        if not token:
            return first, 1
        self._token = str(token)
        return self.request_for(self._token), int((cursor or {}).get("page") or number)

    def visit(self, request: Request) -> None:
        if self._fetched >= self.max_pages:
            raise too_many_pages(self.feed.feed_id, self.max_pages, request.url)
        self._fetched += 1
        if self._token is not None:
            self._seen.add(self._token)

    def follow(
        self, parsed: Parsed, request: Request, number: int
    ) -> tuple[Request, Position] | None:
        token = parsed.next if isinstance(parsed.next, str) and parsed.next else None
        if token is None:
            return None
        if token in self._seen:
            raise PaginationError(
                f"{feed_prefix(self.feed.feed_id)}{self.what} {token!r} from "
                f"{redact_url(request.url)} was already used; stopping instead of looping",
                url=request.url,
            )
        self._token = token
        return self.request_for(token), {"token": token}

    def restart(self, request: Request, first: Request, expired: BadResponseError) -> Request:
        if self._token is None or self._restarted:
            raise expired
        FeedLog(log, self.feed.feed_id).warning(
            "%s at %s expired; restarting the harvest from %s",
            self.what,
            redact_url(request.url),
            redact_url(first.url),
        )
        self._token, self._seen, self._restarted = None, set(), True
        return first


def same_host(url: str, base_url: str) -> bool:
    """True when ``url`` is an http(s) URL on ``base_url``'s host (any scheme or port)."""
    try:
        target, base = urlsplit(url), urlsplit(base_url)
    except ValueError:
        return False
    return (
        target.scheme in ("http", "https")
        and bool(target.hostname)
        and (target.hostname or "").lower() == (base.hostname or "").lower()
    )


def follow_next(
    value: object, *, base_url: str, current: str, feed_id: str, what: str = "next"
) -> str | None:
    """The next page's URL from a ``next`` link, or ``None`` when there is none.

    A link to another host raises :class:`PaginationError`. Behind a TLS-terminating proxy the
    platform often builds its links with ``http://`` or an internal port; on the same host the
    configured scheme and port are kept and only the path and query are taken.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadResponseError(
            f"{feed_prefix(feed_id)}{what} is not a URL in {redact_url(current)}", url=current
        )
    target = urljoin(current, value)
    if not same_host(target, base_url):
        raise PaginationError(
            f"{feed_prefix(feed_id)}{what} in {redact_url(current)} points to another host "
            f"({urlsplit(target).hostname}); refusing to follow it",
            url=current,
        )
    base, nxt = urlsplit(base_url), urlsplit(target)
    return urlunsplit((base.scheme, base.netloc, nxt.path, nxt.query, ""))


def _add_query(url: str, params: Mapping[str, str]) -> str:
    """``url`` with each of ``params`` added to its query unless it has a value there already."""
    parts = urlsplit(url)
    present = dict(parse_qsl(parts.query))
    extra = urlencode([(k, v) for k, v in params.items() if k not in present])
    if not extra:
        return url
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _set_query(url: str, name: str, value: str) -> str:
    """``url`` with the query parameter ``name`` set to ``value`` (others kept in order)."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode([(k, value if k == name else v) for k, v in pairs])
    if name not in {k for k, _ in pairs}:
        query = f"{query}&{urlencode({name: value})}" if query else urlencode({name: value})
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
