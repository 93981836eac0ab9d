"""Open edX LMS Courses API: ``GET {base_url}/api/courses/v1/courses/`` (shared/formats §1).

Requests and paging; the mapping of runs into courses is in connectors/openedx_mapping.py.
Pages are asked for conditionally (``If-None-Match`` / ``If-Modified-Since``) and recognised
by digest, since most LMSes send no ``ETag``. ``pagination.next`` links are absolute and must
stay on the platform's host and never repeat.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from annotated_types import Ge, Le

from connectors.base import Connector, Fact, count_fact
from connectors.errors import BadResponseError, FeedError
from connectors.feedlog import feed_prefix
from connectors.http import HttpResponse, decode_json
from connectors.openedx_mapping import (
    NO_START_SENTINEL,
    MappedPage,
    course_key,
    map_page,
    map_run,
    map_runs,
    unescape_name,
)
from connectors.paging import NextLink, Paginator, Parsed, Request
from connectors.records import Cursor, Page

__all__ = [
    "NO_START_SENTINEL",
    "OpenEdxConnector",
    "OpenEdxOptions",
    "course_key",
    "map_run",
    "map_runs",
    "parse_envelope",
    "unescape_name",
]

LIST_PATH = "/api/courses/v1/courses/"


@dataclass(frozen=True, slots=True)
class OpenEdxOptions:
    """``[feeds.options]`` for ``connector = "openedx"``."""

    #: Runs per page; the LMS caps it at 100.
    page_size: Annotated[int, Ge(1), Le(100)] = 100
    #: Only runs of this organisation (the API's case-insensitive ``org`` filter).
    org: str | None = None
    #: Keep runs the platform marks ``hidden`` (catalog visibility "about" or "none").
    include_hidden: bool = False
    #: Keep runs that need an invitation to enroll.
    include_invitation_only: bool = False
    #: Teaching language (BCP 47) when a title's script does not say; the API has no such field.
    language: str | None = None
    #: Stop with an error after this many pages: a guard against endless pagination.
    max_pages: Annotated[int, Ge(1)] = 10_000
    #: Keep custom courses (CCX, ``ccx-v1:…+ccx@N``: teachers' private classrooms built on a
    #: course), each as a course of its own; by default they are left out.
    include_ccx: bool = False


class OpenEdxConnector(Connector[OpenEdxOptions]):
    """Harvests an Open edX LMS through its public Courses API."""

    kind = "openedx"
    accepts_auth = True
    Options = OpenEdxOptions
    description = "Open edX LMS Courses API (/api/courses/v1/courses/), runs grouped into courses"
    api = "Open edX Courses API"
    conditional_get = True

    def first_url(self) -> str:
        params = f"page_size={self.options.page_size}"
        if self.options.org:
            params += f"&org={quote(self.options.org)}"
        return f"{self.feed.base_url.rstrip('/')}{LIST_PATH}?{params}"

    def first_request(self, cursor: Cursor) -> Request:
        return Request(self.first_url())

    def paginator(self) -> Paginator:
        return NextLink(self.feed, "pagination.next", max_pages=self.options.max_pages)

    def page_digests(self) -> bool:
        return True

    def parse_page(self, response: HttpResponse) -> Parsed:
        body = decode_json(response, feed_id=self.feed.feed_id, api=self.api)
        results, pagination = parse_envelope(body, url=response.url, feed_id=self.feed.feed_id)
        count = pagination.get("count")
        mapped = map_page(
            results,
            base_url=self.feed.base_url,
            include_hidden=self.options.include_hidden,
            include_invitation_only=self.options.include_invitation_only,
            include_ccx=self.options.include_ccx,
            default_language=self.options.language,
        )
        self._log_stats(mapped, response.url)
        return Parsed(
            items=mapped.items,
            next=pagination.get("next"),
            declared_total=count if isinstance(count, int) else None,
            source_count=len(results),
        )

    def _log_stats(self, mapped: MappedPage, url: str) -> None:
        """One line per page for what was left out, one for effort texts not understood."""
        stats = mapped.stats
        left_out = stats.left_out()
        if left_out:
            self.log.info("%s: left out %s (see options.include_*)", url, left_out)
        if stats.effort_unread:  # the source's own text, kept in its record: no fault of the feed
            self.log.info(
                "%s: effort of %d course(s) not understood (e.g. %r); shown as unknown",
                url,
                stats.effort_unread,
                stats.effort_example,
            )

    def diagnose(self, first: Page | None, error: FeedError | None) -> list[Fact]:
        """The API's count: runs, which the catalog groups into fewer courses."""
        return count_fact(first, "course runs", "grouped into courses (ORG+NUM) as they arrive")


def parse_envelope(body: Any, *, url: str, feed_id: str) -> tuple[list[Any], dict[str, Any]]:
    """``results`` and ``pagination`` of one page, or BadResponseError naming what is wrong."""
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        got = type(body).__name__ if not isinstance(body, dict) else f"keys {sorted(body)[:6]}"
        raise BadResponseError(
            f"{feed_prefix(feed_id)}{url} is not an Open edX course list (expected an object with "
            f"'results' and 'pagination', got {got})",
            url=url,
        )
    pagination = body.get("pagination")
    if not isinstance(pagination, dict):
        raise BadResponseError(
            f"{feed_prefix(feed_id)}{url} has no 'pagination' object; is this the Courses API v1?",
            url=url,
        )
    return body["results"], pagination
