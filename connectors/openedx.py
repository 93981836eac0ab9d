"""Open edX LMS Courses API: ``GET {base_url}/api/courses/v1/courses/`` (shared/formats §1).

The API lists course *runs* (``course-v1:ORG+NUM+RUN``); a student thinks in courses
(``ORG+NUM``). Each page's runs are grouped under their course, and the newest run supplies the
course-level fields (its ``precedence``). When runs of one course fall on different pages the
catalog merges them, keeping the fields of the highest precedence.

Quirks handled here, each with a test: the relative ``media.course_image.uri``; ``start_type:
"empty"`` with its 2030 sentinel start; ``name`` with only ``<`` and ``>`` escaped; hidden and
invitation-only runs (left out unless an option says otherwise); absolute ``pagination.next``
links that must stay on the platform's host and never repeat.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from annotated_types import Ge, Le

from connectors.base import Connector, Fact, count_fact
from connectors.errors import BadResponseError, FeedError, RecordError
from connectors.http import conditional_headers, decode_json, response_validators
from connectors.normalize import absolute_url, clean_text, guess_language, parse_datetime
from connectors.paging import PageGuard, follow_next
from connectors.records import CourseRecord, CourseRun, Cursor, Item, Page, Rejected
from connectors.unchanged import carried_over, page_digest, same_as_before, with_digest

log = logging.getLogger(__name__)

LIST_PATH = "/api/courses/v1/courses/"
NO_START_SENTINEL = "2030-01-01T00:00:00Z"


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


class OpenEdxConnector(Connector[OpenEdxOptions]):
    """Harvests an Open edX LMS through its public Courses API."""

    kind = "openedx"
    accepts_auth = True
    Options = OpenEdxOptions
    description = "Open edX LMS Courses API (/api/courses/v1/courses/), runs grouped into courses"
    api = "Open edX Courses API"

    def first_url(self) -> str:
        params = f"page_size={self.options.page_size}"
        if self.options.org:
            params += f"&org={quote(self.options.org)}"
        return f"{self.feed.base_url.rstrip('/')}{LIST_PATH}?{params}"

    def harvest(self, cursor: Cursor) -> Iterator[Page]:
        url = (cursor or {}).get("next") or self.first_url()
        number = int((cursor or {}).get("page") or 1)
        # Validators of the last complete harvest, by URL (the sync passes them in): pages are
        # asked for conditionally and a 304 stands for the page as it was.
        validators: dict[str, Any] = (cursor or {}).get("validators") or {}
        guard = PageGuard(self.feed.feed_id, self.options.max_pages, "pagination.next")
        while True:
            guard.visit(url, url=url)
            known = validators.get(url)
            headers = conditional_headers(known)
            response = self.http.request(
                "GET",
                url,
                headers=headers,
                auth=self.auth,
                accept_statuses=frozenset({304}) if headers else frozenset(),
            )
            digest = None
            if response.status != 304:
                digest = page_digest(self.fingerprint, response.content)
            if known is not None and (response.status == 304 or same_as_before(known, digest)):
                page = carried_over(
                    url, number, known, with_digest(response_validators(response), digest)
                )
                yield page
                if page.cursor is None:
                    return
                url, number = page.cursor["next"], int(page.cursor.get("page") or number + 1)
                continue
            body = decode_json(response, feed_id=self.feed.feed_id, api=self.api)
            results, pagination = parse_envelope(body, url=url, feed_id=self.feed.feed_id)
            items = map_runs(
                results,
                base_url=self.feed.base_url,
                include_hidden=self.options.include_hidden,
                include_invitation_only=self.options.include_invitation_only,
                default_language=self.options.language,
            )
            next_url = follow_next(
                pagination.get("next"),
                base_url=self.feed.base_url,
                current=url,
                feed_id=self.feed.feed_id,
                what="pagination.next",
            )
            count = pagination.get("count")
            yield Page(
                items=tuple(items),
                cursor={"next": next_url, "page": number + 1} if next_url else None,
                url=url,
                number=number,
                last=next_url is None,
                declared_total=count if isinstance(count, int) else None,
                source_count=len(results),
                validators=with_digest(response_validators(response), digest),
            )
            if next_url is None:
                return
            url = next_url
            number += 1

    def diagnose(self, first: Page | None, error: FeedError | None) -> list[Fact]:
        """The API's count: runs, which the catalog groups into fewer courses."""
        return count_fact(first, "course runs", "grouped into courses (ORG+NUM) as they arrive")


def parse_envelope(body: Any, *, url: str, feed_id: str) -> tuple[list[Any], dict[str, Any]]:
    """``results`` and ``pagination`` of one page, or BadResponseError naming what is wrong."""
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        got = type(body).__name__ if not isinstance(body, dict) else f"keys {sorted(body)[:6]}"
        raise BadResponseError(
            f"feed {feed_id}: {url} is not an Open edX course list (expected an object with "
            f"'results' and 'pagination', got {got})",
            url=url,
        )
    pagination = body.get("pagination")
    if not isinstance(pagination, dict):
        raise BadResponseError(
            f"feed {feed_id}: {url} has no 'pagination' object; is this the Courses API v1?",
            url=url,
        )
    return body["results"], pagination


def course_key(run_id: str) -> str:
    """``course-v1:ORG+NUM+RUN`` → ``ORG+NUM`` (also old ``ORG/NUM/RUN`` and ``ccx-v1:`` keys)."""
    if ":" in run_id and run_id.split(":", 1)[0] in ("course-v1", "ccx-v1"):
        parts = run_id.split(":", 1)[1].split("+")
    else:
        parts = run_id.split("/")
    if len(parts) < 3 or not parts[0] or not parts[1]:
        raise RecordError(f"id: {run_id!r} is not an Open edX course run key", key=run_id or None)
    return f"{parts[0]}+{parts[1]}"


def unescape_name(name: str) -> str:
    """The LMS escapes only ``<`` and ``>`` in names (``&`` stays raw), so undo exactly that."""
    return name.replace("&lt;", "<").replace("&gt;", ">")


@dataclass(frozen=True, slots=True)
class _MappedRun:
    course_key: str
    run: CourseRun
    raw: dict[str, Any]
    #: ``_precedence(run)``, computed once.
    precedence: str = ""


def map_run(raw: Any, *, base_url: str) -> _MappedRun:
    """One run object of the API → the run and its course key. Raises RecordError."""
    if not isinstance(raw, dict):
        raise RecordError(f"expected a course object, got {type(raw).__name__}")
    run_id = raw.get("id") or raw.get("course_id")
    if not isinstance(run_id, str) or not run_id.strip():
        raise RecordError("id: missing course run key")
    run_id = run_id.strip()
    key = course_key(run_id)
    try:
        start = parse_datetime(raw.get("start"), "start")
        if raw.get("start_type") == "empty" or (
            raw.get("start") == NO_START_SENTINEL and raw.get("start_type") is None
        ):
            start = None
        run = CourseRun(
            key=run_id,
            title=clean_text(unescape_name(raw.get("name") or "")),
            start=start,
            end=parse_datetime(raw.get("end"), "end"),
            enrollment_start=parse_datetime(raw.get("enrollment_start"), "enrollment_start"),
            enrollment_end=parse_datetime(raw.get("enrollment_end"), "enrollment_end"),
            pacing=raw.get("pacing") if raw.get("pacing") in ("instructor", "self") else None,
            url=absolute_url(base_url, f"/courses/{run_id}/about"),
        )
    except RecordError as exc:
        raise RecordError(f"{exc.reason}", key=run_id) from None
    return _MappedRun(key, run, raw, _precedence(run))


def map_runs(
    results: list[Any],
    *,
    base_url: str,
    include_hidden: bool = False,
    include_invitation_only: bool = False,
    default_language: str | None = None,
) -> list[Item]:
    """One page's runs → courses (runs grouped, in first-seen order) and rejected items."""
    groups: dict[str, list[_MappedRun]] = {}
    items: list[Item] = []
    for raw in results:
        if isinstance(raw, dict):
            if raw.get("hidden") and not include_hidden:
                continue
            if raw.get("invitation_only") and not include_invitation_only:
                continue
        try:
            mapped = map_run(raw, base_url=base_url)
        except RecordError as exc:
            items.append(Rejected(reason=exc.reason, key=exc.key, raw=raw))
            continue
        groups.setdefault(mapped.course_key, []).append(mapped)
    for key, runs in groups.items():
        try:
            items.append(_course(key, runs, base_url=base_url, default_language=default_language))
        except RecordError as exc:
            items.append(Rejected(reason=exc.reason, key=key, raw=[m.raw for m in runs]))
    return items


def _precedence(run: CourseRun) -> str:
    start = run.start.strftime("%Y-%m-%dT%H:%M:%S") if run.start else "0000"
    return f"{start}|{run.key}"


def _course(
    key: str, runs: list[_MappedRun], *, base_url: str, default_language: str | None
) -> CourseRecord:
    best = max(runs, key=lambda m: m.precedence)
    raw = best.raw
    title = best.run.title
    if not title:
        raise RecordError("name: empty course title", key=key)
    short = clean_text(raw.get("short_description"))
    media = raw.get("media")
    if not isinstance(media, dict):
        media = {}
    image = _media_uri(media, "course_image", "uri") or _media_uri(media, "image", "raw")
    return CourseRecord(
        key=key,
        title=title,
        runs=tuple(m.run for m in runs),
        short_description=short,
        language=guess_language(title, short, default=default_language),
        organization=clean_text(raw.get("org")),
        effort=clean_text(raw.get("effort")),
        pacing=best.run.pacing,
        url=best.run.url,
        image_url=absolute_url(base_url, image),
        precedence=best.precedence,
        raw=[m.raw for m in runs],
    )


def _media_uri(media: dict[str, Any], name: str, field: str) -> str | None:
    entry = media.get(name)
    value = entry.get(field) if isinstance(entry, dict) else None
    return value if isinstance(value, str) and value else None
