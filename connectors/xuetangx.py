"""XuetangX (学堂在线): ``POST {base_url}/api/v1/lms/get_product_list/?page=N`` (shared/formats §3).

The platform has no public documentation; the shapes below are the ones every public scraper
relies on. The list is a POST with the filters in a JSON body and the page in the query string,
10 courses a page, and it refuses requests without the ``xtbz: xt`` header. One course (``sign``)
has several terms (``classroom_id``); their dates come from ``/api/v1/lms/product/classroom/``,
fetched per course when ``enrich_terms`` is on, and become the course's runs. Products and
terms are mapped in connectors/xuetangx_mapping.py.

Quirks handled here, each with a test: ``data`` empty or ``{}`` past the end; ``success: false``
with a ``message``; a server that ignores ``?page``; brotli-compressed bodies (urllib3 decodes
``Content-Encoding: br``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from annotated_types import Ge, Gt, Predicate

from connectors.base import Connector, Fact, count_fact
from connectors.errors import BadResponseError, FeedError, HttpStatusError, RecordError
from connectors.feedlog import feed_prefix
from connectors.http import HttpResponse, HttpSettings, decode_json, redact_url
from connectors.normalize import clean_text, zone
from connectors.paging import PageNumber, Paginator, Parsed, Request
from connectors.records import CourseRecord, Cursor, Item, Page, Rejected
from connectors.xuetangx_mapping import (
    course_pacing,
    map_classroom,
    map_product,
    map_products,
    strip_highlight,
    subjects,
)

__all__ = [
    "XuetangXConnector",
    "XuetangXOptions",
    "map_classroom",
    "map_product",
    "map_products",
    "parse_envelope",
    "strip_highlight",
    "subjects",
]


LIST_PATH = "/api/v1/lms/get_product_list/"
CLASSROOM_PATH = "/api/v1/lms/product/classroom/"
#: Fixed by the platform; no page-size parameter exists.
PAGE_SIZE = 10
#: Without ``xtbz`` the platform answers 4xx; the others are what every public client sends.
HEADERS = {"xtbz": "xt", "django-language": "zh", "x-client": "web"}


def is_iana_zone(value: str) -> bool:
    """True for ``UTC`` and the IANA zone names this machine knows (``Asia/Shanghai``)."""
    if value.upper() == "UTC":
        return True
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class XuetangXOptions:
    """``[feeds.options]`` for ``connector = "xuetangx"``."""

    #: Category ids as strings (``"1"`` = 计算机); empty: every category.
    classify: tuple[str, ...] = ()
    #: Organisation ids as strings (``"1"`` = 清华大学); empty: every organisation.
    chief_org: tuple[str, ...] = ()
    #: ``"1"`` upcoming, ``"2"`` running, ``"3"`` ended; empty: all.
    status: tuple[Literal["1", "2", "3"], ...] = ()
    #: Politeness: the platform blocks fast clients; public scrapers keep to about 1 request/s.
    requests_per_second: Annotated[float, Gt(0)] = 1.0
    #: Fetch each course's terms (one more request per course) to get run dates.
    enrich_terms: bool = True
    #: Teaching language (BCP 47) of courses whose data does not say.
    language: str = "zh"
    #: IANA zone of timestamps without an offset (``modified``): the platform runs on China time.
    timezone: Annotated[str, Predicate(is_iana_zone)] = "Asia/Shanghai"
    #: Stop with an error after this many pages: a guard against endless pagination.
    max_pages: Annotated[int, Ge(1)] = 10_000


class XuetangXConnector(Connector[XuetangXOptions]):
    """Harvests XuetangX's course list, one POST per page of 10, terms fetched per course."""

    kind = "xuetangx"
    Options = XuetangXOptions
    description = "XuetangX (学堂在线) product list (/api/v1/lms/get_product_list/), terms as runs"
    api = "XuetangX API"

    def http_settings(self, settings: HttpSettings) -> HttpSettings:
        interval = 1 / self.options.requests_per_second
        return dataclasses.replace(settings, min_interval=max(settings.min_interval, interval))

    @property
    def base_url(self) -> str:
        return self.feed.base_url.rstrip("/")

    def request_body(self) -> dict[str, Any]:
        o = self.options
        return {
            "query": "",
            "chief_org": list(o.chief_org),
            "classify": list(o.classify),
            "selling_type": [],
            "status": list(o.status),
            "appid": 10000,
        }

    def first_request(self, cursor: Cursor) -> Request:
        return Request(
            f"{self.base_url}{LIST_PATH}?page=1",
            method="POST",
            headers=HEADERS,
            json_body=self.request_body(),
        )

    def paginator(self) -> Paginator:
        return PageNumber(self.feed, "page", page_size=PAGE_SIZE, max_pages=self.options.max_pages)

    def page_digests(self) -> bool:
        """The same bytes stand for the page — unless the terms come from the classroom
        endpoint, which a list page does not vouch for."""
        return not self.options.enrich_terms

    def parse_page(self, response: HttpResponse) -> Parsed:
        body = decode_json(response, feed_id=self.feed.feed_id, api=self.api)
        count, products = parse_envelope(body, url=response.url, feed_id=self.feed.feed_id)
        items = map_products(
            products,
            base_url=self.base_url,
            tz=zone(self.options.timezone),
            default_language=self.options.language,
        )
        return Parsed(items=items, declared_total=count)

    def enrich(self, items: Sequence[Item]) -> tuple[Item, ...]:
        return tuple(self._enriched(item) for item in items)

    def diagnose(self, first: Page | None, error: FeedError | None) -> list[Fact]:
        """The platform's count, and what a full harvest costs at the polite rate."""
        if first is None or first.declared_total is None:
            return []
        total = first.declared_total
        requests = math.ceil(total / PAGE_SIZE) + (total if self.options.enrich_terms else 0)
        seconds = requests / self.options.requests_per_second
        cost = f"a full harvest is about {requests} requests, {_duration(seconds)} at "
        cost += f"{self.options.requests_per_second:g} a second"
        return count_fact(first, "courses", cost)

    def _enriched(self, item: Item) -> Item:
        """The course with its terms from the classroom endpoint, or Rejected if they fail."""
        if not self.options.enrich_terms or not isinstance(item, CourseRecord):
            return item
        query = f"?sign={quote(item.key, safe='')}"
        # Named in the reason by hand: the client's redaction masks ``sign`` (it looks like "sig").
        where = f"terms ({CLASSROOM_PATH}{query})"
        try:
            response = self.http.request(
                "GET", self.base_url + CLASSROOM_PATH + query, headers=HEADERS
            )
            body = decode_json(response, feed_id=self.feed.feed_id, api=self.api)
            runs = map_classroom(body, base_url=self.base_url, sign=item.key)
        except HttpStatusError as exc:
            if not (exc.status and 400 <= exc.status < 500):
                raise
            return self._rejected(item, f"{where}: {exc}")
        except BadResponseError as exc:
            return self._rejected(item, f"{where}: {exc}")
        except RecordError as exc:
            return self._rejected(item, f"{where}: {exc.reason}")
        if not runs:  # a live course has no classroom terms; keep what the list said
            return item
        return dataclasses.replace(item, runs=runs, pacing=course_pacing(runs))

    def _rejected(self, item: CourseRecord, reason: str) -> Rejected:
        self.log.warning("course %s rejected: %s", item.key, reason)
        return Rejected(reason=reason, key=item.key, raw=item.raw)


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "under a second"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def parse_envelope(body: Any, *, url: str, feed_id: str) -> tuple[int | None, list[Any]]:
    """``data.count`` and ``data.product_list`` of one page; ``(None, [])`` past the end."""
    where = redact_url(url)
    if not isinstance(body, dict):
        raise BadResponseError(
            f"{feed_prefix(feed_id)}{where} is not a XuetangX product list (expected an object "
            f"with 'success' and 'data', got {type(body).__name__})",
            url=url,
        )
    if "success" in body and not body["success"]:
        message = clean_text(body.get("message")) or "no message"
        raise BadResponseError(
            f"{feed_prefix(feed_id)}{where} answered success=false: {message}", url=url
        )
    data = body.get("data")
    if not data:  # absent, null or {}: some deployments say "no more pages" this way
        return None, []
    products = data.get("product_list") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(products, list | None):
        raise BadResponseError(
            f"{feed_prefix(feed_id)}{where} has no 'data.product_list' list; is this the XuetangX "
            "get_product_list API?",
            url=url,
        )
    count = data.get("count")
    valid_count = isinstance(count, int) and not isinstance(count, bool) and count >= 0
    return (count if valid_count else None), products or []
