"""Schema changes never lose data: a catalog created at the first migration, with courses in it,
upgrades to the newest schema and keeps every course, run and harvest record."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, select, text

from catalog.store import harvests, schema, subject_codes, tables, textsearch
from catalog.store.db import make_engine, read_only
from catalog.store.ingest import Ingestor
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


def test_a_catalog_with_the_positional_trigram_table_upgrades_without_losing_search(
    tmp_path, monkeypatch
) -> None:
    """Revision 0009 rebuilds the SQLite trigram table without positions (``detail=none``):
    the same courses are found before and after, and the downgrade puts positions back."""
    if not textsearch.trigram_available():
        pytest.skip("this SQLite has no FTS5 trigram tokenizer")
    # Today's ingest also writes course_sources, which revision 0008 has not got (0010).
    monkeypatch.setattr("catalog.store.bulk.Bulk.upsert", lambda *_args, **_kwargs: 0)
    engine = make_engine(f"sqlite:///{tmp_path / 'catalog.db'}")
    # Courses stored by this version, then the schema taken back to revision 0008 with the
    # table as revision 0006 built it before 0009: with positions (FTS5's default).
    schema.upgrade(engine)
    harvests.register(
        engine,
        [harvests.InstitutionInfo("vnu", {"vi": "ĐHQGHN"}, "VN", "UTC")],
        [harvests.FeedInfo("vnu", "vnu", "openedx", "https://x")],
    )
    titles = ["Giáo dục học đại cương", "人工智能导论", "Lập trình C++ [nâng cao]"]
    Ingestor(engine, "vnu", harvests.start_run(engine, "vnu")).apply(
        Page(
            items=tuple(CourseRecord(key=f"K{i}", title=t) for i, t in enumerate(titles)),
            cursor=None,
            url="https://x/p1",
            number=1,
            last=True,
        )
    )
    command.downgrade(schema._config(engine), "0008")
    fts = textsearch.FTS_TABLE
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE {fts}"))
        conn.execute(text(textsearch.fts_table_statement().replace(", detail=none", "")))
        conn.execute(text(f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')"))
    queries = ("giao duc", "人工智能", "c++ [nang", "hoc dai", "nothing here")

    def table_sql() -> str:
        with read_only(engine) as conn:
            return conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": fts}
            ).scalar_one()

    def found() -> list[list[str]]:
        with read_only(engine) as conn:
            return [[h.key for h in textsearch.search(conn, q)] for q in queries]

    before = found()
    assert before == [["K0"], ["K1"], ["K2"], ["K0"], []]
    assert "detail" not in table_sql()

    assert schema.upgrade(engine) == ("0008", schema.head_revision())
    assert table_sql() == textsearch.fts_table_statement()
    assert "detail=none" in table_sql()
    assert found() == before
    with engine.begin() as conn:  # the rebuilt table agrees with its content table
        conn.execute(text(f"INSERT INTO {fts} ({fts}) VALUES ('integrity-check')"))

    # A course changed after the upgrade reaches the new table through the update trigger.
    Ingestor(engine, "vnu", harvests.start_run(engine, "vnu")).apply(
        Page(
            items=(CourseRecord(key="K0", title="Xác suất thống kê"),),
            cursor=None,
            url="https://x/p1",
            number=1,
            last=False,
        )
    )
    with read_only(engine) as conn:
        assert [h.key for h in textsearch.search(conn, "xac suat")] == ["K0"]
        assert textsearch.search(conn, "giao duc") == []

    command.downgrade(schema._config(engine), "0008")
    assert "detail=full" in table_sql()
    with read_only(engine) as conn:
        assert [h.key for h in textsearch.search(conn, "xac suat")] == ["K0"]
        phrase = text(f"SELECT rowid FROM {fts} WHERE {fts} MATCH :q")  # positions are back
        assert conn.execute(phrase, {"q": '"xac suat"'}).scalars().all() == [
            conn.execute(text("SELECT id FROM courses WHERE key = 'K0'")).scalar_one()
        ]
    engine.dispose()


def test_revision_0011_adds_the_isced_codes_which_the_first_ensure_codes_decides(
    catalog_url: str,
) -> None:
    """Courses stored before 0011 get NULL codes and no signature; ``ensure_codes`` then decides
    them all with the config's mapping. The downgrade drops the column and the table."""
    engine = make_engine(catalog_url)
    schema.upgrade(engine, "0010")
    t0 = "2025-01-01 00:00:00+00"
    with engine.begin() as conn:  # data as version 0010 wrote it
        conn.execute(
            text("INSERT INTO institutions (id, names, timezone) VALUES ('vnu', '{}', 'UTC')")
        )
        conn.execute(
            text(
                "INSERT INTO feeds (id, institution_id, connector, base_url, created_at) "
                "VALUES ('vnu', 'vnu', 'openedx', 'https://x', :t)"
            ),
            {"t": t0},
        )
        for key, subjects in (("C1", '["Lehramt"]'), ("C2", '["Computer Science"]')):
            conn.execute(
                text(
                    "INSERT INTO courses (feed_id, key, title, subjects, status, content_hash, "
                    "precedence, first_seen_at, last_seen_at, updated_at) VALUES ('vnu', :key, "
                    "'t', :subjects, 'active', 'h', '', :t, :t, :t)"
                ),
                {"key": key, "subjects": subjects, "t": t0},
            )

    assert schema.upgrade(engine) == ("0010", schema.head_revision())
    with read_only(engine) as conn:
        rows = conn.execute(text("SELECT key, isced FROM courses ORDER BY key")).all()
        assert [tuple(row) for row in rows] == [("C1", None), ("C2", None)]
        assert conn.execute(text("SELECT count(*) FROM derivations")).scalar() == 0
    assert subject_codes.ensure_codes(engine, {"Lehramt": "01"}).courses == 2
    with read_only(engine) as conn:
        c = tables.courses.c
        assert conn.execute(select(c.key, c.isced).order_by(c.key)).all() == [
            ("C1", ["01"]),
            ("C2", ["06"]),
        ]
        assert conn.execute(text("SELECT name FROM derivations")).scalars().all() == ["isced"]

    command.downgrade(schema._config(engine), "0010")
    names = inspect(engine)
    assert "isced" not in {column["name"] for column in names.get_columns("courses")}
    assert "derivations" not in names.get_table_names()
    with read_only(engine) as conn:
        assert conn.execute(text("SELECT count(*) FROM courses")).scalar() == 2
    engine.dispose()
