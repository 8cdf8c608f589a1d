"""Chunks count the points kept because the stored value comes from a newer document version.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

Observations already hold each value's revision and document creation time (0001), which is
all the version rule needs; what is new is the count a chunk reports. Existing chunks get 0:
before this revision nothing was counted, and their rows are kept as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A constant server default lets both databases add the column without rewriting the
    # table (SQLite by ALTER TABLE ADD COLUMN, PostgreSQL 11+ as a catalogue-only change).
    op.add_column(
        "backfill_chunks",
        sa.Column("points_kept", sa.BigInteger(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("backfill_chunks") as batch:
        batch.drop_column("points_kept")
