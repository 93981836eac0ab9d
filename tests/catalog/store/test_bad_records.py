"""One record the database refuses never costs its page, told from the admin's side: a config
file, a served Open edX platform, ``moocx sync``, then ``moocx runs show`` and what landed in the
catalog — on SQLite and PostgreSQL alike (shared/RELIABILITY.md C11, J4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses
from sqlalchemy import create_engine, event, text

import catalog.store.ingest
from catalog.store import schema
from catalog.store.db import make_engine
from catalog.store.validate import PRECEDENCE_LIMIT, stored_precedence
from scheduler.cli import run
from tests.support import openedx_feed as feed

CONFIG = """
[catalog]
url = "{catalog_url}"

[http]
max_retries = 0

[[institutions]]
id = "vnu"
country = "VN"
timezone = "Asia/Ho_Chi_Minh"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[feeds]]
id = "vnu-openedx"
institution = "vnu"
connector = "openedx"
base_url = "{base}"

[feeds.options]
page_size = 3
"""

#: A course number that makes a run key of 150 characters (Open edX allows 255).
LONG_NUMBER = "DATA" + "9" * 123
REFUSED = "[refuse]"
#: A rule the database enforces and validation knows nothing about: a site's own trigger.
TRIGGERS = {
    "sqlite": [
        f"CREATE TRIGGER refuse_{event} BEFORE {event} ON courses "
        f"WHEN instr(NEW.title, '{REFUSED}') > 0 "
        "BEGIN SELECT RAISE(ABORT, 'course title refused by the site rule'); END"
        for event in ("INSERT", "UPDATE")
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_course() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF strpos(NEW.title, '{REFUSED}') > 0 THEN RAISE EXCEPTION "
        "'course title refused by the site rule' USING ERRCODE = 'check_violation'; END IF; "
        "RETURN NEW; END $$",
        "CREATE TRIGGER refuse_course BEFORE INSERT OR UPDATE ON courses "
        "FOR EACH ROW EXECUTE FUNCTION refuse_course()",
    ],
}


@pytest.fixture
def config(tmp_path: Path, catalog_url: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(base=feed.BASE, catalog_url=catalog_url), encoding="utf-8")
    return path


@pytest.fixture
def db(catalog_url: str):
    engine = create_engine(catalog_url)
    yield engine
    engine.dispose()


def sync(config: Path) -> int:
    return run(["--config", str(config), "sync", "--quiet"])


def courses(db) -> dict[str, tuple[str, str]]:
    """Course key → (title, status)."""
    with db.connect() as conn:
        rows = conn.execute(text("SELECT key, title, status FROM courses ORDER BY key"))
        return {row.key: (row.title, row.status) for row in rows}


def last_run(db) -> dict:
    with db.connect() as conn:
        return dict(
            conn.execute(text("SELECT * FROM harvest_runs ORDER BY id DESC LIMIT 1"))
            .mappings()
            .one()
        )


def install_triggers(catalog_url: str) -> None:
    engine = make_engine(catalog_url)
    schema.upgrade(engine)
    with engine.begin() as conn:
        for statement in TRIGGERS[engine.dialect.name]:
            conn.exec_driver_sql(statement)
    engine.dispose()


@responses.activate
def test_c11_a_150_character_run_key_is_stored_with_its_page_on_both_backends(
    config: Path, db, capsys
) -> None:
    """C11 (issue 16, bug 1): Open edX's precedence (start + run key) once overflowed
    ``courses.precedence VARCHAR(128)``; PostgreSQL refused the page and lost both courses,
    on every run. The precedence is now stored bounded, the same on both backends."""
    long_run = feed.run(LONG_NUMBER)
    assert len(long_run["id"]) == 150
    feed.serve([feed.run("INT1001"), long_run])
    assert sync(config) == 0
    assert list(courses(db)) == [f"VNUx+{LONG_NUMBER}", "VNUx+INT1001"]
    row = last_run(db)
    assert (row["status"], row["new"], row["rejected"]) == ("succeeded", 2, 0)
    with db.connect() as conn:
        stored = conn.scalar(text("SELECT precedence FROM courses WHERE key LIKE '%DATA%'"))
    assert stored == stored_precedence(f"2|2025-09-08T01:00:00|{long_run['id']}")  # public
    assert len(stored) == PRECEDENCE_LIMIT

    assert sync(config) == 0  # the bounded value compares equal to itself: nothing rewritten
    row = last_run(db)
    assert (row["new"], row["updated"], row["unchanged"]) == (0, 0, 2)


@responses.activate
def test_c11_a_course_the_database_refuses_is_rejected_alone_and_the_page_lands(
    config: Path, catalog_url: str, db, capsys
) -> None:
    """C11: a rule validation does not know (here a site's trigger) refuses one course of three:
    the page is retried course by course in savepoints; the refused one is stored as rejected
    with the database's reason and an excerpt, exactly as ``moocx runs show`` shows it."""
    install_triggers(catalog_url)
    feed.serve(
        [
            feed.run("INT1001"),
            feed.run("MAT1001", f"Giải tích {REFUSED}"),
            feed.run("PHY1001"),
        ]
    )
    assert sync(config) == 0
    assert "succeeded (full) · new 2 · updated 0 · unchanged 0 · rejected 1 · 1 page · " in (
        capsys.readouterr().out
    )
    assert list(courses(db)) == ["VNUx+INT1001", "VNUx+PHY1001"]
    row = last_run(db)
    assert (row["received"], row["new"], row["rejected"]) == (3, 2, 1)
    with db.connect() as conn:
        rejected = conn.execute(text("SELECT key, reason, excerpt FROM rejected_records")).one()
    assert rejected.key == "VNUx+MAT1001"
    error = "CheckViolation" if catalog_url.startswith("postgresql") else "IntegrityError"
    assert (
        rejected.reason
        == f"the database refused it: {error}: course title refused by the site rule"
    )
    assert json.loads(rejected.excerpt)[0]["name"] == f"Giải tích {REFUSED}"

    assert run(["--config", str(config), "runs", "show", str(row["id"])]) == 0
    shown = capsys.readouterr().out
    assert "pages 1 · received 3 · new 2 · updated 0 · unchanged 0 · withdrawn 0 · rejected 1" in (
        shown
    )
    assert "rejected records (1):" in shown
    assert f"  - VNUx+MAT1001: {rejected.reason}" in shown
    assert "    page: https://courses.vnu.edu.vn/api/courses/v1/courses/?page_size=3" in shown


@responses.activate
def test_c11_a_refused_update_keeps_the_stored_course_and_the_others_change(
    config: Path, catalog_url: str, db, capsys
) -> None:
    """C11: the refused record is an update of a stored course: that course stays as it was
    (its withdrawal is held: a degraded run), the page's other changes are applied."""
    feed.serve([feed.run("INT1001"), feed.run("MAT1001", "Giải tích"), feed.run("PHY1001")])
    assert sync(config) == 0
    install_triggers(catalog_url)
    responses.reset()
    feed.serve(
        [
            feed.run("INT1001", "Trí tuệ nhân tạo (2026)"),
            feed.run("MAT1001", f"Giải tích {REFUSED}"),
            feed.run("PHY1001"),
        ]
    )
    assert sync(config) == 0
    assert courses(db) == {
        "VNUx+INT1001": ("Trí tuệ nhân tạo (2026)", "active"),
        "VNUx+MAT1001": ("Giải tích", "active"),
        "VNUx+PHY1001": ("Khóa học PHY1001", "active"),
    }
    row = last_run(db)
    assert (row["updated"], row["unchanged"], row["rejected"]) == (1, 1, 1)
    assert row["degraded"] and row["held_withdrawals"] == 1


@responses.activate
def test_c11_the_safety_net_catches_the_old_precedence_overflow_on_postgresql(
    config: Path, catalog_url: str, db, monkeypatch: pytest.MonkeyPatch
) -> None:
    """C11: with the precedence no longer bounded (as before the fix), PostgreSQL refuses the
    long one (``StringDataRightTruncation``) and the savepoint fallback keeps the ordinary
    course; SQLite, which does not enforce ``VARCHAR(n)``, stores both — the divergence the
    bounded precedence removes."""
    monkeypatch.setattr(catalog.store.ingest.items, "PRECEDENCE_LIMIT", 10_000)
    feed.serve([feed.run("INT1001"), feed.run(LONG_NUMBER)])
    assert sync(config) == 0
    row = last_run(db)
    if catalog_url.startswith("sqlite"):
        assert (row["new"], row["rejected"]) == (2, 0)
        return
    assert list(courses(db)) == ["VNUx+INT1001"]
    assert (row["status"], row["new"], row["rejected"]) == ("succeeded", 1, 1)
    with db.connect() as conn:
        reason = conn.scalar(text("SELECT reason FROM rejected_records"))
    assert reason == (
        "the database refused it: StringDataRightTruncation: "
        "value too long for type character varying(128)"
    )


def _statements(engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_c11_savepoints_are_only_taken_when_a_batch_was_refused(catalog_url: str, engine) -> None:
    """C11: the normal path writes a page in one batch with no savepoint; only a refused batch
    is written again with one savepoint per course."""
    from catalog.store import harvests
    from tests.catalog.store.test_ingest import course, page

    statements = _statements(engine)
    ingestor = catalog.store.ingest.Ingestor(engine, "vnu", harvests.start_run(engine, "vnu"))
    ingestor.apply(page(course("VNUx+A1"), course("VNUx+A2"), last=False))
    assert not [s for s in statements if "SAVEPOINT" in s.upper()]

    with engine.begin() as conn:
        for statement in TRIGGERS[engine.dialect.name]:
            conn.exec_driver_sql(statement)
    statements.clear()
    outcome = ingestor.apply(
        page(course("VNUx+B1"), course("VNUx+B2", title=REFUSED), course("VNUx+B3"), number=2)
    )
    assert (outcome.new, outcome.rejected) == (2, 1)
    assert len([s for s in statements if s.upper().startswith("SAVEPOINT")]) == 3
    assert ingestor.tally.rejected == 1 and ingestor.tally.received == 5


@responses.activate
def test_j4_nul_in_a_served_page_lands_the_same_on_both_backends(config: Path, db, capsys) -> None:
    """J4: JSON ``\\u0000`` in a served page. In a course's name the connector drops it; the
    source's record keeps it (``course_sources.raw``, as an escape); in a rejected run's raw
    payload the excerpt keeps it escaped too. PostgreSQL, which refuses NUL in text, stores
    exactly what SQLite stores."""
    named = feed.run("INT1001", "Nhập môn\u0000 AI")
    tba = {**feed.run("MAT1001"), "start": "TBA\u0000"}
    feed.serve([named, tba, feed.run("PHY1001")])
    assert sync(config) == 0
    assert courses(db) == {
        "VNUx+INT1001": ("Nhập môn AI", "active"),
        "VNUx+PHY1001": ("Khóa học PHY1001", "active"),
    }
    with db.connect() as conn:
        raw = conn.scalar(
            text(
                "SELECT s.raw FROM course_sources s JOIN courses c ON c.id = s.course_id "
                "WHERE c.key = 'VNUx+INT1001'"
            )
        )
        rejected = conn.execute(text("SELECT key, reason, excerpt FROM rejected_records")).one()
    assert "\x00" not in raw and json.loads(raw)[0]["name"] == "Nhập môn\u0000 AI"
    assert rejected.key == "course-v1:VNUx+MAT1001+2025_T1"
    assert "\x00" not in rejected.reason + rejected.excerpt
    assert json.loads(rejected.excerpt)["start"] == "TBA\u0000"
    assert run(["--config", str(config), "runs", "show", str(last_run(db)["id"])]) == 0
    assert '"start": "TBA\\u0000"' in capsys.readouterr().out
