"""The JSON export (schema ``mooc-exchange/1``), streamed course by course.

The document is written as it is read — courses in batches, their runs fetched per batch — so
100,000 courses never sit in memory at once. Text is UTF-8, not ``\\u`` escapes; times are ISO
8601 with an offset. The export never owns the file it writes: callers pass a text stream (the
CLI writes to a temporary file and renames it into place).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TextIO

from sqlalchemy import Connection, Engine, select

from catalog.db import read_only
from catalog.models import Course, CourseRun, Feed, Institution

SCHEMA = "mooc-exchange/1"
BATCH = 500


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def course_id(feed_id: str, key: str) -> str:
    """The course's id in exports: stable across rebuilds of the database."""
    return f"{feed_id}:{key}"


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def write_json(engine: Engine, out: TextIO, *, generated_at: datetime | None = None) -> int:
    """Write the whole catalog to ``out``; returns the number of courses written."""
    generated = (generated_at or datetime.now(UTC)).astimezone(UTC)
    with read_only(engine) as conn:  # one read transaction: a consistent snapshot
        institutions = [
            {"id": row.id, "names": row.names, "country": row.country}
            for row in conn.execute(select(Institution).order_by(Institution.id))
        ]
        out.write('{"schema":' + _dump(SCHEMA))
        out.write(',"generated_at":' + _dump(generated.isoformat()))
        out.write(',"institutions":' + _dump(institutions))
        out.write(',"courses":[')
        count = 0
        for course in _courses(conn):
            out.write(("," if count else "") + "\n" + _dump(course))
            count += 1
        out.write("\n]}\n")
    return count


def _courses(conn: Connection) -> Iterator[dict[str, Any]]:
    c, r = Course.__table__.c, CourseRun.__table__.c
    institution_of = dict(conn.execute(select(Feed.id, Feed.institution_id)).all())
    last_id = 0
    while True:
        batch = conn.execute(
            select(Course.__table__).where(c.id > last_id).order_by(c.id).limit(BATCH)
        ).all()
        if not batch:
            return
        last_id = batch[-1].id
        runs: dict[int, list[dict[str, Any]]] = {}
        for run in conn.execute(
            select(CourseRun.__table__)
            .where(r.course_id.in_([row.id for row in batch]))
            .order_by(r.course_id, r.start, r.key)
        ):
            runs.setdefault(run.course_id, []).append(
                {
                    "key": run.key,
                    "start": _iso(run.start),
                    "end": _iso(run.end),
                    "enrollment_start": _iso(run.enrollment_start),
                    "enrollment_end": _iso(run.enrollment_end),
                    "pacing": run.pacing,
                }
            )
        for row in batch:
            yield {
                "id": course_id(row.feed_id, row.key),
                "institution": institution_of.get(row.feed_id),
                "feed": row.feed_id,
                "key": row.key,
                "title": row.title,
                "language": row.language,
                "short_description": row.short_description,
                "url": row.url,
                "image_url": row.image_url,
                "organization": row.organization,
                "subjects": row.subjects or [],
                "level": row.level,
                "effort": row.effort,
                "pacing": row.pacing,
                "status": row.status,
                "runs": runs.get(row.id, []),
                "first_seen": _iso(row.first_seen_at),
                "updated_at": _iso(row.updated_at),
            }
