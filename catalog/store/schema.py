"""Creating and upgrading the catalog schema — defined only by the shipped Alembic migrations.

``moocx init`` calls :func:`upgrade`; every other command calls :func:`ensure_current` on first
use, which upgrades an older catalog in place (keeping its data) and refuses a catalog written
by a newer version of mooc-exchange rather than guessing.

Alembic is imported only when the schema has to change (or be inspected through Alembic): the
common case, a catalog already at the shipped head, is recognised with one plain query, and the
head is read from the migration files themselves, so it cannot drift from them.

**A new SQLite catalog** is created from :data:`SNAPSHOT`, the SQL the migrations leave in
``sqlite_master`` at the head, in one write transaction — as Rails loads ``schema.rb`` instead of
replaying every migration. Replaying them through Alembic cost 0.6 s and 11 MiB of peak memory
(Alembic, Mako and Pygments, PostgreSQL's dialect) on every first sync, which is most of what
put a full harvest over issue 7's 80 MiB. The snapshot is generated, never edited: ``python -m
catalog.store.schema`` rewrites it from the migrations, and
``tests/catalog/store/test_schema_snapshot.py`` fails when it is stale or when the two ways give
different schemas. A snapshot for another revision, a SQLite without the trigram tokenizer, a
database that is not empty, PostgreSQL and any ``revision`` but the head all take the Alembic path,
as before.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import OperationalError

from catalog.errors import SchemaError
from catalog.store.db import read_only

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
#: Alembic's default version table (catalog/store/migrations/env.py does not rename it).
VERSION_TABLE = "alembic_version"
#: The SQLite schema at the head revision, generated from the migrations (module docstring).
SNAPSHOT = MIGRATIONS / "sqlite_head.sql"
_SNAPSHOT_REVISION = re.compile(r"^-- revision: (\S+)$", re.M)

#: ``revision = "0006"`` / ``down_revision = None`` lines at the top level of a migration file.
_REVISION_LINE = re.compile(
    r"""^(revision|down_revision)(?:[ \t]*:[^=\n]*)?[ \t]*=[ \t]*"""
    r"""(None|"[^"\\\n]*"|'[^'\\\n]*')[ \t]*(?:#.*)?$""",
    re.M,
)


def _config(engine: Engine) -> Config:
    cfg = _config_without_engine()
    cfg.attributes["engine"] = engine
    return cfg


def _config_without_engine() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config_without_engine())


def head_revision() -> str:
    """The newest shipped revision: read from the migration files when they form one plain chain
    (as they do), else asked of Alembic."""
    return _parsed_head() or _alembic_head()


def _alembic_head() -> str:
    head = _script().get_current_head()
    assert head is not None
    return head


def _parsed_head() -> str | None:
    """The single head of ``migrations/versions/*.py`` from their ``revision`` and
    ``down_revision`` lines, without importing Alembic; None when the files are anything but
    simple (a merge, a missing or unusual line, several heads) so Alembic decides instead."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found: dict[str, list[str]] = {"revision": [], "down_revision": []}
        for name, value in _REVISION_LINE.findall(path.read_text(encoding="utf-8")):
            found[name].append(value)
        if len(found["revision"]) != 1 or len(found["down_revision"]) != 1:
            return None
        revision, parent = found["revision"][0], found["down_revision"][0]
        if revision == "None" or len(revision) < 3:  # no revision, or an empty one
            return None
        revisions.add(revision[1:-1])
        if parent != "None":
            if len(parent) < 3:
                return None
            parents.add(parent[1:-1])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _stored_revisions(engine: Engine) -> list[str]:
    """The revisions in the version table (none when it does not exist), read with a plain query
    in a read-only transaction: it never queues behind a sync that is writing."""
    with read_only(engine) as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return []
        return list(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Create or upgrade the schema to ``revision``; returns (before, after) revisions."""
    created = _create_from_snapshot(engine) if revision == "head" else None
    if created is not None:
        log.info("catalog schema created at %s", created)
        return None, created
    return migrate(engine, revision)


def migrate(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """:func:`upgrade` through Alembic's migrations, whatever the database."""
    from alembic import command

    before = current_revision(engine)
    script = _script()
    if before is not None and not _known(script, before):
        raise SchemaError(
            f"the catalog is at schema revision {before}, which this version of mooc-exchange "
            "does not know (was it written by a newer version?); upgrade mooc-exchange"
        )
    command.upgrade(_config(engine), revision)
    after = current_revision(engine)
    assert after is not None
    if before != after:
        log.info("catalog schema upgraded from %s to %s", before or "nothing", after)
    return before, after


def _known(script: ScriptDirectory, revision: str) -> bool:
    from alembic.script.revision import ResolutionError
    from alembic.util.exc import CommandError

    try:
        return script.get_revision(revision) is not None
    except (ResolutionError, CommandError):
        return False


def _create_from_snapshot(engine: Engine) -> str | None:
    """Create the schema of an empty SQLite database from :data:`SNAPSHOT` and return its
    revision; None, with nothing done, when the snapshot does not apply here (module docstring).
    """
    if engine.dialect.name != "sqlite":
        return None
    revision, statements = read_snapshot()
    if revision is None or revision != head_revision():
        return None
    from catalog.store import textsearch  # the snapshot has the trigram index

    if not textsearch.trigram_available():
        return None
    try:
        with engine.connect() as conn, conn.begin():  # BEGIN IMMEDIATE: replicas take turns
            if conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar():
                return None  # not empty (another process created it meanwhile): Alembic decides
            for statement in statements:
                conn.exec_driver_sql(statement)
            conn.exec_driver_sql(f"INSERT INTO {VERSION_TABLE} VALUES (?)", (revision,))
    except OperationalError as exc:  # rolled back: the migrations say what is wrong, if anything
        log.debug("the schema snapshot did not apply (%s); migrating instead", exc)
        return None
    return revision


def read_snapshot() -> tuple[str | None, list[str]]:
    """The revision and the statements of :data:`SNAPSHOT` (None and [] when there is none)."""
    try:
        return _parse_snapshot(SNAPSHOT.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, []


def _parse_snapshot(text_: str) -> tuple[str | None, list[str]]:
    import sqlite3

    found = _SNAPSHOT_REVISION.search(text_)
    statements, pending = [], ""
    for line in text_.splitlines(keepends=True):
        if not pending and (line.startswith("--") or not line.strip()):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip().removesuffix(";"))
            pending = ""
    return (found.group(1) if found else None), statements


def render_snapshot(engine: Engine) -> str:
    """:data:`SNAPSHOT`'s text for the schema of ``engine``'s SQLite database (which the
    migrations built): every table, index, trigger and view in ``sqlite_master``, tables first,
    without SQLite's own objects and the tables FTS5 makes for a virtual table itself."""
    with read_only(engine) as conn:
        revision = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar_one()
        rows = conn.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master "
            "WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    virtual = [name for kind, name, sql in rows if sql.upper().startswith("CREATE VIRTUAL TABLE")]
    shadows = {f"{v}_{part}" for v in virtual for part in _FTS5_SHADOWS}
    order = {"table": 0, "index": 1, "view": 2, "trigger": 3}
    chosen = sorted(
        (order[kind], name in virtual, name, sql) for kind, name, sql in rows if name not in shadows
    )
    head = [
        f"-- The SQLite schema the migrations build, at revision {revision}. Generated: rewrite it",
        "-- with `python -m catalog.store.schema`, never by hand (catalog/store/schema.py).",
        f"-- revision: {revision}",
        "",
    ]
    return "\n".join(head + [f"{sql};" for *_, sql in chosen]) + "\n"


#: The tables FTS5 creates for a virtual table ``v`` (``v_data``, …): not in the snapshot.
_FTS5_SHADOWS = ("data", "idx", "content", "docsize", "config")


def write_snapshot() -> str:
    """Build the schema through the migrations in a scratch SQLite file and write
    :data:`SNAPSHOT` from it; returns the revision."""
    import tempfile

    from catalog.store.db import make_engine

    with tempfile.TemporaryDirectory(prefix="moocx-schema-") as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'catalog.db'}")
        try:
            migrate(engine)
            rendered = render_snapshot(engine)
        finally:
            engine.dispose()
    SNAPSHOT.write_text(rendered, encoding="utf-8")
    revision, _ = _parse_snapshot(rendered)
    assert revision is not None
    return revision


def ensure_current(engine: Engine) -> None:
    """Upgrade the schema if it is behind the shipped head; a no-op when it is current.

    The no-op needs no Alembic. Anything else (no schema yet, an older one, one this version
    does not know, a version table with several rows) goes through :func:`upgrade`, which
    migrates under the database's lock — or refuses — exactly as ``moocx init`` does.
    """
    if _stored_revisions(engine) != [head_revision()]:
        upgrade(engine)


if __name__ == "__main__":
    import sys

    sys.stdout.write(f"wrote {SNAPSHOT} at revision {write_snapshot()}\n")
