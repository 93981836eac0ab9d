"""D5: an export is one snapshot of the catalog, even when a sync commits between its queries.

An export reads institutions, feeds, runs, offers and courses in several statements (the
documents stream three ordered queries side by side). A writer that commits between two of
them must not show up in the export at all: not a new title beside an old run, not the new
offers of an old course. The tests commit from a second connection *between the export's own
statements* (an SQLAlchemy event on the export's read-only connection), then compare the export
with one taken before the change — on SQLite (a deferred read transaction in WAL mode is a
snapshot) and on PostgreSQL (``REPEATABLE READ``, catalog/store/db.py ``read_only``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import responses
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import InternalError

import scheduler.exports
from catalog.derive.exchange import ExchangeSettings, Rule
from catalog.store import harvests
from catalog.store.db import make_engine, read_only
from catalog.store.ingest import Ingestor
from catalog.store.offers import rebuild
from connectors.records import CourseRecord, CourseRun, Page
from scheduler.cli import run
from tests.support import openedx_feed as feed

CONFIG = """
[catalog]
url = "{catalog_url}"

[[institutions]]
id = "vnu"
names = {{ vi = "Đại học Quốc gia Hà Nội" }}

[[institutions]]
id = "tsinghua"
names = {{ zh = "清华大学" }}

[[feeds]]
id = "vnu"
institution = "vnu"
connector = "openedx"
base_url = "{base}"

[feeds.options]
page_size = 10

[[exchange]]
id = "vnu-to-tsinghua"
from = "vnu"
to = "tsinghua"
"""

#: What the concurrent writer commits: every title, run start, offer and institution name changes.
CHANGES = (
    "UPDATE courses SET title = title || ' (v2)'",
    "UPDATE course_runs SET start = {next_year}",
    "UPDATE offers SET seats = 99",
    """UPDATE institutions SET names = '{"vi": "ĐHQG (v2)"}'""",
)


class _Frozen(datetime):
    """``datetime.now`` fixed, so two site exports differ only in what they read."""

    @classmethod
    def now(cls, tz: Any = None) -> _Frozen:
        return cls(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def config(tmp_path: Path, catalog_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three VNU courses synced, all offered to Tsinghua; the site's clock frozen."""
    monkeypatch.setattr(scheduler.exports, "datetime", _Frozen)
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(catalog_url=catalog_url, base=feed.BASE), encoding="utf-8")
    runs = [
        feed.run("EDU1001", "Giáo dục học đại cương"),
        feed.run("AI3001", "人工智能原理与应用"),
        feed.run("ML4001", "Applied Machine Learning", start="2025-10-06T01:00:00Z"),
    ]
    with responses.RequestsMock() as mock:
        for url, body in feed.pages(runs, 10):
            mock.get(url, json=body)
        assert run(["--config", str(path), "sync", "--quiet"]) == 0
    return path


def commit_changes(url: str) -> None:
    """Another process's sync: one committed transaction that changes every table an export
    reads."""
    writer = make_engine(url)
    sqlite = writer.dialect.name == "sqlite"
    next_year = "datetime(start, '+1 year')" if sqlite else "start + interval '1 year'"
    with writer.begin() as conn:
        for sql in CHANGES:
            conn.execute(text(sql.replace("{next_year}", next_year)))
    writer.dispose()


@pytest.fixture
def commit_between(catalog_url: str) -> Iterator[Callable[[str], list[str]]]:
    """``arm(table)``: once the export's read-only transaction has run its first statement on
    ``table``, commit :data:`CHANGES` from another connection; returns the list the fired
    statement is appended to (so a test can check the commit happened mid-export)."""
    fired: list[str] = []
    armed: dict[str, str] = {}

    def after(conn, cursor, statement, parameters, context, executemany) -> None:
        table = armed.get("table")
        if fired or table is None or not conn.get_execution_options().get("moocx_read_only"):
            return
        if f"FROM {table}" in statement:
            fired.append(statement)
            commit_changes(catalog_url)

    def arm(table: str) -> list[str]:
        armed["table"] = table
        return fired

    event.listen(Engine, "after_cursor_execute", after)
    yield arm
    event.remove(Engine, "after_cursor_execute", after)


def export(config: Path, fmt: str, out: Path) -> Any:
    """``moocx export`` of ``fmt``; what it wrote, in a form two exports can be compared in."""
    args = ["--config", str(config), "export", "--format", fmt, "--out", str(out)]
    if fmt != "json":
        args += ["--audience", "tsinghua"]
    assert run(args) == 0
    if fmt == "json":
        document = json.loads(out.read_text("utf-8"))
        del document["generated_at"]
        return document
    if fmt == "csv":
        return out.read_text("utf-8-sig")
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("fmt", ["json", "csv", "site"])
@pytest.mark.parametrize(
    "table",
    [
        pytest.param("institutions", id="after-the-first-query"),
        pytest.param("course_runs", id="between-the-runs-and-the-courses"),
    ],
)
def test_a_sync_committing_between_an_exports_queries_is_not_in_the_export(
    config: Path, tmp_path: Path, commit_between, fmt: str, table: str
) -> None:
    """D5: the export shows the catalog as it was when its transaction began, every part of it
    from that one state (titles, runs, offers and institutions together); the next export
    shows the new state whole."""
    before = export(config, fmt, tmp_path / f"before.{fmt}")
    if fmt == "csv" and table == "institutions":
        table = "feeds"  # the CSV names no institution: its first query reads the feeds
    fired = commit_between(table)
    during = export(config, fmt, tmp_path / f"during.{fmt}")
    assert fired, f"the export never read {table}"
    assert during == before
    after = export(config, fmt, tmp_path / f"after.{fmt}")
    assert after != before
    if fmt == "json":
        titles = [c["title"] for c in after["courses"]]
        assert titles and all(t.endswith(" (v2)") for t in titles)
        assert {r["start"][:4] for c in after["courses"] for r in c["runs"]} == {"2026"}
        assert {o["seats"] for c in after["courses"] for o in c["offers"]} == {99}


@pytest.mark.parametrize("catalog_url", ["postgresql"], indirect=True)
def test_on_postgresql_reads_are_repeatable_read_and_the_pool_forgets_it(engine) -> None:
    """D5: ``read_only`` is one ``REPEATABLE READ, READ ONLY`` transaction; the same pooled
    connection then writes at the default ``READ COMMITTED`` again."""
    with read_only(engine) as conn:
        reader = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        assert conn.exec_driver_sql("SHOW transaction_isolation").scalar() == "repeatable read"
        assert conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "on"
        with pytest.raises(InternalError, match="read-only transaction"):
            conn.exec_driver_sql("UPDATE feeds SET consecutive_failures = 1")
    with engine.begin() as conn:
        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() == reader
        assert conn.exec_driver_sql("SHOW transaction_isolation").scalar() == "read committed"
        assert conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "off"
        conn.exec_driver_sql("UPDATE feeds SET consecutive_failures = 0")


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_on_sqlite_a_read_transaction_keeps_its_snapshot_while_another_connection_commits(
    engine,
) -> None:
    """D5 on SQLite: in WAL mode a reader's first statement fixes what it sees; a writer's
    commit in between is invisible until the read transaction ends."""
    writer = make_engine(str(engine.url))
    with read_only(engine) as conn:
        before = conn.exec_driver_sql("SELECT base_url FROM feeds").scalar()
        with writer.begin() as w:  # commits while the read transaction is open
            w.exec_driver_sql("UPDATE feeds SET base_url = 'https://moved.example'")
        assert conn.exec_driver_sql("SELECT base_url FROM feeds").scalar() == before
    with read_only(engine) as conn:
        assert (
            conn.exec_driver_sql("SELECT base_url FROM feeds").scalar() == "https://moved.example"
        )
    writer.dispose()


def test_two_exchange_rebuilds_at_once_take_turns_and_publish_one_exchange(engine) -> None:
    """D5, the exchange: a second rebuild starting while the first is mid-way (its offers
    deleted and re-inserted, not committed) waits for it, then replaces its offers whole. On
    PostgreSQL it used to miss them and fail on the unique offer per course and audience."""
    harvests.register(engine, [harvests.InstitutionInfo("thu", {"zh": "清华"}, "CN", "UTC")], [])
    records = tuple(
        CourseRecord(
            key=f"VNUx+C{n}",
            title=f"Khóa học {n}",
            runs=(CourseRun(key=f"r{n}", start=datetime(2026, 3, 2, tzinfo=UTC)),) if n % 2 else (),
        )
        for n in range(10)
    )
    Ingestor(engine, "vnu", harvests.start_run(engine, "vnu")).apply(
        Page(items=records, cursor=None, url="https://x/p1", number=1, last=True)
    )
    settings = ExchangeSettings(rules=(Rule(id="to-thu", offering="vnu", audience="thu"),))
    first_inserted, go_on = threading.Event(), threading.Event()

    def hold_the_first(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.startswith("INSERT INTO offers") and threading.current_thread().name == "1":
            first_inserted.set()
            go_on.wait(30)

    def second_waits(conn, cursor, statement, parameters, context, executemany) -> None:
        if threading.current_thread().name == "2" and not go_on.is_set():
            threading.Timer(0.3, go_on.set).start()  # released once the second one is under way

    errors: list[BaseException] = []

    def rebuild_in(name: str) -> threading.Thread:
        def work() -> None:
            try:
                rebuild(make_engine(engine.url.render_as_string(hide_password=False)), settings)
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=work, name=name)
        thread.start()
        return thread

    event.listen(Engine, "after_cursor_execute", hold_the_first)
    event.listen(Engine, "before_cursor_execute", second_waits)
    try:
        first = rebuild_in("1")
        assert first_inserted.wait(30)
        second = rebuild_in("2")
        if engine.dialect.name == "postgresql":  # release the first once the second is blocked
            probe = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with engine.connect() as conn:
                    if conn.exec_driver_sql(probe).scalar():
                        break
                time.sleep(0.05)
            go_on.set()
        first.join(60)
        second.join(60)
    finally:
        go_on.set()
        event.remove(Engine, "after_cursor_execute", hold_the_first)
        event.remove(Engine, "before_cursor_execute", second_waits)
    assert errors == []
    with engine.connect() as conn:
        offers = conn.exec_driver_sql("SELECT course_id, run_id, audience FROM offers").all()
    assert len(offers) == len(set(offers)) == 10
