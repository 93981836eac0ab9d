"""Opening the catalog database: SQLite by default, PostgreSQL for shared deployments.

SQLite is set up the way a harvester that shares its file with CLI readers needs
(shared/RELIABILITY.md D1, D2): WAL, foreign keys on, a busy timeout, and write transactions that
take the write lock up front (``BEGIN IMMEDIATE``) so two writers queue instead of one failing with
"database is locked" the moment it tries to upgrade a read lock. Read-only work can opt out with
:func:`read_only` and starts a plain deferred transaction, so it never waits for a writer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from catalog.errors import CatalogError

log = logging.getLogger(__name__)

DEFAULT_BUSY_TIMEOUT_MS = 30_000
_READ_ONLY = "moocx_read_only"


def default_url(directory: Path) -> str:
    return f"sqlite:///{(directory / 'catalog.db').as_posix()}"


def make_engine(
    url: str, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS, echo: bool = False
) -> Engine:
    """An engine for ``url`` with the pragmas and transaction behaviour the catalog relies on."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise CatalogError(f"catalog.url is not a database URL: {exc}") from None
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": busy_timeout_ms / 1000}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **kwargs)
    except (ModuleNotFoundError, NoSuchModuleError) as exc:
        missing = getattr(exc, "name", None) or parsed.drivername
        raise CatalogError(
            f"the database driver for {parsed.drivername} is not installed ({missing}); "
            "for PostgreSQL install the extra: pip install 'mooc-exchange[postgres]'"
        ) from None
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, busy_timeout_ms)
    return engine


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: durable at checkpoints
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(_READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def read_only(engine: Engine) -> Iterator[Connection]:
    """A connection for reading: a deferred transaction on SQLite, so it never queues."""
    with engine.connect().execution_options(**{_READ_ONLY: True}) as conn, conn.begin():
        yield conn


def serialize(conn: Connection, name: str) -> None:
    """Make concurrent writers of ``name`` take turns inside their transactions.

    SQLite write transactions already do (``BEGIN IMMEDIATE``); PostgreSQL's take a
    transaction-scoped advisory lock, released at commit or rollback. For read-then-write steps
    that two processes may run at once — two replicas starting on one catalog.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%(name)s))", {"name": name})
