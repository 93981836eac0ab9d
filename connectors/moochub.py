"""MOOChub: ``GET {base_url}/courses`` pages in JSON:API style (shared/formats §4).

MOOChub is the course-exchange format of openHPI, KI-Campus, iMooX and Moodle's ``local_ildmeta``.
Each item is one *course*; its ``startDate``/``endDate`` (arrays in v3, single strings in v2.3)
become the runs. The version is negotiated in the ``Accept`` header; a server that cannot serve it
answers 406, and one that will stop serving it sends ``Sunset``. MOOChub has no incremental
query, so every harvest reads the whole feed.

Requests and paging here; items are mapped in connectors/moochub_mapping.py. Quirks handled
here, each with a test: ``data`` as one object instead of a list (the official v3 example);
``links.next`` absent, null, a JSON:API link object, repeated or pointing to another host.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from annotated_types import Ge

from connectors.base import Connector, Fact
from connectors.errors import BadResponseError, FeedError, HttpStatusError
from connectors.feedlog import feed_prefix
from connectors.http import HttpResponse, decode_json, redact_url
from connectors.moochub_mapping import map_course, map_items, schema_version
from connectors.moochub_origin import ItemOrigins, harvested_at
from connectors.paging import NextLink, Paginator, Parsed, Request
from connectors.records import Cursor, Page

__all__ = [
    "MoochubConnector",
    "MoochubOptions",
    "answered_version",
    "map_course",
    "map_items",
    "parse_envelope",
    "schema_version",
]


@dataclass(frozen=True, slots=True)
class MoochubOptions:
    """``[feeds.options]`` for ``connector = "moochub"``."""

    #: Path of the course list under base_url; Moodle ``local_ildmeta`` serves
    #: ``/local/ildmeta/get_moochub_courses.php``.
    path: str = "/courses"
    #: MOOChub version asked for in the Accept header.
    version: Literal["3", "2.3"] = "3"
    #: Preferred language (BCP 47) for names given in several languages; else the course's own
    #: language (first of inLanguage), else the first name listed.
    language: str | None = None
    #: Stop with an error after this many pages: a guard against endless pagination.
    max_pages: Annotated[int, Ge(1)] = 10_000


class MoochubConnector(Connector[MoochubOptions]):
    """Harvests a MOOChub bridge (openHPI/xikolo, KI-Campus, Moodle local_ildmeta)."""

    kind = "moochub"
    Options = MoochubOptions
    description = "MOOChub course feed (v3 and v2.3, JSON:API pages), start dates become runs"
    api = "MOOChub API"
    _sunset_warned = False
    #: The version the last response's Content-Type named, and its Sunset header (for check).
    _answered: tuple[str | None, str | None] = (None, None)

    def first_url(self) -> str:
        path = self.options.path if self.options.path.startswith("/") else f"/{self.options.path}"
        return f"{self.feed.base_url.rstrip('/')}{path}"

    def first_request(self, cursor: Cursor) -> Request:
        self._sunset_warned = False
        version = self.options.version
        return Request(
            self.first_url(),
            headers={"Accept": f"application/vnd.api+json; moochub-version={version}"},
            accept=frozenset({406}),
        )

    def paginator(self) -> Paginator:
        return NextLink(self.feed, "links.next", max_pages=self.options.max_pages)

    def page_digests(self) -> bool:
        return True

    def fetch(self, request: Request, conditional: Mapping[str, str]) -> HttpResponse:
        """One page; 406 (version not served) fails the feed, Sunset warns once."""
        response = super().fetch(request, conditional)
        version = self.options.version
        if response.status == 406:
            raise HttpStatusError(
                f"{feed_prefix(self.feed.feed_id)}{redact_url(request.url)} answered 406: it "
                f"does not serve MOOChub version {version}{_problem_title(response.content)}; set "
                'options.version to one it supports ("3" or "2.3")',
                url=request.url,
                status=406,
            )
        sunset = response.headers.get("Sunset")
        self._answered = (answered_version(response.headers.get("Content-Type", "")), sunset)
        if sunset and not self._sunset_warned:
            self._sunset_warned = True
            self.log.warning(
                "the server will stop serving MOOChub version %s on %s (Sunset "
                "header); move options.version to a newer one",
                version,
                sunset,
            )
        return response

    def parse_page(self, response: HttpResponse) -> Parsed:
        body = decode_json(response, feed_id=self.feed.feed_id, api=self.api)
        data, links = parse_envelope(body, response.url, self.feed.feed_id)
        following = links.get("next")
        harvested = harvested_at(response.headers)
        origins = ItemOrigins(self.feed.base_url, self.feed.home, harvested)
        items = map_items(
            data,
            base_url=self.feed.base_url,
            language=self.options.language,
            feed_id=self.feed.feed_id,
            origins=origins,
        )
        origins.chains.report(self.log)  # items dropped as this node's own: still received
        dropped = origins.chains.dropped
        return Parsed(
            items=items,
            source_count=len(items) + dropped if dropped else None,
            # JSON:API 1.1 allows a link object instead of the URL.
            next=following.get("href") if isinstance(following, dict) else following,
        )

    def diagnose(self, first: Page | None, error: FeedError | None) -> list[Fact]:
        """The version asked for and the one the server says it answered (no extra request)."""
        if first is None:
            return []
        answered, sunset = self._answered
        asked = self.options.version
        said = f"answered {answered}" if answered else "the answer's Content-Type names none"
        facts = [
            Fact("MOOChub version", f"asked {asked}, {said}", bool(answered) and answered != asked)
        ]
        raws = [getattr(i, "raw", None) for i in first.items]
        shapes = sorted({schema_version(r) for r in raws if isinstance(r, dict)})
        if shapes:
            facts.append(Fact("items", f"MOOChub {' and '.join(shapes)} shapes on the first page"))
        if sunset:
            facts.append(Fact("Sunset", f"{sunset}: move options.version to a newer one", True))
        return facts


def answered_version(content_type: str) -> str | None:
    """``moochub-version`` of a Content-Type (``application/vnd.api+json; moochub-version=3``)."""
    match = re.search(r"moochub-version\s*=\s*\"?([\w.]+)", content_type, re.I)
    return match.group(1) if match else None


def _problem_title(content: bytes) -> str:
    match = re.search(rb'"(?:title|detail)"\s*:\s*"([^"]{1,200})"', content[:4000])
    return f' ("{match.group(1).decode("utf-8", "replace")}")' if match else ""


def parse_envelope(body: Any, url: str, feed_id: str) -> tuple[list[Any], dict[str, Any]]:
    """``data`` as a list (one object is wrapped: the official v3 example) and ``links``."""
    if not isinstance(body, dict) or not ({"data", "links"} & body.keys()):
        got = type(body).__name__ if not isinstance(body, dict) else f"keys {sorted(body)[:6]}"
        raise BadResponseError(
            f"{feed_prefix(feed_id)}{redact_url(url)} is not a MOOChub course list (expected an "
            f"object with 'data' and 'links', got {got})",
            url=url,
        )
    data = body.get("data")
    if isinstance(data, dict):
        data = [data]
    elif data is None:
        data = []
    elif not isinstance(data, list):
        raise BadResponseError(
            f"{feed_prefix(feed_id)}'data' in {redact_url(url)} is a {type(data).__name__}, "
            "not a list",
            url=url,
        )
    links = body.get("links")
    return data, links if isinstance(links, dict) else {}
