"""Schema changes never lose data: a catalog created at the first migration, with courses in it,
upgrades to the newest schema and keeps every course, run and harvest record."""

from __future__ import annotations

from sqlalchemy import text

from catalog import harvests, schema
from catalog.db import make_engine
from catalog.ingest import Ingestor
from connectors.records import CourseRecord, CourseRun, Page


def test_upgrade_from_the_first_migration_keeps_every_course(catalog_url: str) -> None:
    engine = make_engine(catalog_url)
    schema.upgrade(engine, "0001")
    t0 = "2025-01-01 00:00:00+00"
    with engine.begin() as conn:  # data as version 0001 wrote it
        conn.execute(
            text("INSERT INTO institutions (id, names, timezone) VALUES ('vnu', :n, 'UTC')"),
            {"n": '{"vi": "ĐHQGHN"}'},
        )
        conn.execute(
            text(
                "INSERT INTO feeds (id, institution_id, connector, base_url, created_at) "
                "VALUES ('vnu', 'vnu', 'openedx', 'https://x', :t)"
            ),
            {"t": t0},
        )
        run_id = conn.execute(
            text(
                "INSERT INTO harvest_runs (feed_id, status, started_at, finished_at, complete, "
                "pages, received, new, updated, unchanged, withdrawn, rejected, trigger) "
                "VALUES ('vnu', 'succeeded', :t, :t, true, 1, 2, 2, 0, 0, 0, 0, 'cli') "
                "RETURNING id"
            ),
            {"t": t0},
        ).scalar_one()
        for i, title in enumerate(["Giáo dục học đại cương", "人工智能导论"], start=1):
            course_id = conn.execute(
                text(
                    "INSERT INTO courses (feed_id, key, title, subjects, status, content_hash, "
                    "precedence, first_seen_at, last_seen_at, updated_at, first_harvest_id, "
                    "last_harvest_id) VALUES ('vnu', :key, :title, '[]', 'active', 'h', '', "
                    ":t, :t, :t, :run, :run) RETURNING id"
                ),
                {"key": f"VNUx+C{i}", "title": title, "t": t0, "run": run_id},
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO course_runs (course_id, key, content_hash, first_seen_at, "
                    "updated_at) VALUES (:id, :key, 'r', :t, :t)"
                ),
                {"id": course_id, "key": f"course-v1:VNUx+C{i}+2025", "t": t0},
            )

    before, after = schema.upgrade(engine)
    assert (before, after) == ("0001", schema.head_revision())
    with engine.connect() as conn:
        titles = conn.execute(text("SELECT key, title FROM courses ORDER BY key")).all()
        assert [tuple(t) for t in titles] == [
            ("VNUx+C1", "Giáo dục học đại cương"),
            ("VNUx+C2", "人工智能导论"),
        ]
        assert conn.execute(text("SELECT count(*) FROM course_runs")).scalar() == 2
        run = conn.execute(text("SELECT chain_id, mode, source_count FROM harvest_runs")).one()
        assert tuple(run) == (run_id, "full", 2)
        feed = conn.execute(text("SELECT needs_review, consecutive_failures FROM feeds")).one()
        assert tuple(feed) == (False, 0)

    # The upgraded catalog works: a harvest of the same course updates it, nothing is lost.
    run_id = harvests.start_run(engine, "vnu")
    ingestor = Ingestor(engine, "vnu", run_id)
    ingestor.apply(
        Page(
            items=(
                CourseRecord(
                    key="VNUx+C1",
                    title="Giáo dục học đại cương",
                    runs=(CourseRun(key="course-v1:VNUx+C1+2025"),),
                ),
                CourseRecord(key="VNUx+C2", title="人工智能导论"),
            ),
            cursor=None,
            url="https://x/p1",
            number=1,
            last=True,
        )
    )
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM courses WHERE status = 'active'")).scalar() == 2
        )
    engine.dispose()
