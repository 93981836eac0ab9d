"""Creating and upgrading the catalog schema — only ever through the shipped Alembic migrations.

``moocx init`` calls :func:`upgrade`; every other command calls :func:`ensure_current` on first
use, which upgrades an older catalog in place (keeping its data) and refuses a catalog written
by a newer version of mooc-exchange rather than guessing.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from alembic.util.exc import CommandError
from sqlalchemy import Engine

from catalog.errors import SchemaError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


def _config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config_without_engine()).get_current_head()
    assert head is not None
    return head


def _config_without_engine() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Create or upgrade the schema to ``revision``; returns (before, after) revisions."""
    before = current_revision(engine)
    script = ScriptDirectory.from_config(_config_without_engine())
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
    try:
        return script.get_revision(revision) is not None
    except (ResolutionError, CommandError):
        return False


def ensure_current(engine: Engine) -> None:
    """Upgrade the schema if it is behind the shipped head; a no-op when it is current."""
    if current_revision(engine) != head_revision():
        upgrade(engine)
