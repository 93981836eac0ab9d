"""ISCED codes decided at ingest and stored: ``courses.isced``, and which mapping decided them.

- ``courses.isced``: the course's ISCED-F broad fields (a JSON list of codes, ``["06"]``),
  written by the ingest with every course row and read by the exchange, exports and views.
- ``ix_courses_isced_missing``: a partial index of the courses without codes, so checking that
  none is missing costs one index probe, not a scan of the catalog.
- ``derivations``: one row per derived value the catalog stores, with the signature of what it
  was derived with (for ``isced``: the shipped subject data and the config's extra mapping).

Existing courses get NULL, and no ``derivations`` row: the codes depend on the config's extra
``[subjects]`` mapping, which a migration cannot see, so the first sync or command that knows
the config computes them all (``catalog.store.subject_codes.ensure_codes``) and refreshes the
search index with them.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("courses", sa.Column("isced", sa.JSON(), nullable=True))
    op.create_index(
        "ix_courses_isced_missing",
        "courses",
        ["id"],
        sqlite_where=sa.text("isced IS NULL"),
        postgresql_where=sa.text("isced IS NULL"),
    )
    op.create_table(
        "derivations",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("derivations")
    op.drop_index("ix_courses_isced_missing", table_name="courses")
    # SQLite (3.35 and later) drops the column in place: a batch rebuild of ``courses`` would
    # have to rebuild every table that refers to it.
    op.drop_column("courses", "isced")
