"""Applying pages to the catalog: idempotent upserts, merged runs, rejections, cursors."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.store import harvests
from catalog.store.ingest import Ingestor
from catalog.store.models import Course, CourseEvent, CourseRun, Feed, HarvestRun, RejectedRecord
from connectors.records import CourseRecord, Page, Rejected, Withdrawn
from connectors.records import CourseRun as Run

T0 = datetime(2025, 9, 8, 1, 0, tzinfo=UTC)
#: The connection's own scratch table (catalog.store.seen.SeenKeys): not catalog data.
TEMPORARY = {"moocx_seen_keys"}


def course(key: str = "VNUx+INT1001", **changes: object) -> CourseRecord:
    base = CourseRecord(
        key=key,
        title="Nhập môn Trí tuệ nhân tạo",
        runs=(Run(key=f"course-v1:{key}+2025_T2", start=T0, pacing="instructor"),),
        language="vi",
        url=f"https://courses.vnu.edu.vn/courses/course-v1:{key}+2025_T2/about",
        precedence=f"2025-09-08T01:00:00|course-v1:{key}+2025_T2",
    )
    return replace(base, **changes)


def page(*items: object, number: int = 1, cursor: dict | None = None, last: bool = True) -> Page:
    return Page(
        items=tuple(items), cursor=cursor, url=f"https://x/p{number}", number=number, last=last
    )


def harvest(engine, *pages: Page) -> Ingestor:
    """One harvest run; the page marked last closes it."""
    run_id = harvests.start_run(engine, "vnu")
    ingestor = Ingestor(engine, "vnu", run_id)
    for p in pages:
        ingestor.apply(p)
    return ingestor


def stored(engine) -> list[Course]:
    with Session(engine) as s:
        courses = s.scalars(select(Course).order_by(Course.key)).all()
        for c in courses:
            _ = c.runs
        s.expunge_all()
        return list(courses)


def test_new_courses_land_with_their_runs_and_provenance(engine) -> None:
    ing = harvest(engine, page(course(), course("VNUx+MAT1041", title="Giải tích 1")))
    assert ing.tally.counts() == {"new": 2}
    rows = stored(engine)
    assert [c.key for c in rows] == ["VNUx+INT1001", "VNUx+MAT1041"]
    ai = rows[0]
    assert ai.status == "active"
    assert ai.source_url == "https://x/p1"
    assert ai.first_harvest_id == ai.last_harvest_id == 1
    assert [r.key for r in ai.runs] == ["course-v1:VNUx+INT1001+2025_T2"]
    assert ai.runs[0].start == T0
    assert ai.runs[0].start.tzinfo is not None
    assert ai.first_seen_at.tzinfo is not None


def test_second_sync_of_unchanged_data_writes_no_course_or_run_rows(engine, write_log) -> None:
    data = page(course(), course("VNUx+MAT1041", title="Giải tích 1"))
    harvest(engine, data)
    before = stored(engine)
    write_log.statements.clear()
    ing = harvest(engine, data)
    assert ing.tally.counts() == {"unchanged": 2}
    assert write_log.tables() <= {"harvest_runs", "harvest_pages", "feeds", *TEMPORARY}
    assert [(c.updated_at, c.content_hash) for c in stored(engine)] == [
        (c.updated_at, c.content_hash) for c in before
    ]


def test_a_changed_field_or_a_new_run_counts_the_course_as_updated(engine) -> None:
    harvest(engine, page(course(), course("VNUx+MAT1041")))
    new_run = Run(key="course-v1:VNUx+MAT1041+2026_T1", start=T0 + timedelta(days=180))
    ing = harvest(
        engine,
        page(
            course(title="Nhập môn Trí tuệ nhân tạo (2025)"),
            course("VNUx+MAT1041", runs=(*course("VNUx+MAT1041").runs, new_run)),
        ),
    )
    assert ing.tally.counts() == {"updated": 2}
    rows = stored(engine)
    assert rows[0].title == "Nhập môn Trí tuệ nhân tạo (2025)"
    assert rows[0].last_harvest_id == 2 and rows[0].first_harvest_id == 1
    assert len(rows[1].runs) == 2


def test_duplicates_of_one_key_inside_a_page_collapse_to_the_last(engine) -> None:
    ing = harvest(engine, page(course(title="First"), course(title="Second")))
    assert ing.tally.counts() == {"new": 1}
    assert stored(engine)[0].title == "Second"


def test_runs_of_one_course_split_across_pages_merge_and_stay_idempotent(engine, write_log) -> None:
    old_run = Run(key="course-v1:VNUx+INT1001+2025_T1", start=T0 - timedelta(days=200))
    piece1 = course(
        title="Old title",
        runs=(old_run,),
        precedence="2025-02-20T01:00:00|course-v1:VNUx+INT1001+2025_T1",
    )
    piece2 = course(title="New title")  # newer run: higher precedence
    pages = (page(piece1, number=1, last=False), page(piece2, number=2))
    ing = harvest(engine, *pages)
    assert ing.tally.counts() == {"new": 1}
    [ai] = stored(engine)
    assert ai.title == "New title"
    assert {r.key for r in ai.runs} == {old_run.key, "course-v1:VNUx+INT1001+2025_T2"}

    write_log.statements.clear()
    ing = harvest(engine, *pages)
    assert ing.tally.counts() == {"unchanged": 1}
    assert write_log.tables() <= {"harvest_runs", "harvest_pages", "feeds", *TEMPORARY}
    assert stored(engine)[0].title == "New title"


def test_a_course_split_across_distant_pages_still_counts_once(engine) -> None:
    """Running counts remember only recent pages; the end of the harvest counts exactly."""
    far = 12  # more pages apart than HarvestTally.WINDOW
    old_run = Run(key="course-v1:VNUx+INT1001+2025_T1", start=T0 - timedelta(days=200))
    piece = course(runs=(old_run,), precedence="2025-02-20T01:00:00|x")
    fillers = [course(f"VNUx+F{n}") for n in range(far)]
    pages = [page(piece, number=1, last=False)]
    pages += [page(f, number=n + 2, last=False) for n, f in enumerate(fillers)]
    pages.append(page(course(), number=far + 2))
    ing = harvest(engine, *pages)
    assert ing.tally.counts() == {"new": far + 1}
    with Session(engine) as s:
        run = s.scalars(select(HarvestRun).order_by(HarvestRun.id.desc())).first()
        assert (run.new, run.updated, run.unchanged) == (far + 1, 0, 0)
    changed = replace(piece, runs=(replace(old_run, title="Renamed"),))
    ing = harvest(engine, page(changed, number=1, last=False), *pages[1:])
    assert ing.tally.counts() == {"updated": 1, "unchanged": far}


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        pytest.param(course(key=""), "key: missing", id="no-key"),
        pytest.param(course(title="  "), "title: empty", id="blank-title"),
        pytest.param(
            course(url="javascript:alert(1)"),
            "url: 'javascript:alert(1)' is not an absolute http(s) URL",
            id="javascript-url",
        ),
        pytest.param(
            course(image_url="/relative.jpg"),
            "image_url: '/relative.jpg' is not an absolute http(s) URL",
            id="relative-image",
        ),
        pytest.param(
            course(runs=(Run(key="r1", start=datetime(2025, 3, 1, 9, 0)),)),
            "runs[0].start: datetime without a timezone",
            id="naive-date",
        ),
        pytest.param(course(title="bad\x00title"), "title: contains a NUL character", id="nul"),
        pytest.param(
            course(language="Tiếng Việt"), "language: 'Tiếng Việt' is not a BCP 47", id="language"
        ),
        pytest.param(
            course(runs=(Run(key="r1"), Run(key="r1"))),
            "runs[1].key: 'r1' appears twice in one course",
            id="duplicate-run",
        ),
    ],
)
def test_invalid_records_are_rejected_with_reason_and_the_rest_land(engine, bad, reason) -> None:
    bad = replace(bad, raw={"id": "raw-payload", "name": "Thứ gì đó"})
    ing = harvest(engine, page(course("VNUx+GOOD1"), bad, course("VNUx+GOOD2")))
    assert ing.tally.counts() == {"new": 2}
    assert ing.tally.rejected == 1
    with Session(engine) as s:
        [rejected] = s.scalars(select(RejectedRecord)).all()
        assert rejected.reason.startswith(reason)
        assert json.loads(rejected.excerpt) == {"id": "raw-payload", "name": "Thứ gì đó"}
        assert rejected.page_url == "https://x/p1"
        run = s.get(HarvestRun, ing.harvest_id)
        assert (run.new, run.rejected, run.received) == (2, 1, 3)


def test_connector_rejections_are_stored_too(engine) -> None:
    ing = harvest(
        engine,
        page(
            Rejected(reason="start: unparseable date 'TBA'", key="r9", raw={"start": "TBA"}),
            course(),
        ),
    )
    assert ing.tally.rejected == 1
    with Session(engine) as s:
        assert s.scalars(select(RejectedRecord.key)).all() == ["r9"]


def test_dates_from_other_zones_are_stored_as_utc_and_read_back_aware(engine) -> None:
    hanoi = timezone(timedelta(hours=7))
    start = datetime(2025, 9, 8, 8, 0, tzinfo=hanoi)
    harvest(engine, page(course(runs=(Run(key="r1", start=start),))))
    [run] = stored(engine)[0].runs
    assert run.start == start
    assert run.start.utcoffset() == timedelta(0)
    assert run.start.hour == 1


def test_each_page_commits_its_resume_cursor_with_its_data_and_the_last_the_next_cursor(
    engine,
) -> None:
    run_id = harvests.start_run(engine, "vnu")
    ing = Ingestor(engine, "vnu", run_id)
    ing.apply(page(course(), cursor={"next": "https://x/p2", "page": 2}, last=False))
    with Session(engine) as s:
        feed = s.get(Feed, "vnu")
        assert feed.resume_cursor == {"next": "https://x/p2", "page": 2}
        assert feed.resume_run_id == run_id
        assert feed.cursor is None
        assert feed.cursor_updated_at.tzinfo is not None
        run = s.get(HarvestRun, run_id)
        assert (run.pages, run.status) == (1, "running")
        assert s.scalars(select(Course.key)).all() == ["VNUx+INT1001"]
    ing.apply(page(course("VNUx+MAT1041"), number=2, cursor={"since": "2025-09-01"}))
    with Session(engine) as s:
        feed = s.get(Feed, "vnu")
        assert (feed.cursor, feed.resume_cursor, feed.resume_run_id) == (
            {"since": "2025-09-01"},
            None,
            None,
        )
        assert feed.last_success_at is not None and feed.last_full_at is not None
        run = s.get(HarvestRun, run_id)
        assert (run.pages, run.status, run.complete) == (2, "succeeded", True)


def test_not_modified_pages_are_stored_together_and_flushed_before_a_stop(engine) -> None:
    cursors = [{"next": f"https://x/p{n + 1}", "page": n + 1} for n in (1, 2)]
    harvest(
        engine,
        page(course("A+1"), number=1, cursor=cursors[0], last=False),
        page(course("A+2"), number=2, cursor=cursors[1], last=False),
        page(course("A+3"), number=3),
    )
    run_id = harvests.start_run(engine, "vnu")
    ing = Ingestor(engine, "vnu", run_id)
    for n in (1, 2):
        outcome = ing.apply(
            replace(page(number=n, cursor=cursors[n - 1], last=False), not_modified=True)
        )
        assert outcome.unchanged == 0  # held, not yet stored
    with Session(engine) as s:
        assert s.get(Feed, "vnu").resume_cursor is None
        assert s.get(HarvestRun, run_id).pages == 0
    assert ing.flush().unchanged == 2  # what the sync does when it is told to stop
    with Session(engine) as s:
        assert s.get(Feed, "vnu").resume_cursor == cursors[1]
        assert (s.get(HarvestRun, run_id).pages, s.get(HarvestRun, run_id).unchanged) == (2, 2)
    outcome = ing.apply(replace(page(number=3), not_modified=True))
    assert outcome.unchanged == 1
    with Session(engine) as s:
        run = s.get(HarvestRun, run_id)
        assert (run.status, run.complete, run.pages, run.unchanged, run.new) == (
            "succeeded",
            True,
            3,
            3,
            0,
        )
    assert [c.status for c in stored(engine)] == ["active"] * 3


def test_explicit_withdrawal_keeps_the_course_and_a_return_reactivates_it(engine) -> None:
    others = [course(f"VNUx+C{i}") for i in range(9)]
    harvest(engine, page(course(), *others))
    ing = harvest(engine, page(Withdrawn("VNUx+INT1001"), *others))
    assert ing.tally.withdrawn == 1
    ai = next(c for c in stored(engine) if c.key == "VNUx+INT1001")
    assert ai.status == "withdrawn" and len(ai.runs) == 1
    ing = harvest(engine, page(course(), *others))
    assert ing.tally.counts() == {"updated": 1, "unchanged": 9}
    assert next(c for c in stored(engine) if c.key == "VNUx+INT1001").status == "active"
    with Session(engine) as s:
        events = s.scalars(
            select(CourseEvent.event)
            .join(Course)
            .where(Course.key == "VNUx+INT1001")
            .order_by(CourseEvent.id)
        ).all()
    assert events == ["new", "withdrawn", "reactivated"]


def test_a_large_page_goes_in_batches(engine) -> None:
    many = [course(f"VNUx+C{i:04d}") for i in range(1200)]
    ing = harvest(engine, page(*many))
    assert ing.tally.counts() == {"new": 1200}
    with Session(engine) as s:
        assert len(s.scalars(select(CourseRun.id)).all()) == 1200
    ing = harvest(engine, page(*many))
    assert ing.tally.counts() == {"unchanged": 1200}


def test_a_deletion_for_a_course_never_stored_is_counted_and_withdraws_nothing(engine) -> None:
    others = [course(f"VNUx+C{i}") for i in range(9)]
    harvest(engine, page(course(), *others))
    never = Withdrawn("VNUx+NEVER-STORED")
    ing = harvest(
        engine,
        page(never, Withdrawn("VNUx+INT1001"), *others, cursor={"page": 2}, last=False),
        page(never, Withdrawn("VNUx+RELISTED"), course("VNUx+RELISTED"), number=2),
    )
    # NEVER-STORED twice on separate pages counts per page; RELISTED is listed on its own page.
    assert (ing.tally.deleted_unknown, ing.tally.withdrawn) == (2, 1)
    with Session(engine) as s:
        run = s.get(HarvestRun, ing.harvest_id)
        assert (run.deleted_unknown, run.withdrawn) == (2, 1)
    assert "VNUx+NEVER-STORED" not in {c.key for c in stored(engine)}
    # Deleting courses the catalog holds (withdrawn INT1001 too) counts none.
    ing = harvest(
        engine,
        page(Withdrawn("VNUx+C0"), Withdrawn("VNUx+INT1001"), *others[1:], course("VNUx+RELISTED")),
    )
    assert (ing.tally.deleted_unknown, ing.tally.withdrawn) == (0, 1)
