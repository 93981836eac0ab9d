"""Course search: a folded-text index (SQLite FTS5 trigram, PostgreSQL pg_trgm when available),
filled for the courses already in the catalog.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

from catalog.store import textsearch

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    for statement in textsearch.ddl_statements(bind.dialect.name):
        op.execute(statement)
    textsearch.refresh_index(bind)  # courses harvested before this revision


def downgrade() -> None:
    for statement in textsearch.drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
