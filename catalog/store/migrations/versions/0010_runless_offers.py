"""Courses without runs are offered; a course keeps its source record; deletions of unknown
courses are counted.

- ``offers.run_id`` may be NULL: a course without runs (OAI-PMH, a plain catalogue) is offered as
  a whole, one offer per (course, audience), kept unique by a partial index.
- ``offers.notes_i18n``: a rule's notes by language (``notes`` holds the audience's).
- ``course_sources``: the raw source record of each course, as its connector delivered it
  (``moocx course ID --raw``), written with the course row.
- ``harvest_runs.deleted_unknown``: deletions the source reported for courses never stored.
- ``institutions.language``: the language its students read (the rules' notes are shown in it).

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


def _offers(name: str, *, runless: bool) -> None:
    """The offers table, its foreign keys in a fixed order (Alembic's batch mode orders them
    by hash, which made the schema differ from one process to the next)."""
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=runless),
        *_offer_columns(),
        *([sa.Column("notes_i18n", sa.JSON(), nullable=True)] if runless else []),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["course_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "audience", name="uq_offers_run_audience"),
    )


def _offer_columns() -> list[sa.Column[object]]:
    """Fresh column objects each time (a column belongs to one table)."""
    return [
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
    ]


_COPIED = (
    "id, course_id, run_id, offering, audience, rule, term, application_start, "
    "application_end, open_now, seats, notes, host_credits, host_system, home_credits, "
    "home_system, credits_source, equivalence_status, equivalence_home_course, "
    "equivalence_terms"
)


def _rebuild_offers(*, runless: bool) -> None:
    """SQLite cannot change a column's nullability: the table is built anew and its rows
    copied (offers are derived data, but an export between upgrade and rebuild keeps them)."""
    _offers("offers_next", runless=runless)
    where = "" if runless else " WHERE run_id IS NOT NULL"
    op.execute(f"INSERT INTO offers_next ({_COPIED}) SELECT {_COPIED} FROM offers{where}")
    op.drop_table("offers")
    op.rename_table("offers_next", "offers")
    op.create_index("ix_offers_audience", "offers", ["audience"])
    op.create_index("ix_offers_course", "offers", ["course_id"])


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_offers(runless=True)
    else:
        op.alter_column("offers", "run_id", existing_type=sa.Integer(), nullable=True)
        op.add_column("offers", sa.Column("notes_i18n", sa.JSON(), nullable=True))
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
    op.add_column("institutions", sa.Column("language", sa.String(length=8), nullable=True))
    op.add_column(
        "harvest_runs",
        sa.Column("deleted_unknown", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("harvest_runs") as batch:
        batch.drop_column("deleted_unknown")
    with op.batch_alter_table("institutions") as batch:
        batch.drop_column("language")
    op.drop_table("course_sources")
    op.drop_index("uq_offers_course_audience_runless", table_name="offers")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_offers(runless=False)
    else:
        op.execute("DELETE FROM offers WHERE run_id IS NULL")
        op.drop_column("offers", "notes_i18n")
        op.alter_column("offers", "run_id", existing_type=sa.Integer(), nullable=False)
