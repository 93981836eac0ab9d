"""A new SQLite catalog is created from the migrations' snapshot: the same schema, without
Alembic, and every case the snapshot does not fit still goes through the migrations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from catalog.store import schema, textsearch
from catalog.store.db import make_engine

ROOT = Path(__file__).resolve().parents[3]


def _objects(engine: Engine) -> list[tuple[str, str, str, str | None]]:
    """Everything in ``sqlite_master``, SQLite's and FTS5's own objects included."""
    with engine.connect() as conn:
        return sorted(
            tuple(row)
            for row in conn.exec_driver_sql("SELECT type, name, tbl_name, sql FROM sqlite_master")
        )


@pytest.fixture
def new_engine(tmp_path: Path):
    engines: list[Engine] = []

    def make(name: str) -> Engine:
        engines.append(make_engine(f"sqlite:///{tmp_path / name}"))
        return engines[-1]

    yield make
    for engine in engines:
        engine.dispose()


def test_the_snapshot_is_what_the_migrations_build_now(new_engine) -> None:
    migrated = new_engine("migrated.db")
    schema.migrate(migrated)
    assert schema.SNAPSHOT.read_text(encoding="utf-8") == schema.render_snapshot(migrated), (
        "catalog/store/migrations/sqlite_head.sql is stale: run `python -m catalog.store.schema`"
    )
    assert schema.read_snapshot()[0] == schema.head_revision()


def test_a_new_catalog_from_the_snapshot_equals_the_migrated_one(new_engine) -> None:
    if not textsearch.trigram_available():
        pytest.skip("this SQLite has no trigram tokenizer: the snapshot does not apply")
    migrated, created = new_engine("migrated.db"), new_engine("created.db")
    schema.migrate(migrated)
    assert schema.upgrade(created) == (None, schema.head_revision())
    assert _objects(created) == _objects(migrated)  # shadow tables and autoindexes included
    assert schema.current_revision(created) == schema.head_revision()
    schema.ensure_current(created)  # current: nothing to do


def test_the_first_use_of_a_new_catalog_imports_no_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    script = (
        "import sys\n"
        "from catalog.store import schema\n"
        "from catalog.store.db import make_engine\n"
        f"schema.ensure_current(make_engine({url!r}))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def _record_migrations(monkeypatch) -> list[str]:
    calls: list[str] = []
    migrate = schema.migrate

    def recorded(engine: Engine, revision: str = "head"):
        calls.append(revision)
        return migrate(engine, revision)

    monkeypatch.setattr(schema, "migrate", recorded)
    return calls


def test_a_snapshot_of_another_revision_is_not_used(new_engine, tmp_path, monkeypatch) -> None:
    stale = tmp_path / "stale.sql"
    stale.write_text(
        schema.SNAPSHOT.read_text(encoding="utf-8").replace(
            f"-- revision: {schema.head_revision()}", "-- revision: 0001"
        ),
        encoding="utf-8",
    )
    monkeypatch.setattr(schema, "SNAPSHOT", stale)
    calls = _record_migrations(monkeypatch)
    engine = new_engine("c.db")
    schema.ensure_current(engine)
    assert calls == ["head"]
    assert schema.current_revision(engine) == schema.head_revision()


def test_without_the_trigram_tokenizer_the_migrations_decide(new_engine, monkeypatch) -> None:
    monkeypatch.setattr(textsearch, "trigram_available", lambda: False)
    calls = _record_migrations(monkeypatch)
    engine = new_engine("c.db")
    schema.upgrade(engine)
    assert calls == ["head"]
    names = {name for _, name, _, _ in _objects(engine)}
    assert textsearch.INDEX_TABLE in names and textsearch.FTS_TABLE not in names


def test_a_database_that_is_not_empty_is_left_to_the_migrations(new_engine, monkeypatch) -> None:
    engine = new_engine("c.db")
    schema.migrate(engine, "0001")
    calls = _record_migrations(monkeypatch)
    assert schema.upgrade(engine) == ("0001", schema.head_revision())
    assert calls == ["head"]


def test_a_snapshot_that_fails_halfway_leaves_nothing_behind(new_engine, tmp_path, monkeypatch):
    broken = tmp_path / "broken.sql"
    broken.write_text(
        schema.SNAPSHOT.read_text(encoding="utf-8") + "CREATE TABLE broken (x REFERENCES;\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(schema, "SNAPSHOT", broken)
    assert schema.read_snapshot()[1][-1].startswith("CREATE TABLE broken")
    calls = _record_migrations(monkeypatch)
    engine, migrated = new_engine("c.db"), new_engine("migrated.db")
    schema.upgrade(engine)
    assert calls == ["head"]  # rolled back, then migrated from nothing
    schema.migrate(migrated)
    assert _objects(engine) == _objects(migrated)


def test_statements_are_split_where_sqlite_says_they_end(tmp_path, monkeypatch) -> None:
    snapshot = tmp_path / "s.sql"
    snapshot.write_text(
        "-- revision: 0042\n\nCREATE TABLE a (x TEXT DEFAULT ';');\n"
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  DELETE FROM a; DELETE FROM a;\nEND;\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(schema, "SNAPSHOT", snapshot)
    revision, statements = schema.read_snapshot()
    assert revision == "0042"
    assert statements == [
        "CREATE TABLE a (x TEXT DEFAULT ';')",
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  DELETE FROM a; DELETE FROM a;\nEND",
    ]
