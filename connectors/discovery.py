"""Open edX course-discovery Catalog API: ``GET {base_url}/api/v1/courses/`` (shared/formats §2).

Unlike the LMS, discovery lists *courses* (``HarvardX+CS50x``) with their runs nested, so one
result is one record. JWT auth is required; the token comes from the **LMS**, so ``[feeds.auth]
token_url`` must be set. The DRF envelope (``count/next/previous/results``) is followed by its
``next`` link, page-number or limit/offset style alike.

Incremental harvests: ``?timestamp=`` filters on ``data_modified_timestamp >= value``. The cursor
keeps the newest such value the *server* reported (never our clock), and the next run asks from
it minus ``overlap_minutes``. ``data_modified_timestamp`` is preferred over ``modified`` because
it is the field the filter compares and it moves only when the data changes: ``modified`` moves
on every save (nightly re-saves, publication), so a mark taken from it could run ahead of changes
not yet seen. A course without ``data_modified_timestamp`` has not been saved since the field was
added (any save sets it), so its ``modified`` is old and falling back to it cannot push the mark
ahead. The filter never reveals deletions, so pages of an incremental harvest say
``incremental=True`` and the sync must still sweep in full now and then. The
``/catalogs/{id}/courses/`` endpoint applies no filters at all (course-discovery
``CatalogViewSet.courses``), so catalog harvests are always full sweeps.

Quirks handled here, each with a test: UTM parameters on ``marketing_url`` (``exclude_utm=1`` is
always sent, but the catalog endpoint ignores it, so ``utm_*`` is also stripped here); relative
marketing URLs; ``image.src`` null inside an object; seat prices as decimal strings;
``instructor_paced``/``self_paced``; IETF ``en-us`` → BCP 47 ``en-US``; ``instructors`` always
``[]`` (``staff`` is what is filled; the record has no instructor field, so neither is read);
old ``Org/Num/Run`` run keys; timestamps later than the server's own ``Date`` kept out of the mark.
"""

from __future__ import annotations

import email.utils
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from annotated_types import Ge, Le

from connectors.base import Connector, Fact, count_fact
from connectors.errors import AuthError, BadResponseError, FeedError, RecordError
from connectors.http import AuthProvider, HttpResponse, decode_json, redact_url
from connectors.normalize import absolute_url, clean_text, language_tag, parse_datetime
from connectors.paging import PageGuard, follow_next
from connectors.records import CourseRecord, CourseRun, Cursor, Item, Page, Rejected, is_http_url

log = logging.getLogger(__name__)

LIST_PATH = "/api/v1/courses/"
CATALOG_PATH = "/api/v1/catalogs/{id}/courses/"
PACING = {"instructor_paced": "instructor", "self_paced": "self"}
FREE_SEATS = frozenset({"audit", "honor"})
#: Seat types that lead to a certificate. ``honor`` does not: edX retired honor certificates.
CERTIFICATE_SEATS = frozenset(
    [
        "verified",
        "professional",
        "no-id-professional",
        "credit",
        "masters",
        "executive-education",
        "paid-executive-education",
        "unpaid-executive-education",
    ]
)
#: How far a course's timestamp may lead the server's ``Date`` header before it is distrusted.
CLOCK_SKEW = timedelta(minutes=5)


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

    def make_auth(self) -> AuthProvider | None:
        """Like the base class, but without the default token URL: discovery issues no tokens."""
        if self.feed.auth is not None and not self.feed.auth.token_url:
            self.http.close()
            raise AuthError(
                f"feed {self.feed.feed_id}: set [feeds.auth] token_url to the LMS token endpoint "
                "(https://<lms>/oauth2/access_token); course-discovery does not issue tokens"
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

    def harvest(self, cursor: Cursor) -> Iterator[Page]:
        state = dict(cursor or {})
        since = self._cursor_time(state, "since")
        high = self._cursor_time(state, "high") or since
        if state.get("next"):
            url, number = str(state["next"]), int(state.get("page") or 1)
            incremental = bool(state.get("incremental"))
        else:
            incremental = (
                since is not None and self.options.incremental and not self.options.catalog_id
            )
            url, number = self.first_url(since if incremental else None), 1
        guard = PageGuard(self.feed.feed_id, self.options.max_pages, "'next'")
        while True:
            guard.visit(url, url=url)
            response = self.http.request("GET", url, auth=self.auth)
            body = decode_json(response, feed_id=self.feed.feed_id, api=self.api)
            results, next_value, count = parse_envelope(body, url=url, feed_id=self.feed.feed_id)
            mark = high_water_mark(
                results, not_after=server_date(response), feed_id=self.feed.feed_id
            )
            high = max((t for t in (high, mark) if t is not None), default=None)
            next_url = self._checked_next(next_value, url)
            if next_url:
                new_cursor: Cursor = {
                    "next": next_url,
                    "page": number + 1,
                    "since": _iso(since),
                    "high": _iso(high),
                    "incremental": incremental,
                }
            else:
                new_cursor = {"since": _iso(high)} if high else None
            yield Page(
                items=tuple(map_courses(results, base_url=self.feed.base_url)),
                cursor=new_cursor,
                url=url,
                number=number,
                last=next_url is None,
                declared_total=count if isinstance(count, int) else None,
                incremental=incremental,
            )
            if next_url is None:
                return
            url, number = next_url, number + 1

    def diagnose(self, first: Page | None, error: FeedError | None) -> list[Fact]:
        """The API's count of courses, and whether later runs can be incremental."""
        if self.options.catalog_id:
            how = f"catalog {self.options.catalog_id}: every run reads it in full (no filters)"
        elif self.options.incremental:
            how = "later runs ask only for changes (?timestamp=)"
        else:
            how = "every run reads it in full (options.incremental = false)"
        return count_fact(first, "courses with their runs", how)

    def _cursor_time(self, state: dict[str, Any], name: str) -> datetime | None:
        try:
            return parse_datetime(state.get(name), f"cursor.{name}")
        except RecordError as exc:
            log.warning("feed %s: %s; harvesting in full", self.feed.feed_id, exc.reason)
            return None

    def _checked_next(self, value: object, current: str) -> str | None:
        url = follow_next(
            value,
            base_url=self.feed.base_url,
            current=current,
            feed_id=self.feed.feed_id,
            what="'next'",
        )
        if url is None:
            return None
        nxt = urlsplit(url)
        query = nxt.query
        if "exclude_utm" not in dict(parse_qsl(query)):
            query = f"{query}&exclude_utm=1" if query else "exclude_utm=1"
        return urlunsplit((nxt.scheme, nxt.netloc, nxt.path, query, ""))


def parse_envelope(body: Any, *, url: str, feed_id: str) -> tuple[list[Any], Any, Any]:
    """``results``, ``next`` and ``count`` of one DRF page, or BadResponseError naming the URL."""
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("results"), list)
        or ("next" not in body)
    ):
        got = type(body).__name__ if not isinstance(body, dict) else f"keys {sorted(body)[:6]}"
        raise BadResponseError(
            f"feed {feed_id}: {redact_url(url)} is not a course-discovery course list (expected "
            f"an object with 'count', 'next' and 'results', got {got})",
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


def changed_at(raw: dict[str, Any]) -> datetime | None:
    """When the course's data last changed: ``data_modified_timestamp``, else ``modified``."""
    return parse_datetime(
        raw.get("data_modified_timestamp"), "data_modified_timestamp"
    ) or parse_datetime(raw.get("modified"), "modified")


def high_water_mark(
    results: list[Any], *, not_after: datetime | None = None, feed_id: str = ""
) -> datetime | None:
    """The newest change time on a page. Values later than the server's own clock are skipped:
    one future-dated row would otherwise stall every incremental run, full sweeps included."""
    best: datetime | None = None
    for raw in results:
        try:
            when = changed_at(raw) if isinstance(raw, dict) else None
        except RecordError:
            continue  # the course is rejected for it; its value says nothing reliable
        if when is None:
            continue
        if not_after is not None and when > not_after + CLOCK_SKEW:
            log.warning(
                "feed %s: course %s changed at %s, after the server's own clock (%s); "
                "left out of the high-water mark",
                feed_id,
                raw.get("key"),
                _iso(when),
                _iso(not_after),
            )
            continue
        best = when if best is None else max(best, when)
    return best


def map_courses(results: list[Any], *, base_url: str) -> list[Item]:
    """One page's results → records, and rejected items with their reasons."""
    items: list[Item] = []
    for raw in results:
        try:
            items.append(map_course(raw, base_url=base_url))
        except RecordError as exc:
            items.append(Rejected(reason=exc.reason, key=exc.key, raw=raw))
    return items


def map_course(raw: Any, *, base_url: str) -> CourseRecord:
    """One course object → a record with its runs. Raises RecordError."""
    if not isinstance(raw, dict):
        raise RecordError(f"expected a course object, got {type(raw).__name__}")
    key = raw.get("key")
    if not isinstance(key, str) or not key.strip():
        raise RecordError("key: missing course key")
    key = key.strip()
    title = clean_text(raw.get("title"))
    if not title:
        raise RecordError("title: missing", key=key)
    try:
        raw_runs = raw.get("course_runs") or []
        if not isinstance(raw_runs, list):
            raise RecordError("course_runs: expected a list")
        runs = [map_run(r, i, base_url=base_url) for i, r in enumerate(raw_runs)]
        modified = changed_at(raw)
    except RecordError as exc:
        raise RecordError(exc.reason, key=key) from None
    featured = _featured_run(raw, raw_runs)
    owners = [o for o in raw.get("owners") or [] if isinstance(o, dict)]
    image = raw.get("image")
    if not isinstance(image, dict):
        image = {}
    subjects = (clean_text(s.get("name")) for s in raw.get("subjects") or [] if isinstance(s, dict))
    return CourseRecord(
        key=key,
        title=title,
        runs=tuple(runs),
        short_description=clean_text(raw.get("short_description")),
        description=clean_text(raw.get("full_description")),
        language=next(
            (t for r in raw_runs if (t := language_tag(r.get("content_language")))), None
        ),
        organization=(
            clean_text(owners[0].get("name")) or clean_text(owners[0].get("key"))
            if owners
            else None
        ),
        subjects=tuple(dict.fromkeys(s for s in subjects if s)),
        level=clean_text(raw.get("level_type")),
        effort=_effort(featured),
        pacing=PACING.get(str(featured.get("pacing_type"))) if featured else None,
        url=clean_url(base_url, raw.get("marketing_url")),
        image_url=clean_url(base_url, image.get("src") or raw.get("card_image_url")),
        is_free=_any(r.is_free for r in runs),
        certificate=_any(r.certificate for r in runs),
        modified=modified,
        raw=raw,
    )


def map_run(raw: Any, index: int, *, base_url: str) -> CourseRun:
    """One nested run → a CourseRun; reasons name the run and the field. Raises RecordError."""
    if not isinstance(raw, dict):
        raise RecordError(f"course_runs[{index}]: expected a run object")
    key = raw.get("key")
    if not isinstance(key, str) or not key.strip():
        raise RecordError(f"course_runs[{index}].key: missing run key")
    where = f"course_runs[{key.strip()}]"
    is_free, price, currency, certificate = seat_facts(raw.get("seats"), where)
    return CourseRun(
        key=key.strip(),
        title=clean_text(raw.get("title")),
        start=parse_datetime(raw.get("start"), f"{where}.start"),
        end=parse_datetime(raw.get("end"), f"{where}.end"),
        enrollment_start=parse_datetime(raw.get("enrollment_start"), f"{where}.enrollment_start"),
        enrollment_end=parse_datetime(raw.get("enrollment_end"), f"{where}.enrollment_end"),
        pacing=PACING.get(str(raw.get("pacing_type"))),
        url=clean_url(base_url, raw.get("marketing_url")),
        availability=(clean_text(raw.get("availability")) or "").lower() or None,
        is_free=is_free,
        price=price,
        currency=currency,
        certificate=certificate,
    )


def seat_facts(seats: Any, where: str) -> tuple[bool | None, str | None, str | None, bool | None]:
    """(is_free, cheapest paid price, its currency, certificate) from a run's ``seats``.

    Prices are decimal strings ("149.00"); an audit or honor seat, or a price of zero, is free.
    No seats at all says nothing: every fact is ``None``.
    """
    if not isinstance(seats, list) or not seats:
        return None, None, None, None
    free = certificate = False
    cheapest: tuple[Decimal, str, str | None] | None = None
    for i, seat in enumerate(seats):
        if not isinstance(seat, dict):
            continue
        kind = str(seat.get("type") or "").lower()
        certificate = certificate or kind in CERTIFICATE_SEATS
        amount, text = _price(seat.get("price"), f"{where}.seats[{i}].price")
        if kind in FREE_SEATS or amount == 0:
            free = True
        elif amount is not None and (cheapest is None or amount < cheapest[0]):
            currency = str(seat.get("currency") or "").strip().upper()
            cheapest = (amount, text, currency if re.fullmatch(r"[A-Z]{3}", currency) else None)
    if cheapest is None:
        return free, None, None, certificate
    return free, cheapest[1], cheapest[2], certificate


def _price(value: object, field: str) -> tuple[Decimal | None, str]:
    """A seat price: a decimal string, ``None`` when the source leaves it out."""
    if value is None or value == "":
        return None, ""
    text = str(value).strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise RecordError(f"{field}: not a decimal {text[:20]!r}") from None
    if not amount.is_finite() or amount < 0:
        raise RecordError(f"{field}: not a decimal {text[:20]!r}")
    return amount, text


def clean_url(base_url: str, value: object) -> str | None:
    """An absolute http(s) URL without ``utm_*`` parameters, or ``None``."""
    url = absolute_url(base_url, value)
    if url is None or not is_http_url(url):
        return None
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in query if not k.lower().startswith("utm_")]
    if len(kept) == len(query):
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), parts.fragment))


def _featured_run(raw: dict[str, Any], runs: list[Any]) -> dict[str, Any] | None:
    """The run the course advertises, else its latest: it supplies course pacing and effort."""
    wanted = raw.get("advertised_course_run_uuid")
    latest = runs[-1] if runs else None
    return next((r for r in runs if wanted and r.get("uuid") == wanted), latest)


def _effort(run: dict[str, Any] | None) -> str | None:
    """``min_effort`` / ``max_effort`` are whole hours per week."""
    values = ((run or {}).get("min_effort"), (run or {}).get("max_effort"))
    hours = sorted({v for v in values if isinstance(v, int) and v > 0})
    return f"{'–'.join(map(str, hours))} hours per week" if hours else None


def _any(values: Iterator[bool | None]) -> bool | None:
    """True if any is True, False if all known ones are False, None if none is known."""
    known = [v for v in values if v is not None]
    return any(known) if known else None


def _iso(when: datetime | None) -> str | None:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z") if when else None
