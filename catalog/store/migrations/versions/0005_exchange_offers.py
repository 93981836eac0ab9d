"""The exchange: offers of course runs to audience institutions (derived, rebuilt after syncs).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("offering", sa.String(length=64), nullable=False),
        sa.Column("audience", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("term", sa.String(length=64), nullable=True),
        sa.Column("application_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("application_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("open_now", sa.Boolean(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("host_credits", sa.Float(), nullable=True),
        sa.Column("host_system", sa.String(length=32), nullable=True),
        sa.Column("home_credits", sa.Float(), nullable=True),
        sa.Column("home_system", sa.String(length=32), nullable=True),
        sa.Column("credits_source", sa.String(length=16), nullable=True),
        sa.Column("equivalence_status", sa.String(length=16), nullable=True),
        sa.Column("equivalence_home_course", sa.String(length=255), nullable=True),
        sa.Column("equivalence_terms", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["course_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "audience", name="uq_offers_run_audience"),
    )
    op.create_index("ix_offers_audience", "offers", ["audience"])
    op.create_index("ix_offers_course", "offers", ["course_id"])


def downgrade() -> None:
    op.drop_index("ix_offers_course", table_name="offers")
    op.drop_index("ix_offers_audience", table_name="offers")
    op.drop_table("offers")
