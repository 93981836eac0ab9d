"""XuetangX (学堂在线): ``POST {base_url}/api/v1/lms/get_product_list/?page=N`` (shared/formats §3).

The platform has no public documentation; the shapes below are the ones every public scraper
relies on. The list is a POST with the filters in a JSON body and the page in the query string,
10 courses a page, and it refuses requests without the ``xtbz: xt`` header. One course (``sign``)
has several terms (``classroom_id``); their dates come from ``/api/v1/lms/product/classroom/``,
fetched per course when ``enrich_terms`` is on, and become the course's runs.

Quirks handled here, each with a test: ``<em>`` highlight tags in names; ``\\u3000`` and NBSP in
intros; ``org`` as ``{}``; ``teacher`` as a list or an object; China-local timestamps without an
offset; epoch-millisecond term dates with a null end for self-paced terms; ``data`` empty or
``{}`` past the end; ``success: false`` with a ``message``; brotli-compressed bodies (urllib3
decodes ``Content-Encoding: br``); ``live_status`` as a list or an object.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import tzinfo
from typing import Annotated, Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from annotated_types import Ge, Gt, Predicate

from connectors.base import Connector, Fact, count_fact
from connectors.errors import (
    BadResponseError,
    FeedError,
    HttpStatusError,
    PaginationError,
    RecordError,
)
from connectors.http import HttpSettings, decode_json, redact_url
from connectors.normalize import (
    absolute_url,
    clean_text,
    from_epoch_millis,
    parse_datetime,
    zone,
)
from connectors.records import CourseRecord, CourseRun, Cursor, Item, Page, Rejected, is_http_url
from connectors.unchanged import carried_over, page_digest, same_as_before

log = logging.getLogger(__name__)

LIST_PATH = "/api/v1/lms/get_product_list/"
CLASSROOM_PATH = "/api/v1/lms/product/classroom/"
#: Fixed by the platform; no page-size parameter exists.
PAGE_SIZE = 10
#: Without ``xtbz`` the platform answers 4xx; the others are what every public client sends.
HEADERS = {"xtbz": "xt", "django-language": "zh", "x-client": "web"}
_EM = re.compile(r"</?em>", re.I)


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

    def harvest(self, cursor: Cursor) -> Iterator[Page]:
        feed_id = self.feed.feed_id
        number = int((cursor or {}).get("page") or 1)
        tz = zone(self.options.timezone)
        previous: tuple[str, ...] | None = None
        fetched = 0
        validators: dict[str, Any] = (cursor or {}).get("validators") or {}
        while True:
            url = f"{self.base_url}{LIST_PATH}?page={number}"
            if fetched >= self.options.max_pages:
                raise PaginationError(
                    f"feed {feed_id}: more than {self.options.max_pages} pages "
                    f"(options.max_pages); stopping before {redact_url(url)}",
                    url=url,
                )
            fetched += 1
            response = self.http.request(
                "POST", url, headers=HEADERS, json_body=self.request_body()
            )
            # The same bytes as last time stand for the page (connectors/unchanged.py) — unless
            # the terms come from the classroom endpoint, which a list page does not vouch for.
            digest = None
            if not self.options.enrich_terms:
                digest = page_digest(self.fingerprint, response.content)
            known = validators.get(url)
            if digest is not None and known is not None and same_as_before(known, digest):
                page = carried_over(url, number, known, {"digest": digest})
                yield page
                if page.cursor is None:
                    return
                number = int(page.cursor.get("page") or number + 1)
                previous = None
                continue
            body = decode_json(response, feed_id=feed_id, api=self.api)
            count, products = parse_envelope(body, url=url, feed_id=feed_id)
            signs = tuple(str(p.get("sign")) for p in products if isinstance(p, dict))
            if signs and signs == previous:
                raise PaginationError(
                    f"feed {feed_id}: {redact_url(url)} returns the same courses as page "
                    f"{number - 1}; the platform ignores ?page, stopping instead of looping",
                    url=url,
                )
            previous = signs
            last = not products or (count is not None and number >= math.ceil(count / PAGE_SIZE))
            mapped = map_products(
                products, base_url=self.base_url, tz=tz, default_language=self.options.language
            )
            yield Page(
                items=tuple(self._enriched(item) for item in mapped),
                cursor=None if last else {"page": number + 1},
                url=url,
                number=number,
                last=last,
                declared_total=count,
                validators={"digest": digest} if digest else None,
            )
            if last:
                return
            number += 1

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
        return dataclasses.replace(item, runs=runs, pacing=_course_pacing(runs))

    def _rejected(self, item: CourseRecord, reason: str) -> Rejected:
        log.warning("feed %s: course %s rejected: %s", self.feed.feed_id, item.key, reason)
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
            f"feed {feed_id}: {where} is not a XuetangX product list (expected an object with "
            f"'success' and 'data', got {type(body).__name__})",
            url=url,
        )
    if "success" in body and not body["success"]:
        message = clean_text(body.get("message")) or "no message"
        raise BadResponseError(
            f"feed {feed_id}: {where} answered success=false: {message}", url=url
        )
    data = body.get("data")
    if not data:  # absent, null or {}: some deployments say "no more pages" this way
        return None, []
    products = data.get("product_list") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(products, list | None):
        raise BadResponseError(
            f"feed {feed_id}: {where} has no 'data.product_list' list; is this the XuetangX "
            "get_product_list API?",
            url=url,
        )
    count = data.get("count")
    valid_count = isinstance(count, int) and not isinstance(count, bool) and count >= 0
    return (count if valid_count else None), products or []


def map_products(
    products: list[Any], *, base_url: str, tz: tzinfo, default_language: str | None = "zh"
) -> list[Item]:
    """One page's products → courses and rejected items; a repeated ``sign`` is rejected."""
    items: list[Item] = []
    seen: set[str] = set()
    for raw in products:
        try:
            record = map_product(raw, base_url=base_url, tz=tz, default_language=default_language)
        except RecordError as exc:
            items.append(Rejected(reason=exc.reason, key=exc.key, raw=raw))
            continue
        if record.key in seen:
            reason = f"sign: {record.key} appears twice on this page; the first is kept"
            items.append(Rejected(reason=reason, key=record.key, raw=raw))
            continue
        seen.add(record.key)
        items.append(record)
    return items


def map_product(
    raw: Any, *, base_url: str, tz: tzinfo, default_language: str | None = "zh"
) -> CourseRecord:
    """One ``product_list`` item → a course with the runs the list itself tells. RecordError."""
    if not isinstance(raw, dict):
        raise RecordError(f"expected a product object, got {type(raw).__name__}")
    sign = raw.get("sign")
    if not isinstance(sign, str) or not sign.strip():
        raise RecordError("sign: missing course key")
    sign = sign.strip()
    title = clean_text(strip_highlight(raw.get("name")))
    if not title:
        raise RecordError("name: missing course title", key=sign)
    try:
        runs = runs_from_listing(raw, base_url=base_url, sign=sign, tz=tz)
        modified = parse_datetime(raw.get("modified"), "modified", default_tz=tz)
    except RecordError as exc:
        raise RecordError(exc.reason, key=sign) from None
    language = raw.get("language")
    org = raw.get("org")
    org_name = org.get("name") if isinstance(org, dict) else org  # {} when there is none
    return CourseRecord(
        key=sign,
        title=title,
        runs=runs,
        short_description=clean_text(strip_highlight(raw.get("short_intro"))),
        language=(clean_text(language) if isinstance(language, str) else None) or default_language,
        organization=clean_text(org_name) if isinstance(org_name, str) else None,
        subjects=subjects(raw),
        pacing=_course_pacing(runs),
        url=f"{base_url}/course/{quote(sign, safe='')}",
        image_url=_http_or_none(absolute_url(base_url, raw.get("cover"))),
        modified=modified,
        raw=raw,
    )


def strip_highlight(value: object) -> object:
    """Drop the ``<em>``/``</em>`` tags search wraps around matches; other values unchanged."""
    return _EM.sub("", value) if isinstance(value, str) else value


def subjects(raw: dict[str, Any]) -> tuple[str, ...]:
    """``classify_name`` then ``tag_titles`` (or ``tags[].title``), de-duplicated, order kept."""
    tags = raw.get("tag_titles")
    if not isinstance(tags, list):
        tags = [t.get("title") for t in _list(raw.get("tags")) if isinstance(t, dict)]
    found: dict[str, None] = {}
    for value in [*_list(raw.get("classify_name")), *tags]:
        text = clean_text(value) if isinstance(value, str) else None
        if text:
            found.setdefault(text, None)
    return tuple(found)


def runs_from_listing(
    raw: dict[str, Any], *, base_url: str, sign: str, tz: tzinfo
) -> tuple[CourseRun, ...]:
    """Runs from ``classroom_id`` and ``sku_class_time`` when terms are not fetched.

    ``sku_class_time`` holds ``[start, end]`` of the newest terms only, so it is paired with
    ``classroom_id`` from the end. A live course lists no ``classroom_id``; its ``live_status``
    object names the classroom instead (and is ``[]`` for ordinary courses).
    """
    ids = [i for i in _list(raw.get("classroom_id")) if _is_id(i)]
    live = raw.get("live_status")
    live_url = None
    if not ids and isinstance(live, dict) and _is_id(live.get("classroom_id")):
        ids = [live["classroom_id"]]
        course_sign = raw.get("course_sign") or sign
        if _is_id(live.get("leaf_id")):
            path = "/".join(quote(str(p), safe="") for p in (sign, course_sign, ids[0]))
            live_url = f"{base_url}/live/{path}/{live['leaf_id']}"
    times = [t for t in _list(raw.get("sku_class_time")) if isinstance(t, list) and t]
    dated = dict(zip(reversed(ids), reversed(times), strict=False))
    runs = []
    for cid in ids:
        start = end = pacing = None
        if cid in dated:
            span = dated[cid]
            start = parse_datetime(span[0], "sku_class_time", default_tz=tz)
            end = parse_datetime(
                span[1] if len(span) > 1 else None, "sku_class_time", default_tz=tz
            )
            pacing = None if end is None else "instructor"  # a live course has no end either
        url = live_url or f"{base_url}/course/{quote(sign, safe='')}/{cid}"
        runs.append(CourseRun(key=str(cid), start=start, end=end, pacing=pacing, url=url))
    return tuple(runs)


def map_classroom(body: Any, *, base_url: str, sign: str) -> tuple[CourseRun, ...]:
    """The classroom endpoint's ``current`` and ``history`` terms → runs. RecordError."""
    if not isinstance(body, dict):
        raise RecordError(f"classroom answer is {type(body).__name__}, not an object", key=sign)
    if "success" in body and not body["success"]:
        message = clean_text(body.get("message")) or "no message"
        raise RecordError(f"classroom answered success=false: {message}", key=sign)
    data = body.get("data") or {}
    if not isinstance(data, dict):
        raise RecordError("classroom: 'data' is not an object", key=sign)
    runs: dict[str, CourseRun] = {}
    for availability in ("current", "history"):
        terms = data.get(availability)
        terms = [] if terms is None else terms
        if not isinstance(terms, list):
            raise RecordError(f"classroom: '{availability}' is not a list", key=sign)
        for term in terms:
            run = _term(term, base_url=base_url, sign=sign, availability=availability)
            runs.setdefault(run.key, run)
    return tuple(runs.values())


def _term(term: Any, *, base_url: str, sign: str, availability: str) -> CourseRun:
    cid = term.get("classroom_id") if isinstance(term, dict) else None
    if not _is_id(cid):
        raise RecordError(f"classroom {availability}: a term without classroom_id", key=sign)
    try:
        end = from_epoch_millis(term.get("class_end"), "class_end")
        return CourseRun(
            key=str(cid),
            title=clean_text(term.get("classroom_name")),
            start=from_epoch_millis(term.get("class_start"), "class_start"),
            end=end,
            pacing="self" if end is None else "instructor",
            url=f"{base_url}/course/{quote(sign, safe='')}/{cid}",
            availability="current" if availability == "current" else "archived",
        )
    except RecordError as exc:
        raise RecordError(f"classroom {cid}: {exc.reason}", key=sign) from None


def _course_pacing(runs: tuple[CourseRun, ...]) -> str | None:
    """The course's pacing when all its runs agree; ``None`` when they differ or are unknown."""
    pacings = {r.pacing for r in runs}
    return pacings.pop() if len(pacings) == 1 else None


def _is_id(value: object) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and value.isdigit()
    )


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _http_or_none(url: str | None) -> str | None:
    return url if url and is_http_url(url) else None
