"""Open edX course-discovery: one course object with its nested runs → a record (pure).

Quirks decided here, each with a test: HTML in ``short_description`` (stripped like every
connector's summary, connectors.normalize.summary); a course without its own ``marketing_url``
takes its newest public run's; only public runs (published, not ``hidden``) supply course
pacing, effort or URL; UTM parameters on ``marketing_url`` (the catalog
endpoint ignores ``exclude_utm``, so ``utm_*`` is stripped here); relative marketing URLs;
``image.src`` null inside an object; seat prices as decimal strings;
``instructor_paced``/``self_paced``; IETF ``en-us`` → BCP 47 ``en-US``; ``instructors`` always
``[]`` (``staff`` is what is filled; the record has no instructor field, so neither is read);
old ``Org/Num/Run`` run keys.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from connectors.effort import describe_effort
from connectors.errors import RecordError
from connectors.feedlog import FeedLog
from connectors.normalize import (
    absolute_url,
    clean_text,
    language_tag,
    parse_datetime,
    summary,
    utc_iso,
)
from connectors.records import CourseRecord, CourseRun, Item, Rejected, is_http_url

log = logging.getLogger(__name__)

PACING = {"instructor_paced": "instructor", "self_paced": "self"}
FREE_SEATS = frozenset({"audit", "honor"})
#: Run ``status`` values a student can see (no status at all: an older service, taken as public).
PUBLIC_STATUSES = frozenset({None, "published"})
#: How far a course's timestamp may lead the server's ``Date`` header before it is distrusted.
CLOCK_SKEW = timedelta(minutes=5)
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
            FeedLog(log, feed_id).warning(
                "course %s changed at %s, after the server's own clock (%s); "
                "left out of the high-water mark",
                raw.get("key"),
                utc_iso(when),
                utc_iso(not_after),
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
    featured = _featured_run(raw, raw_runs, runs)
    owners = [o for o in raw.get("owners") or [] if isinstance(o, dict)]
    image = raw.get("image")
    if not isinstance(image, dict):
        image = {}
    subjects = (clean_text(s.get("name")) for s in raw.get("subjects") or [] if isinstance(s, dict))
    language = next((t for r in raw_runs if (t := language_tag(r.get("content_language")))), None)
    return CourseRecord(
        key=key,
        title=title,
        runs=tuple(runs),
        short_description=summary(raw.get("short_description")),
        description=clean_text(raw.get("full_description")),
        language=language,
        organization=(
            clean_text(owners[0].get("name")) or clean_text(owners[0].get("key"))
            if owners
            else None
        ),
        subjects=tuple(dict.fromkeys(s for s in subjects if s)),
        level=clean_text(raw.get("level_type")),
        effort=_effort(featured, language),
        pacing=PACING.get(str(featured.get("pacing_type"))) if featured else None,
        url=clean_url(base_url, raw.get("marketing_url")) or _run_url(raw_runs, runs),
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


def is_public(run: dict[str, Any]) -> bool:
    """True for a run students can see: published (or of unknown status) and not ``hidden``."""
    return run.get("hidden") is not True and run.get("status") in PUBLIC_STATUSES


def _featured_run(
    raw: dict[str, Any], raws: list[Any], runs: list[CourseRun]
) -> dict[str, Any] | None:
    """The run the course advertises, else its newest public one: it supplies course pacing and
    effort. A run that is not public never does."""
    wanted = raw.get("advertised_course_run_uuid")
    advertised = next((r for r in raws if wanted and r.get("uuid") == wanted), None)
    if advertised is not None and is_public(advertised):
        return advertised
    newest = _newest_public(raws, runs)
    return raws[newest] if newest is not None else None


def _run_url(raws: list[Any], runs: list[CourseRun]) -> str | None:
    """The newest public run's marketing URL, for a course that has none of its own."""
    newest = _newest_public(raws, runs, with_url=True)
    return runs[newest].url if newest is not None else None


def _newest_public(raws: list[Any], runs: list[CourseRun], *, with_url: bool = False) -> int | None:
    """Index of the public run that starts last (a run without a start counts as oldest; on a
    tie, the later in the list), or None."""
    best: tuple[float, int] | None = None
    for i, run in enumerate(runs):
        if not is_public(raws[i]) or (with_url and run.url is None):
            continue
        rank = (run.start.timestamp() if run.start else float("-inf"), i)
        best = rank if best is None or rank > best else best
    return best[1] if best is not None else None


def _effort(run: dict[str, Any] | None, language: str | None) -> str | None:
    """``min_effort`` / ``max_effort`` are whole hours per week, said in the course's language."""
    values = ((run or {}).get("min_effort"), (run or {}).get("max_effort"))
    hours = sorted({v for v in values if isinstance(v, int) and v > 0})
    return describe_effort(hours[0], hours[-1], language=language) if hours else None


def _any(values: Iterator[bool | None]) -> bool | None:
    """True if any is True, False if all known ones are False, None if none is known."""
    known = [v for v in values if v is not None]
    return any(known) if known else None
