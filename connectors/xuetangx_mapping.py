"""XuetangX products and classroom terms → course records and runs (pure).

Quirks decided here, each with a test: ``<em>`` highlight tags in names; ``\\u3000`` and NBSP in
intros (connectors/normalize.py); ``org`` as ``{}``; ``teacher`` as a list or an object;
China-local timestamps without an offset; epoch-millisecond term dates with a null end for
self-paced terms; ``live_status`` as a list or an object.
"""

from __future__ import annotations

import re
from datetime import tzinfo
from functools import partial
from typing import Any
from urllib.parse import quote

from connectors.errors import RecordError
from connectors.normalize import (
    clean_text,
    from_epoch_millis,
    http_url,
    map_each,
    parse_datetime,
)
from connectors.records import CourseRecord, CourseRun, Item

_EM = re.compile(r"</?em>", re.I)


def map_products(
    products: list[Any], *, base_url: str, tz: tzinfo, default_language: str | None = "zh"
) -> list[Item]:
    """One page's products → courses and rejected items; a repeated ``sign`` is rejected."""
    return map_each(
        products,
        partial(map_product, base_url=base_url, tz=tz, default_language=default_language),
        twice="sign: {key} appears twice on this page; the first is kept",
    )


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
        pacing=course_pacing(runs),
        url=f"{base_url}/course/{quote(sign, safe='')}",
        image_url=http_url(base_url, raw.get("cover")),
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


def course_pacing(runs: tuple[CourseRun, ...]) -> str | None:
    """The course's pacing when all its runs agree; ``None`` when they differ or are unknown."""
    pacings = {r.pacing for r in runs}
    return pacings.pop() if len(pacings) == 1 else None


def _is_id(value: object) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and value.isdigit()
    )


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
