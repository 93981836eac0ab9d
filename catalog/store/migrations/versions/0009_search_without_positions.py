"""Course search: the SQLite trigram table keeps no positions (``detail=none``).

Searches ask it for the rows holding every trigram of their terms and check the terms with
``LIKE``, instead of ``MATCH`` phrases, which need positions. The index is about a quarter of the
size and is written about two and a half times faster (bench, issue 7; ``catalog.store.textsearch``).
The table is created again and rebuilt from ``course_search``, whose rows do not change.
Nothing changes on PostgreSQL, or on SQLite without the trigram table.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import Connection, text

from catalog.store import textsearch

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _recreate(op.get_bind(), textsearch.FTS_DETAIL)


def downgrade() -> None:
    _recreate(op.get_bind(), "full")


def _recreate(bind: Connection, detail: str) -> None:
    if bind.dialect.name != "sqlite" or not textsearch.has_fts(bind):
        return
    table = textsearch.FTS_TABLE
    current = bind.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": table},
    ).scalar_one()
    if current == textsearch.fts_table_statement(detail=detail):
        return  # created so by revision 0006, which builds the current table
    # The triggers name the table: dropping it leaves them in place, pointing at the new one.
    op.execute(f"DROP TABLE {table}")
    op.execute(textsearch.fts_table_statement(detail=detail))
    op.execute(f"INSERT INTO {table} ({table}) VALUES ('rebuild')")
    op.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")
