"""Open edX course-discovery Catalog API: ``GET {base_url}/api/v1/courses/`` (shared/formats §2).

Unlike the LMS, discovery lists *courses* (``HarvardX+CS50x``) with their runs nested, so one
result is one record (mapped in connectors/discovery_mapping.py). JWT auth is required; the token
comes from the **LMS**, so ``[feeds.auth] token_url`` must be set. The DRF envelope
(``count/next/previous/results``) is followed by its ``next`` link, page-number or limit/offset
style alike, with ``exclude_utm=1`` kept on every link.

Incremental harvests: ``?timestamp=`` filters on ``data_modified_timestamp >= value``. The cursor
keeps the newest such value the *server* reported (never our clock), and the next run asks from
it minus ``overlap_minutes``. ``data_modified_timestamp`` is preferred over ``modified`` because
it is the field the filter compares and it moves only when the data changes: ``modified`` moves
on every save (nightly re-saves, publication), so a mark taken from it could run ahead of changes
not yet seen. A course without ``data_modified_timestamp`` has not been saved since the field was
added (any save sets it), so its ``modified`` is old and falling back to it cannot push the mark
ahead. Timestamps later than the server's own ``Date`` are kept out of the mark. The filter never
reveals deletions, so pages of an incremental harvest say ``incremental=True`` and the sync must
still sweep in full now and then. The ``/catalogs/{id}/courses/`` endpoint applies no filters at
all (course-discovery ``CatalogViewSet.courses``), so catalog harvests are always full sweeps.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from annotated_types import Ge, Le

from connectors.base import Connector, Fact, count_fact
from connectors.discovery_mapping import (
    clean_url,
    high_water_mark,
    map_course,
    map_courses,
    seat_facts,
)
from connectors.errors import AuthError, BadResponseError, FeedError, RecordError
from connectors.feedlog import feed_prefix
from connectors.http import AuthProvider, HttpResponse, decode_json, redact_url
from connectors.normalize import parse_datetime, utc_iso
from connectors.paging import NextLink, Paginator, Parsed, Position, Request
from connectors.records import Cursor, Page

__all__ = [
    "DiscoveryConnector",
    "DiscoveryOptions",
    "clean_url",
    "high_water_mark",
    "map_course",
    "map_courses",
    "parse_envelope",
    "seat_facts",
    "server_date",
]


LIST_PATH = "/api/v1/courses/"
CATALOG_PATH = "/api/v1/catalogs/{id}/courses/"


@dataclass(frozen=True, slots=True)
class DiscoveryOptions:
    """``[feeds.options]`` for ``connector = "discovery"``."""

    #: Courses per page. The API has no maximum, but a page of big courses is large.
    page_size: Annotated[int, Ge(1), Le(500)] = 100
    #: Harvest ``/api/v1/catalogs/{id}/courses/`` (enrollable, marketable courses) instead.
    catalog_id: Annotated[int, Ge(1)] | None = None
    #: Ask only for courses changed since the last harvest (``?timestamp=``).
    incremental: bool = True
    #: How far before the high-water mark an incremental harvest starts; longer than one harvest.
    overlap_minutes: Annotated[int, Ge(0), Le(10_080)] = 60
    #: Stop with an error after this many pages: a guard against endless pagination.
    max_pages: Annotated[int, Ge(1)] = 10_000


class DiscoveryConnector(Connector[DiscoveryOptions]):
    """Harvests courses, with their runs, from an Open edX course-discovery service."""

    kind = "discovery"
    accepts_auth = True
    Options = DiscoveryOptions
    description = "Open edX course-discovery API (/api/v1/courses/), incremental by timestamp"
    api = "course-discovery API"
    #: The running harvest's window: changes since ``_since``, the newest seen so far ``_high``.
    _since: datetime | None = None
    _high: datetime | None = None

    def make_auth(self) -> AuthProvider | None:
        """Like the base class, but without the default token URL: discovery issues no tokens."""
        if self.feed.auth is not None and not self.feed.auth.token_url:
            self.http.close()
            raise AuthError(
                f"{feed_prefix(self.feed.feed_id)}set [feeds.auth] token_url to the LMS token "
                "endpoint (https://<lms>/oauth2/access_token); course-discovery does not issue "
                "tokens"
            )
        return super().make_auth()

    def first_url(self, since: datetime | None) -> str:
        """``page=1`` selects page-number paging; without it ``page_size`` would be ignored."""
        cid = self.options.catalog_id
        path = CATALOG_PATH.format(id=cid) if cid else LIST_PATH
        params: dict[str, Any] = {"page": 1, "page_size": self.options.page_size, "exclude_utm": 1}
        if since is not None:
            start = since - timedelta(minutes=self.options.overlap_minutes)
            params["timestamp"] = start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{self.feed.base_url.rstrip('/')}{path}?{urlencode(params)}"

    def first_request(self, cursor: Cursor) -> Request:
        """The window from the cursor: resumed as saved, or since the last harvest's mark."""
        state = cursor or {}
        self._since = self._cursor_time(state, "since")
        self._high = self._cursor_time(state, "high") or self._since
        if state.get("next"):
            self.incremental = bool(state.get("incremental"))
        else:
            self.incremental = (
                self._since is not None and self.options.incremental and not self.options.catalog_id
            )
        return Request(self.first_url(self._since if self.incremental else None))

    def paginator(self) -> Paginator:
        return NextLink(
            self.feed, "'next'", max_pages=self.options.max_pages, keep_query={"exclude_utm": "1"}
        )

    def parse_page(self, response: HttpResponse) -> Parsed:
        body = decode_json(response, feed_id=self.feed.feed_id, api=self.api)
        results, next_value, count = parse_envelope(
            body, url=response.url, feed_id=self.feed.feed_id
        )
        return Parsed(
            items=map_courses(results, base_url=self.feed.base_url),
            next=next_value,
            declared_total=count if isinstance(count, int) else None,
            mark=high_water_mark(
                results, not_after=server_date(response), feed_id=self.feed.feed_id
            ),
        )

    def page_cursor(self, after: Position | None, parsed: Parsed) -> Cursor:
        """The window goes with every page; the last page's mark starts the next harvest."""
        self._high = max((t for t in (self._high, parsed.mark) if t is not None), default=None)
        if after is None:
            return {"since": utc_iso(self._high)} if self._high else None
        window = {"since": utc_iso(self._since), "high": utc_iso(self._high)}
        return {**after, **window, "incremental": self.incremental}

    def diagnose(self, first: Page | None, error: FeedError | None) -> list[Fact]:
        """The API's count of courses, and whether later runs can be incremental."""
        if self.options.catalog_id:
            how = f"catalog {self.options.catalog_id}: every run reads it in full (no filters)"
        elif self.options.incremental:
            how = "later runs ask only for changes (?timestamp=)"
        else:
            how = "every run reads it in full (options.incremental = false)"
        return count_fact(first, "courses with their runs", how)

    def _cursor_time(self, state: Any, name: str) -> datetime | None:
        try:
            return parse_datetime(state.get(name), f"cursor.{name}")
        except RecordError as exc:
            self.log.warning("%s; harvesting in full", exc.reason)
            return None


def parse_envelope(body: Any, *, url: str, feed_id: str) -> tuple[list[Any], Any, Any]:
    """``results``, ``next`` and ``count`` of one DRF page, or BadResponseError naming the URL."""
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("results"), list)
        or ("next" not in body)
    ):
        got = type(body).__name__ if not isinstance(body, dict) else f"keys {sorted(body)[:6]}"
        raise BadResponseError(
            f"{feed_prefix(feed_id)}{redact_url(url)} is not a course-discovery course list "
            f"(expected an object with 'count', 'next' and 'results', got {got})",
            url=url,
        )
    return body["results"], body["next"], body.get("count")


def server_date(response: HttpResponse) -> datetime | None:
    """The server's clock from its ``Date`` header, if it sent a readable one."""
    try:
        when = email.utils.parsedate_to_datetime(response.headers.get("Date") or "")
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
