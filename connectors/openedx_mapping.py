"""Open edX LMS Courses API: one run object → a course run, one page's runs → courses.

The API lists course *runs* (``course-v1:ORG+NUM+RUN``); a student thinks in courses
(``ORG+NUM``). Each page's runs are grouped under their course, and the newest *public* run
supplies the course-level fields (its ``precedence``). When runs of one course fall on different
pages the catalog merges them, keeping the fields of the highest precedence.

A run that is not public never supplies them while a public one exists: custom courses (CCX,
``ccx-v1:ORG+NUM+RUN+ccx@N``: a teacher's private classroom built on a course, which the API
marks neither hidden nor invitation-only), runs the LMS marks ``hidden`` (catalog visibility
"about" or "none"; ``catalog_visibility`` itself when a fork sends it) and invitation-only runs.
Their precedence starts with :data:`NOT_PUBLIC`, a public run's with :data:`PUBLIC`; both sort
above the unprefixed precedence of earlier versions, so an upgraded catalog that a CCX renamed
takes its fields back from the first public run it harvests. CCX are left out by default
(``include_ccx`` makes each a course of its own, keyed ``ORG+NUM+RUN+ccx@N``), hidden and
invitation-only runs too unless asked for; what is left out is counted in :class:`PageStats`
for one log line per page, and still counts towards the page's ``source_count``.

Pure functions, apart from the request and paging in connectors/openedx.py: ``start_type:
"empty"`` with its 2030 sentinel start, ``name`` with only ``<`` and ``>`` escaped, HTML in
``short_description`` (stripped, as every connector does), free-text ``effort``
(connectors/effort.py), and the relative ``media.course_image.uri`` are all decided here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.effort import parse_effort
from connectors.errors import RecordError
from connectors.normalize import absolute_url, clean_text, guess_language, parse_datetime, summary
from connectors.records import CourseRecord, CourseRun, Item, Rejected

NO_START_SENTINEL = "2030-01-01T00:00:00Z"
CCX_PREFIX = "ccx-v1:"
#: Precedence prefixes: any public run outranks every run that is not public.
PUBLIC = "2|"
NOT_PUBLIC = "1|"
#: ``catalog_visibility`` values that keep a run out of the catalog (the LMS's ``hidden``).
HIDDEN_VISIBILITY = frozenset({"about", "none"})


def course_key(run_id: str) -> str:
    """``course-v1:ORG+NUM+RUN`` → ``ORG+NUM`` (also old ``ORG/NUM/RUN`` and ``ccx-v1:`` keys)."""
    if ":" in run_id and run_id.split(":", 1)[0] in ("course-v1", "ccx-v1"):
        parts = run_id.split(":", 1)[1].split("+")
    else:
        parts = run_id.split("/")
    if len(parts) < 3 or not parts[0] or not parts[1]:
        raise RecordError(f"id: {run_id!r} is not an Open edX course run key", key=run_id or None)
    return f"{parts[0]}+{parts[1]}"


def ccx_course_key(run_id: str) -> str:
    """``ccx-v1:ORG+NUM+RUN+ccx@N`` → ``ORG+NUM+RUN+ccx@N``: a CCX kept as a course of its own."""
    course_key(run_id)  # the same checks as any run key
    return run_id.split(":", 1)[1]


def unescape_name(name: str) -> str:
    """The LMS escapes only ``<`` and ``>`` in names (``&`` stays raw), so undo exactly that."""
    return name.replace("&lt;", "<").replace("&gt;", ">")


def is_ccx(raw: dict[str, Any]) -> bool:
    """True for a custom course (CCX) run object."""
    run_id = raw.get("id") or raw.get("course_id")
    return isinstance(run_id, str) and run_id.strip().startswith(CCX_PREFIX)


def is_hidden(raw: dict[str, Any]) -> bool:
    """True when the LMS keeps the run out of its catalog (``hidden``, ``catalog_visibility``)."""
    return raw.get("hidden") is True or raw.get("catalog_visibility") in HIDDEN_VISIBILITY


@dataclass(slots=True)
class PageStats:
    """What one page's mapping left out or could not read, for one log line per page."""

    ccx: int = 0
    hidden: int = 0
    invitation_only: int = 0
    #: Runs whose ``effort`` text was there but not understood, and the first such text.
    effort_unread: int = 0
    effort_example: str = ""

    def left_out(self) -> str | None:
        """``"2 custom courses (CCX), 1 hidden run"``, or None when nothing was left out."""
        counts = (
            (self.ccx, "custom course (CCX)", "custom courses (CCX)"),
            (self.hidden, "hidden run", "hidden runs"),
            (self.invitation_only, "invitation-only run", "invitation-only runs"),
        )
        parts = [f"{n} {one if n == 1 else many}" for n, one, many in counts if n]
        return ", ".join(parts) or None


@dataclass(frozen=True, slots=True)
class MappedPage:
    """One page's items and what was left out of them."""

    items: list[Item]
    stats: PageStats = field(default_factory=PageStats)


@dataclass(frozen=True, slots=True)
class _MappedRun:
    course_key: str
    run: CourseRun
    raw: dict[str, Any]
    #: ``_precedence(run, public)``, computed once.
    precedence: str = ""


def map_run(raw: Any, *, base_url: str, own_course: bool = False) -> _MappedRun:
    """One run object of the API → the run and its course key. Raises RecordError.

    ``own_course``: a CCX kept as a course of its own (keyed by :func:`ccx_course_key`).
    """
    if not isinstance(raw, dict):
        raise RecordError(f"expected a course object, got {type(raw).__name__}")
    run_id = raw.get("id") or raw.get("course_id")
    if not isinstance(run_id, str) or not run_id.strip():
        raise RecordError("id: missing course run key")
    run_id = run_id.strip()
    ccx = run_id.startswith(CCX_PREFIX)
    key = ccx_course_key(run_id) if ccx and own_course else course_key(run_id)
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
    public = not (ccx and not own_course) and not is_hidden(raw) and not raw.get("invitation_only")
    return _MappedRun(key, run, raw, _precedence(run, public))


def map_runs(
    results: list[Any],
    *,
    base_url: str,
    include_hidden: bool = False,
    include_invitation_only: bool = False,
    include_ccx: bool = False,
    default_language: str | None = None,
) -> list[Item]:
    """One page's runs → courses (runs grouped, in first-seen order) and rejected items."""
    return map_page(
        results,
        base_url=base_url,
        include_hidden=include_hidden,
        include_invitation_only=include_invitation_only,
        include_ccx=include_ccx,
        default_language=default_language,
    ).items


def map_page(
    results: list[Any],
    *,
    base_url: str,
    include_hidden: bool = False,
    include_invitation_only: bool = False,
    include_ccx: bool = False,
    default_language: str | None = None,
) -> MappedPage:
    """Like :func:`map_runs`, with the count of what was left out (CCX, hidden, invitation-only)
    and of effort texts not understood."""
    stats = PageStats()
    groups: dict[str, list[_MappedRun]] = {}
    items: list[Item] = []
    for raw in results:
        if isinstance(raw, dict):
            if not include_ccx and is_ccx(raw):
                stats.ccx += 1
                continue
            if not include_hidden and is_hidden(raw):
                stats.hidden += 1
                continue
            if raw.get("invitation_only") and not include_invitation_only:
                stats.invitation_only += 1
                continue
        try:
            mapped = map_run(raw, base_url=base_url, own_course=include_ccx)
        except RecordError as exc:
            items.append(Rejected(reason=exc.reason, key=exc.key, raw=raw))
            continue
        groups.setdefault(mapped.course_key, []).append(mapped)
    for key, runs in groups.items():
        try:
            course = _course(key, runs, base_url=base_url, default_language=default_language)
        except RecordError as exc:
            items.append(Rejected(reason=exc.reason, key=key, raw=[m.raw for m in runs]))
            continue
        items.append(course)
        _count_effort(stats, course, runs)
    return MappedPage(items, stats)


def _count_effort(stats: PageStats, course: CourseRecord, runs: list[_MappedRun]) -> None:
    """Count the course when its effort text was there but not understood."""
    if course.effort is not None:
        return
    text = _best(runs).raw.get("effort")
    if isinstance(text, str) and text.strip():
        stats.effort_unread += 1
        stats.effort_example = stats.effort_example or text.strip()[:40]


def _precedence(run: CourseRun, public: bool) -> str:
    start = run.start.strftime("%Y-%m-%dT%H:%M:%S") if run.start else "0000"
    return f"{PUBLIC if public else NOT_PUBLIC}{start}|{run.key}"


def _best(runs: list[_MappedRun]) -> _MappedRun:
    return max(runs, key=lambda m: m.precedence)


def _course(
    key: str, runs: list[_MappedRun], *, base_url: str, default_language: str | None
) -> CourseRecord:
    best = _best(runs)
    raw = best.raw
    title = best.run.title
    if not title:
        raise RecordError("name: empty course title", key=key)
    short = summary(raw.get("short_description"))
    media = raw.get("media")
    if not isinstance(media, dict):
        media = {}
    image = _media_uri(media, "course_image", "uri") or _media_uri(media, "image", "raw")
    language = guess_language(title, short, default=default_language)
    return CourseRecord(
        key=key,
        title=title,
        runs=tuple(m.run for m in runs),
        short_description=short,
        language=language,
        organization=clean_text(raw.get("org")),
        effort=parse_effort(raw.get("effort"), language),
        pacing=best.run.pacing,
        url=best.run.url,
        image_url=absolute_url(base_url, image),
        precedence=best.precedence,
        raw=[m.raw for m in runs],
    )


def _media_uri(media: dict[str, Any], name: str, attr: str) -> str | None:
    entry = media.get(name)
    value = entry.get(attr) if isinstance(entry, dict) else None
    return value if isinstance(value, str) and value else None
