"""`ensure_current` recognises a current catalog without Alembic, and leaves everything else —
creating, upgrading, refusing, replicas starting together — to the Alembic path it always took."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import text

from catalog.errors import SchemaError
from catalog.store import schema
from catalog.store.db import make_engine

ROOT = Path(__file__).resolve().parents[3]


def test_the_head_read_from_the_migration_files_is_alembics_head() -> None:
    alembic_head = ScriptDirectory.from_config(schema._config_without_engine()).get_current_head()
    assert schema._parsed_head() is not None, "the migrations no longer parse: the fast path is off"
    assert schema._parsed_head() == alembic_head == schema.head_revision()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('revision = "0007"', [("revision", '"0007"')]),
        ("revision: str = '0007'  # a comment", [("revision", "'0007'")]),
        ("down_revision: str | None = None", [("down_revision", "None")]),
        ('down_revision = ("0005", "0006")', []),  # a merge: Alembic decides
        ('    revision = "nested"', []),  # not a top-level assignment
    ],
)
def test_revision_lines(line: str, expected: list[tuple[str, str]]) -> None:
    assert schema._REVISION_LINE.findall(line) == expected


def test_migrations_it_cannot_read_plainly_are_left_to_alembic(tmp_path: Path, monkeypatch) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "a.py").write_text('revision = "a"\ndown_revision = None\n', encoding="utf-8")
    (versions / "b.py").write_text('revision = "b"\ndown_revision = "a"\n', encoding="utf-8")
    monkeypatch.setattr(schema, "MIGRATIONS", tmp_path)
    assert schema._parsed_head() == "b"
    (versions / "c.py").write_text('revision = "c"\ndown_revision = "a"\n', encoding="utf-8")
    assert schema._parsed_head() is None  # two heads
    (versions / "c.py").write_text('revision = "c"\ndown_revision = ("a", "b")\n', "utf-8")
    assert schema._parsed_head() is None  # a merge


def test_a_current_catalog_is_left_alone_without_alembic(catalog_url: str, monkeypatch) -> None:
    engine = make_engine(catalog_url)
    schema.upgrade(engine)

    def no_upgrade(*_args, **_kwargs):
        raise AssertionError("a current catalog must not be upgraded")

    monkeypatch.setattr(schema, "upgrade", no_upgrade)
    monkeypatch.setattr(schema, "current_revision", no_upgrade)  # Alembic's reader
    schema.ensure_current(engine)
    engine.dispose()


def test_an_empty_catalog_is_created(catalog_url: str) -> None:
    engine = make_engine(catalog_url)
    schema.ensure_current(engine)
    assert schema.current_revision(engine) == schema.head_revision()
    engine.dispose()


def test_an_older_catalog_is_upgraded(catalog_url: str) -> None:
    engine = make_engine(catalog_url)
    schema.upgrade(engine, "0001")
    schema.ensure_current(engine)
    assert schema.current_revision(engine) == schema.head_revision()
    engine.dispose()


def test_an_unknown_revision_or_a_broken_version_table_fails_as_before(catalog_url: str) -> None:
    engine = make_engine(catalog_url)
    schema.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaError, match="newer version"):
        schema.ensure_current(engine)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE alembic_version SET version_num = :head"),
            {"head": schema.head_revision()},
        )
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('0005')"))
    with pytest.raises(CommandError, match="more than one head"):
        schema.ensure_current(engine)
    engine.dispose()


ENSURE = """
import sys
from catalog.store import schema
from catalog.store.db import make_engine
engine = make_engine(sys.argv[1])
schema.ensure_current(engine)
print(schema.current_revision(engine))
"""


def test_two_processes_starting_on_an_empty_catalog_both_end_current(catalog_url: str) -> None:
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", ENSURE, catalog_url],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=120) for p in starts]
    assert [p.returncode for p in starts] == [0, 0], [err[-2000:] for _, err in results]
    assert [out.strip() for out, _ in results] == [schema.head_revision()] * 2
