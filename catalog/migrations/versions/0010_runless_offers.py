"""Courses without runs are offered; a course keeps its source record; deletions of unknown
courses are counted.

- ``offers.run_id`` may be NULL: a course without runs (OAI-PMH, a plain catalogue) is offered as
  a whole, one offer per (course, audience), kept unique by a partial index.
- ``offers.notes_i18n``: a rule's notes by language (``notes`` holds the audience's).
- ``course_sources``: the raw source record of each course, as its connector delivered it
  (``moocx course ID --raw``), written with the course row.
- ``harvest_runs.deleted_unknown``: deletions the source reported for courses never stored.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("offers") as batch:
        batch.alter_column("run_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("notes_i18n", sa.JSON(), nullable=True))
    op.create_index(
        "uq_offers_course_audience_runless",
        "offers",
        ["course_id", "audience"],
        unique=True,
        sqlite_where=sa.text("run_id IS NULL"),
        postgresql_where=sa.text("run_id IS NULL"),
    )
    op.create_table(
        "course_sources",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("harvest_id", sa.Integer(), nullable=True),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["harvest_id"], ["harvest_runs.id"]),
        sa.PrimaryKeyConstraint("course_id"),
    )
    op.add_column(
        "harvest_runs",
        sa.Column("deleted_unknown", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("harvest_runs") as batch:
        batch.drop_column("deleted_unknown")
    op.drop_table("course_sources")
    op.drop_index("uq_offers_course_audience_runless", table_name="offers")
    op.execute("DELETE FROM offers WHERE run_id IS NULL")
    with op.batch_alter_table("offers") as batch:
        batch.drop_column("notes_i18n")
        batch.alter_column("run_id", existing_type=sa.Integer(), nullable=False)
