"""Opening the catalog database: SQLite by default, PostgreSQL for shared deployments.

SQLite is set up the way a harvester that shares its file with CLI readers needs
(shared/RELIABILITY.md D1, D2): WAL, foreign keys on, a busy timeout, and write transactions that
take the write lock up front (``BEGIN IMMEDIATE``) so two writers queue instead of one failing with
"database is locked" the moment it tries to upgrade a read lock. Read-only work can opt out with
:func:`read_only` and starts a plain deferred transaction, so it never waits for a writer.

**Snapshots** (D5). Everything that reads the catalog in several statements — an export reads
institutions, feeds, runs, offers and courses; ``moocx course``, ``moocx review``, ``moocx
status`` read several tables — does it inside :func:`read_only`, one transaction that sees one
committed state of the catalog from its first statement to its end, whatever a sync commits
meanwhile. On SQLite that is what a read transaction in WAL mode is. On PostgreSQL the default
``READ COMMITTED`` gives each *statement* its own snapshot, so :func:`read_only` asks for
``REPEATABLE READ, READ ONLY`` instead (see there why not ``SERIALIZABLE``).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from catalog.errors import CatalogError

log = logging.getLogger(__name__)

#: How long a SQLite writer waits for another one's write lock (D1): a page commit or an
#: exchange rebuild takes well under a second, so 30 s of waiting means something is stuck.
DEFAULT_BUSY_TIMEOUT_MS = 30_000
_READ_ONLY = "moocx_read_only"


class CatalogBusy(CatalogError, OperationalError):
    """Another process held the SQLite catalog's write lock for longer than the busy timeout.

    Also an SQLAlchemy ``OperationalError``, so every ``except SQLAlchemyError`` that copes with
    a failing database (a feed's run recorded as failed, one export failing while the others are
    written) copes with this one too — and says clearly what happened. It lives here, not in
    catalog/errors.py, which must stay importable without SQLAlchemy (``moocx --version``)."""

    def __init__(self, message: str, statement: str | None, params: Any, orig: BaseException):
        OperationalError.__init__(self, statement, params, orig)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> Any:
        return type(self), (self.message, self.statement, self.params, self.orig)


def make_engine(
    url: str, *, busy_timeout_ms: int | None = None, echo: bool = False, read_only: bool = False
) -> Engine:
    """An engine for ``url`` with the pragmas and transaction behaviour the catalog relies on.

    ``busy_timeout_ms``: how long a SQLite writer waits for another one's write lock before
    it fails with :class:`~catalog.errors.CatalogBusy` (default
    :data:`DEFAULT_BUSY_TIMEOUT_MS`).

    ``read_only``: an engine that cannot write, whatever its caller runs (``moocx web``):
    SQLite connections are ``PRAGMA query_only=ON`` and begin deferred transactions, so they
    never take the write lock; PostgreSQL sessions start with ``default_transaction_read_only``,
    so every transaction is ``READ ONLY`` and a write fails in the server."""
    if busy_timeout_ms is None:
        busy_timeout_ms = DEFAULT_BUSY_TIMEOUT_MS
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
        if read_only and parsed.get_backend_name() == "postgresql":
            kwargs["connect_args"] = {"options": "-c default_transaction_read_only=on"}
    try:
        engine = create_engine(parsed, **kwargs)
    except (ModuleNotFoundError, NoSuchModuleError) as exc:
        missing = getattr(exc, "name", None) or parsed.drivername
        raise CatalogError(
            f"the database driver for {parsed.drivername} is not installed ({missing}); "
            "for PostgreSQL install the extra: pip install 'mooc-exchange[postgres]'"
        ) from None
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, busy_timeout_ms, read_only=read_only)
    elif read_only and engine.dialect.name == "postgresql":
        _every_transaction_read_only(engine)
    return engine


def _every_transaction_read_only(engine: Engine) -> None:
    """``SET TRANSACTION READ ONLY`` first in every transaction. The session default alone is
    not enough: the pool resets a connection that :func:`read_only` used to the driver's
    ``read_only = False``, which makes the next ``BEGIN`` say ``READ WRITE``."""

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")


def _configure_sqlite(engine: Engine, busy_timeout_ms: int, *, read_only: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: durable at checkpoints
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if read_only or conn.get_execution_options().get(_READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "handle_error")
    def _on_error(context: ExceptionContext) -> BaseException | None:
        return _busy(context, engine, busy_timeout_ms)


def _busy(context: ExceptionContext, engine: Engine, busy_timeout_ms: int) -> CatalogBusy | None:
    """SQLite's "database is locked" (``SQLITE_BUSY``, after waiting ``busy_timeout``) as a
    :class:`CatalogBusy` that names the catalog and says what to do (RELIABILITY.md D1)."""
    orig = context.original_exception
    if not isinstance(orig, sqlite3.OperationalError):
        return None
    code = getattr(orig, "sqlite_errorcode", None)  # the extended code: BUSY_SNAPSHOT too
    busy = code & 0xFF == sqlite3.SQLITE_BUSY if isinstance(code, int) else "locked" in str(orig)
    if not busy:
        return None
    message = (
        f"the catalog {engine.url.database} is busy: another process (a sync, moocx serve or "
        f"an admin command) has held its write lock for longer than the busy timeout "
        f"({busy_timeout_ms / 1000:g} s), so this step was not written. Run the command again "
        "once the other one has finished (moocx feeds shows which feed is being synced)"
    )
    return CatalogBusy(message, context.statement, context.parameters, orig)


@contextmanager
def read_only(engine: Engine) -> Iterator[Connection]:
    """A connection for reading, in one transaction that sees one state of the catalog.

    SQLite: a deferred ``BEGIN``, so it never queues behind a writer; in WAL mode its first
    read fixes the snapshot every later statement sees, whatever commits meanwhile.

    PostgreSQL: ``REPEATABLE READ, READ ONLY``. ``READ COMMITTED`` would give each statement
    its own snapshot, so an export's runs and its courses could come from either side of a
    sync's commit. Repeatable read takes one snapshot at the first statement; a read-only
    transaction at that level never waits for a lock and never fails to serialize, and its
    server-side cursors (the documents' ``yield_per``) read that snapshot too, since they live
    inside the transaction. ``SERIALIZABLE READ ONLY DEFERRABLE`` would add a guarantee only
    against *serializable* writers (a read-only anomaly), and the catalog's writers run at
    ``READ COMMITTED``: all it would add is a wait for a "safe" snapshot. The pool resets both
    settings when the connection goes back, so writers keep their defaults.
    """
    options: dict[str, Any] = {_READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options.update(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    with engine.connect().execution_options(**options) as conn, conn.begin():
        yield conn


def serialize(conn: Connection, name: str) -> None:
    """Make concurrent writers of ``name`` take turns inside their transactions.

    SQLite write transactions already do (``BEGIN IMMEDIATE``); PostgreSQL's take a
    transaction-scoped advisory lock, released at commit or rollback. For read-then-write steps
    that two processes may run at once — two replicas starting on one catalog.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%(name)s))", {"name": name})
