"""What an admin must look at, across the catalog: held withdrawals and rejected records.

``moocx review`` answers it in one place instead of a ``moocx runs show`` per feed:

* every feed that **needs review** — a guard held its withdrawals back (catalog.store.withdrawals) —
  with the courses held (key, title, when last seen, and the new key of one that reappears
  under another: catalog.store.renames), the guard's reasons and the run that held them:
  ``moocx sync --accept-withdrawals FEED`` applies exactly that run's, as
  :func:`catalog.store.withdrawals.accept_held` does;
* every feed whose **latest run rejected records**, with each record's reason and excerpt.

Plain frozen values, read in the caller's (read-only) transaction; times aware, in UTC.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, ScalarSelect, and_, func, select

from catalog.store import renames, tables

#: A rejected record's excerpt as one line: whitespace runs folded, cut to this many characters.
LINE_CHARS = 160
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class HeldCourse:
    key: str
    title: str | None
    #: "deleted" (the source said so), "absent" (missing from a complete full harvest) or
    #: "renamed" (missing, and a course the harvest saw looks like it: catalog.store.renames).
    reason: str
    #: The last harvest known to have listed the course: the later of its last change and the
    #: end of the feed's last complete full harvest before the holding run that did not hold it.
    last_seen: datetime | None
    #: The key of an active course that looks like this one (same URL, or same title and
    #: organisation): where it probably went. None when nothing looks like it.
    renamed_to: str | None = None


@dataclass(frozen=True, slots=True)
class Held:
    """The withdrawals one run held back, and why (the run's ``guard``)."""

    run_id: int
    run_finished: datetime | None
    guard: str | None
    courses: tuple[HeldCourse, ...]
    #: How many of ``courses`` reappear under new keys (``renamed_to``): many of them mean the
    #: source changed its id scheme.
    renamed: int = 0


@dataclass(frozen=True, slots=True)
class RejectedRecord:
    key: str | None
    reason: str
    excerpt: str | None
    page_url: str | None

    @property
    def excerpt_line(self) -> str | None:
        """The excerpt cut to one line of at most :data:`LINE_CHARS` characters; an excerpt
        that is a JSON string (an OAI-PMH record's XML) is shown as its text."""
        return None if self.excerpt is None else one_line(_unquoted(self.excerpt))


@dataclass(frozen=True, slots=True)
class LatestRun:
    """A feed's latest run and the records it rejected (the first ``limit`` of them)."""

    id: int
    status: str
    started_at: datetime
    rejected_total: int
    rejected: tuple[RejectedRecord, ...]


@dataclass(frozen=True, slots=True)
class FeedReview:
    feed: str
    institution: str
    needs_review: bool
    review_reason: str | None
    #: The withdrawals waiting for ``moocx sync --accept-withdrawals FEED``; None when none.
    held: Held | None
    #: The feed's latest run, when it rejected records; else None.
    rejections: LatestRun | None


def _unquoted(excerpt: str) -> str:
    """The text of an excerpt that is a JSON string, even one cut short; else the excerpt."""
    if not excerpt.startswith('"'):
        return excerpt
    for candidate in (excerpt, excerpt + '"', excerpt[:-1] + '"'):
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        return value if isinstance(value, str) else excerpt
    return excerpt


def one_line(text: str, width: int = LINE_CHARS) -> str:
    flat = _SPACES.sub(" ", text).strip()
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def feeds_to_review(conn: Connection, *, limit: int | None = None) -> list[FeedReview]:
    """Every feed with held withdrawals or a latest run that rejected records, by feed id.

    ``limit`` caps the rejected records listed per feed (their total is always given).
    """
    f, h, r = tables.feeds.c, tables.held_withdrawals.c, tables.harvest_runs.c
    latest = (
        select(r.feed_id, func.max(r.id).label("run_id")).group_by(r.feed_id).subquery("latest")
    )
    holding = select(h.feed_id).distinct()
    rows = conn.execute(
        select(f.id, f.institution_id, f.needs_review, f.review_reason, latest.c.run_id)
        .outerjoin(latest, latest.c.feed_id == f.id)
        .order_by(f.id)
    ).all()
    holders = set(conn.execute(holding).scalars())
    out = []
    for row in rows:
        held = _held(conn, row.id) if row.id in holders else None
        rejections = _rejections(conn, row.run_id, limit) if row.run_id is not None else None
        if held is None and rejections is None and not row.needs_review:
            continue
        out.append(
            FeedReview(
                feed=row.id,
                institution=row.institution_id,
                needs_review=row.needs_review,
                review_reason=row.review_reason,
                held=held,
                rejections=rejections,
            )
        )
    return out


def _held(conn: Connection, feed_id: str) -> Held | None:
    """The held withdrawals of the feed's latest holding run: what accepting them applies."""
    h, c, r = tables.held_withdrawals.c, tables.courses.c, tables.harvest_runs.c
    run_id = conn.execute(select(func.max(h.run_id)).where(h.feed_id == feed_id)).scalar()
    if run_id is None:
        return None
    run = conn.execute(select(r.finished_at, r.guard).where(r.id == run_id)).one()
    seen_by_full = _seen_by_full(feed_id, run_id)
    rows = conn.execute(
        select(
            h.course_id,
            h.key,
            c.title,
            h.reason,
            c.last_seen_at,
            seen_by_full.label("seen_by_full"),
        )
        .join(tables.courses, c.id == h.course_id)
        .where(h.run_id == run_id)
        .order_by(h.key)
    ).all()
    twins = renames.twins(
        renames.held_courses(conn, [row.course_id for row in rows]),
        renames.present_besides(conn, feed_id, run_id),
    )
    courses = tuple(
        HeldCourse(
            key=row.key,
            title=row.title,
            reason=row.reason,
            last_seen=max(t for t in (row.last_seen_at, row.seen_by_full) if t is not None)
            if row.last_seen_at or row.seen_by_full
            else None,
            renamed_to=twins.get(row.course_id),
        )
        for row in rows
    )
    return Held(
        run_id=run_id,
        run_finished=run.finished_at,
        guard=run.guard,
        courses=courses,
        renamed=sum(1 for course in courses if course.renamed_to),
    )


def _seen_by_full(feed_id: str, run_id: int) -> ScalarSelect[Any]:
    """Per held course (correlated): the end of the last complete full harvest before the hold
    that saw it (a complete full harvest that did not hold a course back either saw it or
    withdrew it)."""
    h = tables.held_withdrawals.c
    e = tables.harvest_runs.alias("earlier").c
    other = tables.held_withdrawals.alias("other")
    return (
        select(func.max(e.finished_at))
        .where(
            e.feed_id == feed_id,
            e.id < run_id,
            e.status == "succeeded",
            e.complete.is_(True),
            e.mode == "full",
            ~select(other.c.id)
            .where(and_(other.c.run_id == e.id, other.c.course_id == h.course_id))
            .exists(),
        )
        .scalar_subquery()
    )


def _rejections(conn: Connection, run_id: int, limit: int | None) -> LatestRun | None:
    r, x = tables.harvest_runs.c, tables.rejected_records.c
    total = conn.execute(
        select(func.count()).select_from(tables.rejected_records).where(x.harvest_id == run_id)
    ).scalar_one()
    if not total:
        return None
    run = conn.execute(select(r.status, r.started_at).where(r.id == run_id)).one()
    query = (
        select(x.key, x.reason, x.excerpt, x.page_url).where(x.harvest_id == run_id).order_by(x.id)
    )
    if limit is not None:
        query = query.limit(limit)
    records = tuple(RejectedRecord(*row) for row in conn.execute(query))
    return LatestRun(run_id, run.status, run.started_at, total, records)
