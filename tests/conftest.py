"""Shared test fixtures. HTTP is always mocked (``responses``) or served on loopback."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_json(*parts: str) -> Any:
    """A JSON fixture file under tests/fixtures/."""
    return json.loads(FIXTURES.joinpath(*parts).read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _no_real_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries back off by sleeping; tests never wait for real unless they pass their own sleep."""
    import connectors.http

    def no_wait(_seconds: float, stop=None) -> bool:
        return bool(stop is not None and stop.is_set())

    monkeypatch.setattr(connectors.http, "sleep_for", no_wait)


@pytest.fixture(autouse=True)
def _logging_as_it_was():
    """Every test leaves logging as it found it (tests.support.logs)."""
    from tests.support.logs import logging_kept

    with logging_kept():
        yield


@pytest.fixture(scope="session")
def pg_server():
    """The session's PostgreSQL server (see tests/support/postgres.py)."""
    from tests.support.postgres import PostgresServer

    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty catalog database URL: every database-facing test runs on both backends."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.db'}"
    server = request.getfixturevalue("pg_server")
    if server.unavailable:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL tests must run in CI: {server.unavailable}")
        pytest.skip(server.unavailable)
    return server.new_database()


@pytest.fixture
def engine(catalog_url: str):
    """A migrated catalog (SQLite and PostgreSQL), with one institution and the feed ``vnu``."""
    from catalog.store import harvests, schema
    from catalog.store.db import make_engine

    eng = make_engine(catalog_url)
    schema.upgrade(eng)
    harvests.register(
        eng,
        [harvests.InstitutionInfo("vnu", {"vi": "ĐHQGHN"}, "VN", "Asia/Ho_Chi_Minh")],
        [harvests.FeedInfo("vnu", "vnu", "openedx", "https://courses.vnu.edu.vn")],
    )
    yield eng
    eng.dispose()


class WriteLog:
    """The data-changing SQL statements an engine ran, by table."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def tables(self) -> set[str]:
        import re

        found = set()
        for sql in self.statements:
            m = re.match(r"\s*(?:INSERT INTO|UPDATE|DELETE FROM)\s+\"?(\w+)", sql, re.I)
            if m:
                found.add(m.group(1))
        return found


@pytest.fixture
def write_log(engine):
    """Records every INSERT / UPDATE / DELETE the ``engine`` fixture executes."""
    from sqlalchemy import event

    log = WriteLog()

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            log.statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    yield log
    event.remove(engine, "before_cursor_execute", before)


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ``moocx demo`` per test session (its catalog, config and exported sites), on free
    ports. Read-only: a test that changes anything copies it first."""
    from scheduler.cli import run
    from scheduler.demo import run as demo_run
    from tests.support.logs import logging_kept

    directory = tmp_path_factory.mktemp("demo") / "demo"
    # Session-scoped: outside the per-test fixtures, so the CLI's logging is put back here.
    with pytest.MonkeyPatch.context() as patch, logging_kept():
        patch.setattr(demo_run, "PREFERRED_PORTS", {})
        assert run(["demo", "--dir", str(directory)]) == 0
    return directory
