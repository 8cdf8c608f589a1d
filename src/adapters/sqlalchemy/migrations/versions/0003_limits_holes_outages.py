"""Learned request limits, holes in coverage entries, split chunks and the source's state.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

- ``dataset_limits``: the longest period a dataset's requests may ask for, as the source stated
  it in a refusal, so that every later plan of every worker fits it.
- ``coverage.holes``: the stretches of a fetched interval the answer left out (positions missing
  from a curve, a series cut short), as JSON; ``holes_accepted`` once asking again no longer
  helps and the holes are taken as published. Existing entries have none.
- ``backfill_chunks.parent_id``: the chunk a chunk was split from, when a refusal split it;
  ``backfill_chunks.holes``: how many holes the chunk's answer had.
- ``source_state``: the circuit breaker over the source, shared by every worker: consecutive
  failures that look like an outage, since when the source is unavailable, the next probe.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _instant() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True).with_variant(sa.BigInteger(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dataset_limits",
        sa.Column("dataset", sa.Text(), primary_key=True),
        sa.Column("max_span", sa.Text(), nullable=False),
        sa.Column("learned_at", _instant(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
    )
    op.add_column("coverage", sa.Column("holes", sa.Text()))
    op.add_column(
        "coverage",
        sa.Column("hole_count", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "coverage",
        sa.Column("holes_accepted", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("backfill_chunks", sa.Column("parent_id", sa.Text()))
    op.add_column(
        "backfill_chunks",
        sa.Column("holes", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_table(
        "source_state",
        sa.Column("name", sa.Text(), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("unavailable_since", _instant()),
        sa.Column("next_probe_at", _instant()),
        sa.Column("probe_seconds", sa.Float(), nullable=False, server_default="0"),
        sa.Column("last_failure", sa.Text()),
        sa.Column("last_failure_at", _instant()),
        sa.Column("last_success_at", _instant()),
    )


def downgrade() -> None:
    op.drop_table("source_state")
    with op.batch_alter_table("backfill_chunks") as batch:
        batch.drop_column("holes")
        batch.drop_column("parent_id")
    with op.batch_alter_table("coverage") as batch:
        batch.drop_column("holes_accepted")
        batch.drop_column("hole_count")
        batch.drop_column("holes")
    op.drop_table("dataset_limits")
