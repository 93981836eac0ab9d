"""Conditional harvests: each page keeps its validators (ETag, Last-Modified), the cursor after
it and its source count, so a 304 answer can stand in for the page it confirms.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "harvest_pages",
        sa.Column("source_count", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("harvest_pages", sa.Column("etag", sa.String(length=512), nullable=True))
    op.add_column("harvest_pages", sa.Column("last_modified", sa.String(length=64), nullable=True))
    op.add_column("harvest_pages", sa.Column("next_cursor", sa.JSON(), nullable=True))
    op.add_column(
        "harvest_pages",
        sa.Column("not_modified", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    for column in ("not_modified", "next_cursor", "last_modified", "etag", "source_count"):
        op.drop_column("harvest_pages", column)
