"""Unchanged pages by digest: each page keeps a digest of its body (connectors/unchanged.py), so
the same bytes next time stand for the page as a 304 would, for sources that send no ETag.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("harvest_pages", sa.Column("digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("harvest_pages") as batch:
        batch.drop_column("digest")
