"""What one course page shows: its facts, offers and runs, ready for the template, and its
schema.org ``Course`` JSON-LD.

Only plain values leave this module: text is left for Jinja2 to escape, the description is nh3's
output, and every URL has passed ``safe_url``. Dates are shown in the offset the document gives
them in (application windows arrive in the offering institution's time zone), so a student in
Hanoi reads a Tsinghua deadline as Beijing time, labelled ``UTC+08:00``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from catalog.site.safety import plain_text, safe_url, sanitize_html

JSONLD_DESCRIPTION_MAX = 5000


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 string as an aware datetime (naive means UTC); None when unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def show_time(value: Any) -> str:
    """``2026-01-05 00:00 UTC+07:00`` in the value's own offset; "" when absent or unreadable."""
    moment = parse_time(value)
    if moment is None:
        return ""
    offset = moment.strftime("%z")
    label = "UTC" if offset in ("+0000", "-0000") else f"UTC{offset[:3]}:{offset[3:]}"
    return f"{moment:%Y-%m-%d %H:%M} {label}"


def epoch(value: Any) -> int | None:
    moment = parse_time(value)
    return int(moment.timestamp()) if moment else None


def language_code(value: Any) -> str:
    """The primary subtag, lowercased (``zh-CN`` → ``zh``), for facets and translations."""
    return str(value).split("-")[0].split("_")[0].lower() if value else ""


def offered_runs(course: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The runs the offers name (all runs when the offers name none)."""
    runs = course.get("runs") or []
    wanted = {offer.get("run") for offer in course.get("offers") or []}
    chosen = [run for run in runs if run.get("key") in wanted]
    return chosen or list(runs)


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def page_context(course: Mapping[str, Any]) -> dict[str, Any]:
    """The template's view of one course; every field may be missing or hostile."""
    runs_by_key = {run.get("key"): run for run in course.get("runs") or []}
    offers = []
    for offer in course.get("offers") or []:
        run = runs_by_key.get(offer.get("run")) or {}
        credits = offer.get("credits") or {}
        equivalence = offer.get("equivalence") or {}
        offers.append(
            {
                "term": offer.get("term") or "",
                "run_key": offer.get("run") or "",
                "run_start": show_time(run.get("start")),
                "app_start": show_time(offer.get("application_start")),
                "app_end": show_time(offer.get("application_end")),
                "app_start_epoch": epoch(offer.get("application_start")),
                "app_end_epoch": epoch(offer.get("application_end")),
                "open_now": bool(offer.get("open_now")),
                "seats": _number(offer.get("seats")),
                "host_credits": _number(credits.get("host")),
                "host_system": credits.get("host_system") or "",
                "home_credits": _number(credits.get("home")),
                "home_system": credits.get("home_system") or "",
                "credit_source": credits.get("source") or "",
                "eq_status": equivalence.get("status") or "",
                "eq_home_course": equivalence.get("home_course") or "",
                "eq_terms": [str(t) for t in equivalence.get("valid_terms") or []],
                "notes": offer.get("notes") or "",
            }
        )
    offered = {offer.get("run") for offer in course.get("offers") or []}
    runs = [
        {
            "key": run.get("key") or "",
            "start": show_time(run.get("start")),
            "end": show_time(run.get("end")),
            "enrollment_start": show_time(run.get("enrollment_start")),
            "enrollment_end": show_time(run.get("enrollment_end")),
            "pacing": run.get("pacing") or "",
            "offered": run.get("key") in offered,
        }
        for run in course.get("runs") or []
    ]
    return {
        "id": course.get("id") or "",
        "key": course.get("key") or "",
        "title": course.get("title") or course.get("key") or "",
        "lang": language_code(course.get("language")),
        "language": course.get("language") or "",
        "organization": course.get("organization") or "",
        "institution": course.get("institution") or "",
        "short_description": plain_text(course.get("short_description")),
        "description_html": sanitize_html(course.get("description")),
        "url": safe_url(course.get("url")),
        "subjects": [s.get("code") for s in course.get("subjects_isced") or [] if s.get("code")],
        "level": course.get("level") or "",
        "effort": course.get("effort") or "",
        "pacing": course.get("pacing") or "",
        "withdrawn": course.get("status") == "withdrawn",
        "is_free": course.get("is_free"),
        "certificate": course.get("certificate"),
        "offers": offers,
        "runs": runs,
    }


def json_ld(course: Mapping[str, Any], institution_name: str | None) -> dict[str, Any]:
    """schema.org ``Course`` with one ``CourseInstance`` per run (Google's course-info shape)."""
    description = plain_text(course.get("description")) or plain_text(
        course.get("short_description")
    )
    doc: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Course",
        "name": str(course.get("title") or course.get("key") or ""),
        "description": description[:JSONLD_DESCRIPTION_MAX],
        "courseCode": course.get("key"),
        "identifier": course.get("id"),
        "inLanguage": course.get("language"),
        "url": safe_url(course.get("url")),
        "image": safe_url(course.get("image_url")),
        "educationalLevel": course.get("level"),
        "isAccessibleForFree": course.get("is_free"),
        "provider": {
            "@type": "CollegeOrUniversity",
            "name": institution_name or course.get("institution"),
        },
    }
    if course.get("organization"):
        doc["provider"]["department"] = {
            "@type": "Organization",
            "name": str(course["organization"]),
        }
    subjects = [
        (s.get("labels") or {}).get("en") for s in course.get("subjects_isced") or []
    ] or list(course.get("subjects") or [])
    if any(subjects):
        doc["about"] = [str(s) for s in subjects if s]
    offers = []
    for offer in course.get("offers") or []:
        item: dict[str, Any] = {"@type": "Offer", "name": offer.get("term")}
        if course.get("is_free") is not None:
            item["category"] = "Free" if course.get("is_free") else "Paid"
        item["availabilityStarts"] = offer.get("application_start")
        item["availabilityEnds"] = offer.get("application_end")
        if offer.get("seats") is not None:
            item["inventoryLevel"] = {"@type": "QuantitativeValue", "value": offer["seats"]}
        offers.append({k: v for k, v in item.items() if v is not None})
    if offers:
        doc["offers"] = offers
    doc["hasCourseInstance"] = [
        {
            k: v
            for k, v in {
                "@type": "CourseInstance",
                "courseMode": "online",
                "identifier": run.get("key"),
                "startDate": run.get("start"),
                "endDate": run.get("end"),
            }.items()
            if v is not None
        }
        for run in course.get("runs") or []
    ] or [{"@type": "CourseInstance", "courseMode": "online"}]
    return {k: v for k, v in doc.items() if v not in (None, "")}
