"""How a course is taught, when it expires, and how often a run's price is paid.

- ``courses.mode``: ``online``, ``blended`` or ``onsite`` (MOOChub ``courseMode``); NULL when the
  source does not say.
- ``courses.expires``: when the source says the course stops being available (MOOChub
  ``expires``); an expired course is no longer offered to students.
- ``course_runs.payment_frequency``: how often the run's price is paid (MOOChub
  ``paymentFrequency``: ``monthly``, ``yearly`` …); NULL when not said.

Existing rows get NULL: the next harvest of a source that sends these fields fills them in.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("courses", sa.Column("mode", sa.String(length=16), nullable=True))
    op.add_column("courses", sa.Column("expires", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "course_runs", sa.Column("payment_frequency", sa.String(length=16), nullable=True)
    )


def downgrade() -> None:
    # SQLite (3.35 and later) drops the columns in place, as 0011 does.
    op.drop_column("course_runs", "payment_frequency")
    op.drop_column("courses", "expires")
    op.drop_column("courses", "mode")
