"""The sync service's plan per feed: the next scheduled run and any failure back-off.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("feeds", sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("feeds", sa.Column("backoff_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("feeds", "backoff_until")
    op.drop_column("feeds", "next_run_at")
