"""Chunks count the points left alone because the stored row already held them as they are.

Revision ID: 0008_unchanged_points
Revises: 0007_schedule
Create Date: 2026-11-27

A re-fetch whose answer changed nothing writes nothing; what is new is the count a chunk
reports of such points. Existing chunks get 0: before this revision such points were
rewritten and counted as written.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_unchanged_points"
down_revision = "0007_schedule"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A constant server default adds the column without rewriting the table (see 0002).
    op.add_column(
        "backfill_chunks",
        sa.Column("points_unchanged", sa.BigInteger(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("backfill_chunks") as batch:
        batch.drop_column("points_unchanged")
