"""Open edX LMS Courses API: one run object → a course run, one page's runs → courses.

The API lists course *runs* (``course-v1:ORG+NUM+RUN``); a student thinks in courses
(``ORG+NUM``). Each page's runs are grouped under their course, and the newest run supplies the
course-level fields (its ``precedence``). When runs of one course fall on different pages the
catalog merges them, keeping the fields of the highest precedence.

Pure functions, apart from the request and paging in connectors/openedx.py: ``start_type:
"empty"`` with its 2030 sentinel start, ``name`` with only ``<`` and ``>`` escaped, the relative
``media.course_image.uri``, and hidden or invitation-only runs are all decided here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectors.errors import RecordError
from connectors.normalize import absolute_url, clean_text, guess_language, parse_datetime
from connectors.records import CourseRecord, CourseRun, Item, Rejected

NO_START_SENTINEL = "2030-01-01T00:00:00Z"


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
