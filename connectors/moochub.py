"""MOOChub: ``GET {base_url}/courses`` pages in JSON:API style (shared/formats §4).

MOOChub is the course-exchange format of openHPI, KI-Campus, iMooX and Moodle's ``local_ildmeta``.
Each item is one *course*; its ``startDate``/``endDate`` (arrays in v3, single strings in v2.3)
become the runs. The version is negotiated in the ``Accept`` header; a server that cannot serve it
answers 406, and one that will stop serving it sends ``Sunset``. MOOChub has no incremental
query, so every harvest reads the whole feed.

Items are mapped per item, whichever version they follow (v3 ``type: "Course"``, v2.3
``type: "courses"``), because real servers mix them. Quirks handled here, each with a test:
``data`` as one object instead of a list (the official v3 example); ``identifier`` instead of
``url`` in organisations; xikolo's ``offers`` with snake_case keys next to the schema's ``offer``;
omitted versus null keys; dates with and without milliseconds; v2 leftovers beside v3 fields;
Markdown in v2 texts (kept as text); MultilingualLabel names; ``links.next`` absent, null, a
JSON:API link object, repeated or pointing to another host.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from annotated_types import Ge

from connectors.base import Connector, Fact
from connectors.errors import BadResponseError, FeedError, HttpStatusError, RecordError
from connectors.http import HttpResponse, decode_json, redact_url
from connectors.normalize import (
    absolute_url,
    clean_text,
    language_tag,
    parse_datetime,
    summary,
)
from connectors.paging import PageGuard, follow_next, same_host
from connectors.records import CourseRecord, CourseRun, Cursor, Item, Page, Rejected, is_http_url
from connectors.unchanged import carried_over, page_digest, same_as_before

log = logging.getLogger(__name__)

SHORT_DESCRIPTION_CHARS = 300
_PACING = {"asynchronous": "self", "synchronous": "instructor"}


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

    def harvest(self, cursor: Cursor) -> Iterator[Page]:
        feed_id = self.feed.feed_id
        url, number = self.first_url(), 1
        saved = (cursor or {}).get("next")
        if saved and same_host(saved, self.feed.base_url):
            url, number = saved, int((cursor or {}).get("page") or 2)
        elif saved:  # base_url moved to another host since the cursor was saved
            log.warning("feed %s: saved cursor is not on base_url's host; starting over", feed_id)
        # The last complete harvest's page digests (connectors/unchanged.py), by URL.
        validators: dict[str, Any] = (cursor or {}).get("validators") or {}
        guard = PageGuard(feed_id, self.options.max_pages, "links.next")
        self._sunset_warned = False
        while True:
            guard.visit(url, url=url)
            response = self._fetch(url)
            digest = page_digest(self.fingerprint, response.content)
            known = validators.get(url)
            if known is not None and same_as_before(known, digest):
                page = carried_over(url, number, known, {"digest": digest})
                yield page
                if page.cursor is None:
                    return
                url, number = page.cursor["next"], int(page.cursor.get("page") or number + 1)
                continue
            body = decode_json(response, feed_id=self.feed.feed_id, api=self.api)
            data, links = parse_envelope(body, url, feed_id)
            next_url = self._checked_next(links.get("next"), url)
            yield Page(
                items=tuple(
                    map_items(data, base_url=self.feed.base_url, language=self.options.language)
                ),
                cursor={"next": next_url, "page": number + 1} if next_url else None,
                url=url,
                number=number,
                last=next_url is None,
                validators={"digest": digest},
            )
            if next_url is None:
                return
            url, number = next_url, number + 1

    def _fetch(self, url: str) -> HttpResponse:
        """One page; 406 (version not served) fails the feed, Sunset warns once."""
        version = self.options.version
        response = self.http.request(
            "GET",
            url,
            headers={"Accept": f"application/vnd.api+json; moochub-version={version}"},
            accept_statuses=frozenset({406}),
        )
        if response.status == 406:
            raise HttpStatusError(
                f"feed {self.feed.feed_id}: {redact_url(url)} answered 406: it does not serve "
                f"MOOChub version {version}{_problem_title(response.content)}; set "
                'options.version to one it supports ("3" or "2.3")',
                url=url,
                status=406,
            )
        sunset = response.headers.get("Sunset")
        self._answered = (answered_version(response.headers.get("Content-Type", "")), sunset)
        if sunset and not self._sunset_warned:
            self._sunset_warned = True
            log.warning(
                "feed %s: the server will stop serving MOOChub version %s on %s (Sunset "
                "header); move options.version to a newer one",
                self.feed.feed_id,
                version,
                sunset,
            )
        return response

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

    def _checked_next(self, value: object, current: str) -> str | None:
        if isinstance(value, dict):  # JSON:API 1.1 link object
            value = value.get("href")
        return follow_next(
            value,
            base_url=self.feed.base_url,
            current=current,
            feed_id=self.feed.feed_id,
            what="links.next",
        )


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
            f"feed {feed_id}: {redact_url(url)} is not a MOOChub course list (expected an object "
            f"with 'data' and 'links', got {got})",
            url=url,
        )
    data = body.get("data")
    if isinstance(data, dict):
        data = [data]
    elif data is None:
        data = []
    elif not isinstance(data, list):
        raise BadResponseError(
            f"feed {feed_id}: 'data' in {redact_url(url)} is a {type(data).__name__}, not a list",
            url=url,
        )
    links = body.get("links")
    return data, links if isinstance(links, dict) else {}


def schema_version(item: dict[str, Any]) -> str:
    """``"2.3"`` for v2 items (``type: "courses"`` or only v2 attributes), else ``"3"``."""
    kind = item.get("type")
    if kind in ("courses", "Course"):
        return "2.3" if kind == "courses" else "3"
    attrs = item.get("attributes") or {}
    v2_only = {"moocProvider", "languages", "courseLicenses"} & attrs.keys()
    v3_only = {"publisher", "inLanguage", "license", "learningResourceType"} & attrs.keys()
    return "2.3" if v2_only and not v3_only else "3"


def map_items(data: list[Any], *, base_url: str, language: str | None = None) -> list[Item]:
    """One page's items → records, or Rejected with a reason; an id seen twice is rejected."""
    items: list[Item] = []
    seen: set[str] = set()
    for raw in data:
        try:
            record = map_course(raw, base_url=base_url, language=language)
        except RecordError as exc:
            items.append(Rejected(reason=exc.reason, key=exc.key, raw=raw))
            continue
        if record.key in seen:
            items.append(Rejected("id: appears twice on this page", key=record.key, raw=raw))
            continue
        seen.add(record.key)
        items.append(record)
    return items


def map_course(raw: Any, *, base_url: str, language: str | None = None) -> CourseRecord:
    """One MOOChub item (v3 or v2.3) → a course with its runs. Raises RecordError."""
    if not isinstance(raw, dict):
        raise RecordError(f"expected a course object, got {type(raw).__name__}")
    key = clean_text(raw.get("id")) if isinstance(raw.get("id"), str | int) else None
    if not key:
        raise RecordError("id: missing course id")
    attrs = raw.get("attributes")
    if not isinstance(attrs, dict):
        raise RecordError("attributes: missing", key=key)
    v2 = schema_version(raw) == "2.3"
    langs = [
        t for t in map(language_tag, _as_list(_pick(attrs, v2, "inLanguage", "languages"))) if t
    ]
    prefer = [language, *langs[:1]]
    title = _label(attrs.get("name"), prefer)
    if not title:
        raise RecordError("name: missing course title", key=key)
    description = clean_text(attrs.get("description"))
    image = attrs.get("image")
    if isinstance(image, dict):
        image = _pick(image, v2, "contentUrl", "url")
    offers = [
        offer
        for item in _as_list(attrs.get("offer") or attrs.get("offers"))
        if (offer := _offer(item))
    ]
    access = [str(a).lower() for a in _as_list(attrs.get("access"))]
    modes = {str(m).lower() for m in _as_list(attrs.get("courseMode"))}
    pacings = {_PACING[m] for m in modes if m in _PACING}
    try:
        record = CourseRecord(
            key=key,
            title=title,
            short_description=summary(attrs.get("abstract")) or summary(description),
            description=description,
            language=langs[0] if langs else None,
            organization=_label(_pick(attrs, v2, "publisher", "moocProvider"), prefer),
            subjects=_subjects(attrs, prefer),
            level=_level(attrs.get("educationalLevel"), prefer),
            effort=_effort(attrs.get("workload")),
            credits=_number(attrs.get("numberOfCredits")),
            pacing=pacings.pop() if len(pacings) == 1 else None,
            url=_http_url(base_url, attrs.get("url")),
            image_url=_http_url(base_url, image),
            is_free=_is_free(access, offers),
            certificate=_certificate(attrs.get("educationalCredentialsAwarded"), offers),
            modified=parse_datetime(attrs.get("dateModified"), "dateModified"),
            raw=raw,
        )
        return replace(record, runs=_runs(key, attrs, record, offers))
    except RecordError as exc:
        raise RecordError(exc.reason, key=key) from None


def _runs(
    key: str, attrs: dict[str, Any], course: CourseRecord, offers: list[tuple[Decimal, str, str]]
) -> tuple[CourseRun, ...]:
    """Pair the i-th start with the i-th end; a course without dates gets one undated run."""
    starts = [parse_datetime(v, "startDate") for v in _as_list(attrs.get("startDate"))]
    ends = [parse_datetime(v, "endDate") for v in _as_list(attrs.get("endDate"))]
    pairs = [
        (starts[i] if i < len(starts) else None, ends[i] if i < len(ends) else None)
        for i in range(max(len(starts), len(ends), 1))
    ]
    enrollment_start = parse_datetime(attrs.get("applicationStartDate"), "applicationStartDate")
    enrollment_end = parse_datetime(attrs.get("applicationDeadline"), "applicationDeadline")
    top = max(offers, default=None)  # the dearest option is "the paid one"; all free: 0.00
    runs: list[CourseRun] = []
    used: set[str] = set()
    for start, end in dict.fromkeys(pairs):  # the same run listed twice is one run
        stem = f"{key}@{start.date().isoformat() if start else 'undated'}"
        run_key, n = stem, 2
        while run_key in used:  # two runs starting on one day: keep both, in source order
            run_key, n = f"{stem}#{n}", n + 1
        used.add(run_key)
        runs.append(
            CourseRun(
                key=run_key,
                start=start,
                end=end,
                enrollment_start=enrollment_start,
                enrollment_end=enrollment_end,
                pacing=course.pacing,
                url=course.url,
                is_free=course.is_free,
                price=f"{top[0]:.2f}" if top else None,
                currency=top[1] if top else None,
                certificate=course.certificate,
            )
        )
    return tuple(runs)


def _pick(attrs: dict[str, Any], v2: bool, v3_key: str, v2_key: str) -> Any:
    """The attribute under the item's own version's key, else under the other's (mixed items)."""
    first, second = (v2_key, v3_key) if v2 else (v3_key, v2_key)
    value = attrs.get(first)
    return value if value not in (None, "", [], {}) else attrs.get(second)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _label(value: Any, prefer: list[str | None]) -> str | None:
    """A name from a string, an object with ``name``, or a MultilingualLabel list.

    From ``[{inLanguage, name}]`` the first preferred language wins (``de`` matches ``de-DE``),
    else the first entry.
    """
    if isinstance(value, dict):
        if "name" not in value:  # a {"de": "...", "en": "..."} map
            value = [{"inLanguage": k, "name": v} for k, v in value.items()]
        else:
            return _label(value["name"], prefer)
    if isinstance(value, list):
        labels = [v for v in value if isinstance(v, dict) and clean_text(v.get("name"))]
        for want in (p.lower() for p in prefer if p):
            for entry in labels:
                tag = str(entry.get("inLanguage") or "").lower().replace("_", "-")
                if tag == want or tag.split("-")[0] == want.split("-")[0]:
                    return _label(entry["name"], prefer)
        if labels:
            return _label(labels[0]["name"], prefer)
        strings = [v for v in value if isinstance(v, str) and v.strip()]
        return clean_text(strings[0]) if strings else None
    return clean_text(value) if isinstance(value, str | int | float) else None


def _level(levels: Any, prefer: list[str | None]) -> str | None:
    """The first educationalLevel's name ("INTERMEDIATE"), within the catalog's 64 characters."""
    first = _as_list(levels)[:1]
    name = _label(first[0], prefer) if first else None
    return name[:64] if name else None


def _subjects(attrs: dict[str, Any], prefer: list[str | None]) -> tuple[str, ...]:
    names = [_label(k, prefer) for k in _as_list(attrs.get("keywords"))]
    names += [_label(a, prefer) for a in _as_list(attrs.get("educationalAlignment"))]
    return tuple(dict.fromkeys(n[:255] for n in names if n))


def _effort(workload: Any) -> str | None:
    """v3 ``{timeValue: 4, timeUnit: "h/week"}`` or v2 hours per week ``4`` → ``"4 h/week"``."""
    if isinstance(workload, dict):
        value, unit = _number(workload.get("timeValue")), clean_text(workload.get("timeUnit"))
    else:
        value, unit = _number(workload), "h/week"
    if value is None or value <= 0:
        return None
    return f"{value:g} {unit}" if unit else f"{value:g} h"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _offer(raw: Any) -> tuple[Decimal, str, str] | None:
    """(price, currency, category) from the schema's ``offer`` or xikolo's snake_case ``offers``."""
    if not isinstance(raw, dict) or isinstance(raw.get("price"), bool):
        return None
    try:
        price = Decimal(str(raw.get("price")))
    except InvalidOperation:
        return None
    currency = str(raw.get("priceCurrency") or raw.get("price_currency") or "").upper()
    if not price.is_finite() or price < 0 or not re.fullmatch(r"[A-Z]{3}", currency):
        return None
    return price, currency, str(raw.get("category") or "").lower()


def _is_free(access: list[str], offers: list[tuple[Decimal, str, str]]) -> bool | None:
    if access:
        return "free" in access
    course_prices = [p for p, _, category in offers if category in ("course", "complete")]
    return min(course_prices) == 0 if course_prices else None


def _certificate(awarded: Any, offers: list[tuple[Decimal, str, str]]) -> bool | None:
    if any(category == "certificate" for _, _, category in offers):
        return True
    if awarded is None:
        return None
    return "certificate" in [str(a).lower() for a in _as_list(awarded)]


def _http_url(base_url: str, value: Any) -> str | None:
    url = absolute_url(base_url, value)
    return url if url and is_http_url(url) else None
