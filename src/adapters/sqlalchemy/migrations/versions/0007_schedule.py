"""The scheduler's rounds.

Revision ID: 0007_schedule
Revises: 0006_scale
Create Date: 2026-11-27

- ``schedule_rounds``: one row per round of a dataset's schedule that a scheduler claimed,
  keyed by the dataset and the instant its schedule names: who claimed it and until when
  (a lease, so that a round whose claimant died is taken over), how it ended, the job it made.
  The key makes a claim an insert that one scheduler of many wins, and keeps a restarted
  scheduler from running again what just ran.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007_schedule"
down_revision = "0006_scale"
branch_labels = None
depends_on = None


def _instant() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True).with_variant(sa.BigInteger(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "schedule_rounds",
        sa.Column("dataset", sa.Text(), nullable=False),
        sa.Column("due_at", _instant(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("started_at", _instant(), nullable=False),
        sa.Column("lease_expires_at", _instant(), nullable=False),
        sa.Column("finished_at", _instant()),
        sa.Column("job_id", sa.Text()),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("dataset", "due_at", name="pk_schedule_rounds"),
    )


def downgrade() -> None:
    op.drop_table("schedule_rounds")
