"""MOOChub items (v3 and v2.3) → course records, start dates → runs (pure).

Items are mapped per item, whichever version they follow (v3 ``type: "Course"``, v2.3
``type: "courses"``), because real servers mix them. Quirks decided here, each with a test:
``identifier`` instead of ``url`` in organisations; xikolo's ``offers`` with snake_case keys next
to the schema's ``offer``; omitted versus null keys; dates with and without milliseconds; v2
leftovers beside v3 fields; Markdown in v2 texts (kept as text); MultilingualLabel names. Fields
that dialects send differently (Moodle's plugins, string booleans, implausible workloads, course
modes, payment frequencies, Person publishers, expiry, run-key dates) are read in
connectors/moochub_fields.py.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from connectors.errors import RecordError
from connectors.feedlog import FeedLog
from connectors.moochub_fields import (
    Warn,
    attribute,
    course_mode,
    effort,
    expiry,
    flag,
    number,
    organization_value,
    payment_frequency,
    written_day,
)
from connectors.moochub_origin import ItemOrigins
from connectors.normalize import (
    clean_text,
    http_url,
    language_tag,
    map_each,
    parse_datetime,
    summary,
)
from connectors.records import CourseRecord, CourseRun, Item

log = logging.getLogger(__name__)

_PACING = {"asynchronous": "self", "synchronous": "instructor"}
#: Credentials that are a certificate: openHPI's graded "record of achievement" is one; a
#: "confirmation of participation" is not.
_CERTIFICATES = frozenset({"certificate", "record of achievement"})
#: (price, currency, category, payment frequency or "")
Offer = tuple[Decimal, str, str, str]


def schema_version(item: dict[str, Any]) -> str:
    """``"2.3"`` for v2 items (``type: "courses"`` or only v2 attributes), else ``"3"``."""
    kind = item.get("type")
    if kind in ("courses", "Course"):
        return "2.3" if kind == "courses" else "3"
    attrs = item.get("attributes") or {}
    v2_only = {"moocProvider", "languages", "courseLicenses"} & attrs.keys()
    v3_only = {"publisher", "inLanguage", "license", "learningResourceType"} & attrs.keys()
    return "2.3" if v2_only and not v3_only else "3"


def map_items(
    data: list[Any],
    *,
    base_url: str,
    language: str | None = None,
    feed_id: str = "",
    origins: ItemOrigins | None = None,
) -> list[Item]:
    """One page's items → records, or Rejected with a reason; an id seen twice is rejected.

    With ``origins``, each item gets its provenance chain and those that originated at this node
    are left out (connectors/moochub_origin.py).
    """
    items = map_each(
        data,
        partial(map_course, base_url=base_url, language=language, feed_id=feed_id),
        twice="id: appears twice on this page",
    )
    return items if origins is None else origins.trace_all(items)


def _warn(feed_id: str, key: str, message: str, *args: object) -> None:
    FeedLog(log, feed_id).warning(f"course %s: {message}", key, *args)


def map_course(
    raw: Any, *, base_url: str, language: str | None = None, feed_id: str = ""
) -> CourseRecord:
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
    warn: Warn = partial(_warn, feed_id, key)
    langs = [
        t for t in map(language_tag, _as_list(_pick(attrs, v2, "inLanguage", "languages"))) if t
    ]
    prefer = [language, *langs[:1]]
    title = _label(attrs.get("name"), prefer)
    if not title:
        raise RecordError("name: missing course title", key=key)
    description = clean_text(attribute(attrs, "description"))
    image = attrs.get("image")
    if isinstance(image, dict):
        image = _pick(image, v2, "contentUrl", "url")
    offers = [
        offer
        for item in _as_list(attrs.get("offer") or attrs.get("offers"))
        if (offer := _offer(item, warn))
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
            organization=_label(organization_value(attrs, v2), prefer),
            subjects=_subjects(attrs, prefer),
            level=_level(attrs.get("educationalLevel"), prefer),
            effort=effort(attrs.get("workload"), warn),
            credits=number(attrs.get("numberOfCredits")),
            pacing=pacings.pop() if len(pacings) == 1 else None,
            url=http_url(base_url, attribute(attrs, "url")),
            image_url=http_url(base_url, image),
            is_free=_is_free(access, attrs.get("isAccessibleForFree"), offers, warn),
            certificate=_certificate(attrs.get("educationalCredentialsAwarded"), offers),
            modified=parse_datetime(attrs.get("dateModified"), "dateModified"),
            mode=course_mode(modes, warn),
            expires=expiry(_as_list(attrs.get("expires"))),
            raw=raw,
        )
        return replace(record, runs=_runs(key, attrs, record, offers))
    except RecordError as exc:
        raise RecordError(exc.reason, key=key) from None


def _runs(
    key: str, attrs: dict[str, Any], course: CourseRecord, offers: list[Offer]
) -> tuple[CourseRun, ...]:
    """Pair the i-th start with the i-th end; a course without dates gets one undated run.

    A run's key is the course key and the start's date as the source wrote it (its own offset).
    """
    written = _as_list(attrs.get("startDate"))
    starts = [parse_datetime(v, "startDate") for v in written]
    days: dict[datetime, str] = {}
    for value, start in zip(written, starts, strict=True):
        if start:  # one instant written in two offsets is one run: the first spelling names it
            days.setdefault(start, written_day(value, start))
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
        stem = f"{key}@{days[start] if start else 'undated'}"
        run_key, n = stem, 2
        while run_key in used:  # two runs starting on one day: keep both, in source order
            run_key, n = f"{stem}#{n}", n + 1
        used.add(run_key)
        runs.append(
            CourseRun(
                key=run_key,
                former_keys=_utc_key(key, start, run_key, stem),
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
                payment_frequency=(top[3] or None) if top else None,
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


def _offer(raw: Any, warn: Warn) -> Offer | None:
    """(price, currency, category, frequency) from the schema's ``offer`` or xikolo's snake_case
    ``offers``."""
    if not isinstance(raw, dict) or isinstance(raw.get("price"), bool):
        return None
    try:
        price = Decimal(str(raw.get("price")))
    except InvalidOperation:
        return None
    currency = str(raw.get("priceCurrency") or raw.get("price_currency") or "").upper()
    if not price.is_finite() or price < 0 or not re.fullmatch(r"[A-Z]{3}", currency):
        return None
    frequency = payment_frequency(raw.get("paymentFrequency", raw.get("payment_frequency")), warn)
    return price, currency, str(raw.get("category") or "").lower(), frequency


def _is_free(access: list[str], accessible: Any, offers: list[Offer], warn: Warn) -> bool | None:
    """``access`` (the standard) decides; else ``isAccessibleForFree``; else a course offer."""
    if access:
        return "free" in access
    if (free := flag(accessible, "isAccessibleForFree", warn)) is not None:
        return free
    course_prices = [p for p, _, category, _ in offers if category in ("course", "complete")]
    return min(course_prices) == 0 if course_prices else None


def _certificate(awarded: Any, offers: list[Offer]) -> bool | None:
    if any(category == "certificate" for _, _, category, _ in offers):
        return True
    if awarded is None:
        return None
    return any(str(a).lower() in _CERTIFICATES for a in _as_list(awarded))


def _utc_key(key: str, start: datetime | None, run_key: str, stem: str) -> tuple[str, ...]:
    """The key earlier versions gave a run (its start's UTC date), when that differs: the
    catalog renames the stored run instead of listing the session twice."""
    if start is None or run_key != stem:
        return ()
    utc = f"{key}@{start.astimezone(UTC).date().isoformat()}"
    return () if utc == run_key else (utc,)
