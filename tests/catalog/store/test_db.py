"""The catalog database: SQLite set up for concurrent use, migrations, timezone round-trips."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from catalog.errors import CatalogError, SchemaError
from catalog.store import schema
from catalog.store.db import make_engine, read_only
from catalog.store.models import Feed, Institution


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_sqlite_is_opened_with_wal_foreign_keys_and_a_busy_timeout(engine) -> None:
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


def test_foreign_keys_are_enforced(engine) -> None:
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            Feed.__table__.insert().values(
                id="orphan",
                institution_id="nowhere",
                connector="openedx",
                base_url="https://x",
                created_at=datetime.now(UTC),
            )
        )


def test_a_second_writer_waits_for_the_first_instead_of_failing(tmp_path: Path) -> None:
    """BEGIN IMMEDIATE: the second writer queues on the lock (RELIABILITY.md D1/D2)."""
    url = f"sqlite:///{tmp_path / 'c.db'}"
    first, second = make_engine(url), make_engine(url)
    schema.upgrade(first)
    with first.begin() as conn:
        conn.execute(Institution.__table__.insert().values(id="vnu", names={}, timezone="UTC"))

    holding = threading.Event()
    errors: list[BaseException] = []

    def hold_write_lock() -> None:
        try:
            with first.begin() as conn:
                # A read-then-write transaction: the pattern that fails with SQLITE_BUSY_SNAPSHOT
                # under deferred BEGIN when another connection commits in between.
                conn.execute(select(Institution.id)).all()
                holding.set()
                time.sleep(0.5)
                conn.execute(update(Institution.__table__).values(country="VN"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=hold_write_lock)
    thread.start()
    assert holding.wait(5)
    with second.begin() as conn:  # waits for the lock, then proceeds
        conn.execute(select(Institution.id)).all()
        conn.execute(update(Institution.__table__).values(timezone="Asia/Ho_Chi_Minh"))
    thread.join()
    assert errors == []
    with read_only(second) as conn:
        row = conn.execute(select(Institution.country, Institution.timezone)).one()
    assert tuple(row) == ("VN", "Asia/Ho_Chi_Minh")


def test_readers_do_not_queue_behind_a_writer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    writer, reader = make_engine(url, busy_timeout_ms=200), make_engine(url, busy_timeout_ms=200)
    schema.upgrade(writer)
    with writer.begin() as conn:
        conn.execute(Institution.__table__.insert().values(id="vnu", names={}, timezone="UTC"))
        # The write transaction is still open: a read-only connection still reads.
        with read_only(reader) as rconn:
            assert rconn.execute(select(Institution.id)).all() == []


def test_timestamps_round_trip_as_aware_utc_and_naive_ones_are_refused(engine) -> None:
    hanoi = datetime(2025, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=7)))
    with engine.begin() as conn:
        conn.execute(update(Feed.__table__).values(cursor_updated_at=hanoi))
    with read_only(engine) as conn:
        stored = conn.execute(select(Feed.cursor_updated_at)).scalar_one()
    assert stored == hanoi and stored.tzinfo is not None and stored.hour == 2
    with pytest.raises(Exception, match="naive datetime"), engine.begin() as conn:
        conn.execute(update(Feed.__table__).values(cursor_updated_at=datetime(2025, 3, 1, 9)))


def test_schema_is_created_by_migrations_and_upgrade_is_idempotent(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    assert schema.current_revision(eng) is None
    before, after = schema.upgrade(eng)
    assert before is None and after == schema.head_revision()
    assert schema.upgrade(eng) == (after, after)
    schema.ensure_current(eng)  # a no-op on a current catalog
    with eng.connect() as conn:
        tables = {
            r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
        }
    assert {
        "institutions",
        "feeds",
        "courses",
        "course_runs",
        "harvest_runs",
        "rejected_records",
        "alembic_version",
    } <= tables


def test_a_catalog_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    schema.upgrade(eng)
    with eng.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaError, match="newer version"):
        schema.ensure_current(eng)


def test_a_bad_url_or_missing_driver_is_a_clear_catalog_error() -> None:
    with pytest.raises(CatalogError, match="not a database URL"):
        make_engine("not a url")
    with pytest.raises(CatalogError, match="driver"):
        make_engine("postgresql+nosuchdriver://u@h/db")
