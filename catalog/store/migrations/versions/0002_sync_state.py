"""Sync state: resumable harvests, leases, feed health, held withdrawals, course history.

Every column added to an existing table has a server default, so catalogs with data upgrade
in place.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "harvest_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("keys", sa.JSON(), nullable=False),
        sa.Column("withdrawn_keys", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["harvest_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("harvest_pages", schema=None) as batch_op:
        batch_op.create_index("ix_harvest_pages_run", ["run_id"], unique=False)

    op.create_table(
        "course_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("harvest_id", sa.Integer(), nullable=True),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["harvest_id"],
            ["harvest_runs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("course_events", schema=None) as batch_op:
        batch_op.create_index("ix_course_events_course", ["course_id"], unique=False)

    op.create_table(
        "held_withdrawals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.String(length=64), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["feed_id"],
            ["feeds.id"],
        ),
        sa.ForeignKeyConstraint(["run_id"], ["harvest_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("held_withdrawals", schema=None) as batch_op:
        batch_op.create_index("ix_held_withdrawals_feed", ["feed_id"], unique=False)

    op.add_column("feeds", sa.Column("resume_cursor", sa.JSON(), nullable=True))
    op.add_column("feeds", sa.Column("resume_run_id", sa.Integer(), nullable=True))
    op.add_column("feeds", sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("feeds", sa.Column("last_full_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "feeds", sa.Column("consecutive_failures", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "feeds", sa.Column("needs_review", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("feeds", sa.Column("review_reason", sa.Text(), nullable=True))
    op.add_column("feeds", sa.Column("lease_holder", sa.String(length=64), nullable=True))
    op.add_column("feeds", sa.Column("lease_host", sa.String(length=255), nullable=True))
    op.add_column("feeds", sa.Column("lease_pid", sa.Integer(), nullable=True))
    op.add_column(
        "feeds", sa.Column("lease_acquired_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("feeds", sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))

    # Runs recorded before this revision each stand alone: they are their own chain.
    op.add_column(
        "harvest_runs",
        sa.Column("mode", sa.String(length=16), nullable=False, server_default="full"),
    )
    op.add_column("harvest_runs", sa.Column("chain_id", sa.Integer(), nullable=True))
    op.add_column("harvest_runs", sa.Column("resumed_from", sa.Integer(), nullable=True))
    op.add_column(
        "harvest_runs", sa.Column("source_count", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "harvest_runs",
        sa.Column("degraded", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "harvest_runs",
        sa.Column("held_withdrawals", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("harvest_runs", sa.Column("guard", sa.Text(), nullable=True))
    op.execute("UPDATE harvest_runs SET chain_id = id, source_count = received")


def downgrade() -> None:
    op.drop_column("harvest_runs", "guard")
    op.drop_column("harvest_runs", "held_withdrawals")
    op.drop_column("harvest_runs", "degraded")
    op.drop_column("harvest_runs", "source_count")
    op.drop_column("harvest_runs", "resumed_from")
    op.drop_column("harvest_runs", "chain_id")
    op.drop_column("harvest_runs", "mode")

    op.drop_column("feeds", "lease_expires_at")
    op.drop_column("feeds", "lease_acquired_at")
    op.drop_column("feeds", "lease_pid")
    op.drop_column("feeds", "lease_host")
    op.drop_column("feeds", "lease_holder")
    op.drop_column("feeds", "review_reason")
    op.drop_column("feeds", "needs_review")
    op.drop_column("feeds", "consecutive_failures")
    op.drop_column("feeds", "last_full_at")
    op.drop_column("feeds", "last_success_at")
    op.drop_column("feeds", "resume_run_id")
    op.drop_column("feeds", "resume_cursor")

    with op.batch_alter_table("held_withdrawals", schema=None) as batch_op:
        batch_op.drop_index("ix_held_withdrawals_feed")

    op.drop_table("held_withdrawals")
    with op.batch_alter_table("course_events", schema=None) as batch_op:
        batch_op.drop_index("ix_course_events_course")

    op.drop_table("course_events")
    with op.batch_alter_table("harvest_pages", schema=None) as batch_op:
        batch_op.drop_index("ix_harvest_pages_run")

    op.drop_table("harvest_pages")
