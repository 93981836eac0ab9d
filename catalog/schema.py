"""Creating and upgrading the catalog schema — only ever through the shipped Alembic migrations.

``moocx init`` calls :func:`upgrade`; every other command calls :func:`ensure_current` on first
use, which upgrades an older catalog in place (keeping its data) and refuses a catalog written
by a newer version of mooc-exchange rather than guessing.

Alembic is imported only when the schema has to change (or be inspected through Alembic): the
common case, a catalog already at the shipped head, is recognised with one plain query, and the
head is read from the migration files themselves, so it cannot drift from them.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from catalog.db import read_only
from catalog.errors import SchemaError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
#: Alembic's default version table (catalog/migrations/env.py does not rename it).
VERSION_TABLE = "alembic_version"

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


def ensure_current(engine: Engine) -> None:
    """Upgrade the schema if it is behind the shipped head; a no-op when it is current.

    The no-op needs no Alembic. Anything else (no schema yet, an older one, one this version
    does not know, a version table with several rows) goes through :func:`upgrade`, which
    migrates under the database's lock — or refuses — exactly as ``moocx init`` does.
    """
    if _stored_revisions(engine) != [head_revision()]:
        upgrade(engine)
