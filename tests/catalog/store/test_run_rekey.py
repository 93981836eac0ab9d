"""A run a connector now keys differently (MOOChub runs keyed by the start's written date, no
longer its UTC date) is renamed in place, on SQLite and PostgreSQL: one session stays one run,
with its id and its offers; a run the record still sends under the old key is left alone."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from catalog.store import harvests, tables
from catalog.store.ingest import Ingestor
from connectors.records import CourseRecord, CourseRun, Page

START = datetime(2025, 2, 23, 16, tzinfo=UTC)  # 2025-02-24 in +08:00


def _harvest(engine, *runs: CourseRun) -> None:
    run_id = harvests.start_run(engine, "vnu")
    record = CourseRecord(key="42", title="Khóa học", runs=runs)
    Ingestor(engine, "vnu", run_id).apply(
        Page(items=(record,), cursor=None, url="https://x/p1", number=1, last=True)
    )


def _runs(engine) -> list[tuple[int, str]]:
    r = tables.course_runs.c
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(select(r.id, r.key).order_by(r.key))]


def test_a_run_under_its_former_key_is_renamed_not_added(engine) -> None:
    _harvest(engine, CourseRun(key="42@2025-02-23", start=START))
    [(run_id, _)] = _runs(engine)
    renamed = CourseRun(key="42@2025-02-24", start=START, former_keys=("42@2025-02-23",))
    _harvest(engine, renamed)
    assert _runs(engine) == [(run_id, "42@2025-02-24")]
    _harvest(engine, renamed)  # and stays so: nothing to rename any more
    assert _runs(engine) == [(run_id, "42@2025-02-24")]


def test_a_former_key_the_record_still_sends_is_another_run(engine) -> None:
    old = CourseRun(key="42@2025-02-23", start=START)
    _harvest(engine, old)
    new = CourseRun(key="42@2025-02-24", start=START, former_keys=("42@2025-02-23",))
    _harvest(engine, old, new)
    assert [key for _, key in _runs(engine)] == ["42@2025-02-23", "42@2025-02-24"]
