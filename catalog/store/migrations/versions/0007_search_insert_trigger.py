"""Course search: new index rows reach the SQLite trigram table from the code, not a trigger.

``catalog.store.textsearch.store_index_rows`` inserts them into ``course_search_fts`` with one
``executemany``; the per-row ``AFTER INSERT`` trigger cost four times as much on a full harvest
(bench, issue 7). Updates and deletes keep their triggers. Nothing changes on PostgreSQL.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

from catalog.store import textsearch

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TRIGGER = f"{textsearch.INDEX_TABLE}_ai"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {_TRIGGER}")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and textsearch.has_fts(bind):
        op.execute(
            f"CREATE TRIGGER {_TRIGGER} AFTER INSERT ON {textsearch.INDEX_TABLE} BEGIN "
            f"INSERT INTO {textsearch.FTS_TABLE} (rowid, folded) "
            "VALUES (new.course_id, new.folded); END"
        )
