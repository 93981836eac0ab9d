"""Publishing: where a course came from, the index that pages it, the node's signing key.

- ``courses.provenance``: the hops a course harvested from another node took before (JSON, the
  nearest first); NULL for a course harvested from its original source.
- ``ix_courses_published`` on ``(updated_at, feed_id, key)``: the OAI-PMH service pages the
  catalog by datestamp and id from where its last page ended (keyset paging, never an offset).
- ``node_secrets``: the key that signs the service's resumption tokens, shared by every
  ``moocx web`` on the catalog.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("courses", sa.Column("provenance", sa.JSON(none_as_null=True), nullable=True))
    op.create_index("ix_courses_published", "courses", ["updated_at", "feed_id", "key"])
    op.create_table(
        "node_secrets",
        sa.Column("name", sa.String(length=64), primary_key=True),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("node_secrets")
    op.drop_index("ix_courses_published", table_name="courses")
    op.drop_column("courses", "provenance")
