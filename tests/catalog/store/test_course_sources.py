"""The source's own record of each course (``course_sources``): written with every course row the
harvest writes, kept while the course is unchanged — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select

from catalog.store import harvests, tables
from catalog.store.ingest import Ingestor, raw_text
from connectors.records import CourseRecord, Page, Withdrawn
from connectors.records import CourseRun as Run

T0 = datetime(2025, 9, 8, 1, 0, tzinfo=UTC)
TEMPORARY = {"moocx_seen_keys"}


def course(key: str, title: str = "Nhập môn Trí tuệ nhân tạo", **changes: object) -> CourseRecord:
    run = Run(key=f"course-v1:{key}+2025_T2", start=T0)
    payload = {"id": run.key, "name": title, "org": "VNUx", "media": {"image": None}}
    base = CourseRecord(key=key, title=title, runs=(run,), language="vi", raw=[payload])
    return replace(base, **changes)


def harvest(engine, *items: object) -> int:
    run_id = harvests.start_run(engine, "vnu")
    Ingestor(engine, "vnu", run_id).apply(
        Page(items=tuple(items), cursor=None, url="https://x/p1", number=1, last=True)
    )
    return run_id


def sources(engine) -> dict[str, tuple[int, object]]:
    """Course key → (the harvest that stored its record, the record decoded)."""
    s, c = tables.course_sources.c, tables.courses.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(c.key, s.harvest_id, s.raw).join(tables.courses, c.id == s.course_id)
        ).all()
    return {row.key: (row.harvest_id, json.loads(row.raw)) for row in rows}


def test_a_new_course_stores_its_raw_record_as_compact_json(engine) -> None:
    run_id = harvest(engine, course("VNUx+AI1"), course("VNUx+MAT1", "Giải tích 1"))
    stored = sources(engine)
    assert stored["VNUx+AI1"] == (run_id, [course("VNUx+AI1").raw[0]])
    assert stored["VNUx+MAT1"][1][0]["name"] == "Giải tích 1"
    with engine.connect() as conn:
        text = conn.execute(select(tables.course_sources.c.raw)).scalars().first()
    assert ", " not in text and ": " not in text  # compact
    assert "Nhập" in text or "Giải" in text  # UTF-8, not \\u escapes


def test_an_unchanged_course_keeps_its_record_and_a_change_replaces_it(engine, write_log) -> None:
    first = harvest(engine, course("VNUx+AI1"), course("VNUx+MAT1"))
    write_log.statements.clear()
    # The same fields with another raw payload: the raw is not hashed, nothing is written.
    same = replace(course("VNUx+AI1"), raw=[{"id": "other"}])
    harvest(engine, same, course("VNUx+MAT1"))
    assert "course_sources" not in write_log.tables()
    assert sources(engine)["VNUx+AI1"] == (first, [course("VNUx+AI1").raw[0]])

    changed = harvest(engine, course("VNUx+AI1", "Trí tuệ nhân tạo (2026)"), course("VNUx+MAT1"))
    stored = sources(engine)
    assert stored["VNUx+AI1"][0] == changed
    assert stored["VNUx+AI1"][1][0]["name"] == "Trí tuệ nhân tạo (2026)"
    assert stored["VNUx+MAT1"][0] == first


def test_a_reactivated_course_stores_the_record_that_brought_it_back(engine) -> None:
    others = [course(f"VNUx+C{i}") for i in range(9)]
    harvest(engine, course("VNUx+AI1"), *others)
    harvest(engine, Withdrawn("VNUx+AI1"), *others)
    back = replace(course("VNUx+AI1"), raw={"id": "came back"})
    returned = harvest(engine, back, *others)
    assert sources(engine)["VNUx+AI1"] == (returned, {"id": "came back"})


def test_odd_raw_values_are_stored_readably() -> None:
    assert json.loads(raw_text({"when": T0})) == {"when": "2025-09-08 01:00:00+00:00"}
    assert json.loads(raw_text("<record>\x00Giáo dục</record>")) == "<record>\x00Giáo dục</record>"
    lone = raw_text({"name": "bad \ud800 surrogate"})  # would not encode as UTF-8
    assert lone.isascii() and "surrogate" in lone
    assert json.loads(raw_text({(1, 2): "tuple key"})) == "{(1, 2): 'tuple key'}"
    assert raw_text(None) is None


def test_records_that_would_not_encode_still_land_on_both_backends(engine) -> None:
    harvest(engine, replace(course("VNUx+AI1"), raw={"name": "bad \ud800", "nul": "a\x00b"}))
    assert sources(engine)["VNUx+AI1"][1] == {"name": "bad \ud800", "nul": "a\x00b"}
