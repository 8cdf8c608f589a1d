"""Initial schema: series, observations, coverage ledger, backfill jobs and chunks, rate limits.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Instants are ``timestamptz`` on PostgreSQL and epoch microseconds (integers) on SQLite. This
revision spells its types out rather than importing them from ``tables.py``, so that it keeps
creating the same schema whatever later code does.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SERIES_KEY_COLUMNS = (
    "document_type",
    "process_type",
    "business_type",
    "psr_type",
    "in_domain",
    "out_domain",
    "classification_position",
    "resolution",
)


def _instant() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True).with_variant(sa.BigInteger(), "sqlite")


def _key_text() -> sa.types.TypeEngine[str]:
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def _big_identity() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "series",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("dataset", sa.Text(), nullable=False),
        sa.Column("area", sa.Text(), nullable=False),
        *(sa.Column(name, _key_text(), nullable=False) for name in SERIES_KEY_COLUMNS),
        sa.UniqueConstraint("dataset", "area", *SERIES_KEY_COLUMNS, name="uq_series_identity"),
    )
    op.create_table(
        "observations",
        # No foreign key to series: only the store writes here, always with an id it has just
        # read from series, and PostgreSQL's per-row check would make bulk inserts 2.5x slower.
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("ts", _instant(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("curve_type", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", _instant()),
        sa.Column("ingested_at", _instant(), nullable=False),
        # The primary key serves the upsert's conflict target and every range read:
        # one series, instants in order.
        sa.PrimaryKeyConstraint("series_id", "ts", name="pk_observations"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "coverage",
        sa.Column("id", _big_identity(), sa.Identity(), primary_key=True),
        sa.Column("dataset", sa.Text(), nullable=False),
        sa.Column("area", sa.Text(), nullable=False),
        sa.Column("interval_start", _instant(), nullable=False),
        sa.Column("interval_end", _instant(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("fetched_at", _instant(), nullable=False),
    )
    op.create_index("ix_coverage_lookup", "coverage", ["dataset", "area", "interval_start"])
    op.create_table(
        "backfill_jobs",
        sa.Column("seq", _big_identity(), sa.Identity(), primary_key=True),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        sa.Column("period_start", _instant(), nullable=False),
        sa.Column("period_end", _instant(), nullable=False),
        sa.Column("datasets", sa.Text(), nullable=False),
        sa.Column("areas", sa.Text(), nullable=False),
        sa.Column("span", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("started_at", _instant()),
        sa.Column("finished_at", _instant()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("id", name="uq_backfill_jobs_id"),
    )
    op.create_index("ix_backfill_jobs_status", "backfill_jobs", ["status"])
    op.create_table(
        "backfill_chunks",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column(
            "job_id",
            sa.Text(),
            sa.ForeignKey("backfill_jobs.id", name="fk_chunks_job"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("dataset", sa.Text(), nullable=False),
        sa.Column("area", sa.Text(), nullable=False),
        sa.Column("interval_start", _instant(), nullable=False),
        sa.Column("interval_end", _instant(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("points_written", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("lease_owner", sa.Text()),
        sa.Column("lease_expires_at", _instant()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", _instant()),
        # Plan order: jobs in the order they were added, chunks in their plan position.
        sa.UniqueConstraint("job_id", "position", name="uq_backfill_chunks_position"),
    )
    op.create_index("ix_backfill_chunks_status", "backfill_chunks", ["status", "job_id"])
    op.create_table(
        "rate_limits",
        sa.Column("name", sa.Text(), primary_key=True),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("refilled_at", _instant(), nullable=False),
        sa.Column("banned_until", _instant()),
    )


def downgrade() -> None:
    op.drop_table("rate_limits")
    op.drop_index("ix_backfill_chunks_status", "backfill_chunks")
    op.drop_table("backfill_chunks")
    op.drop_index("ix_backfill_jobs_status", "backfill_jobs")
    op.drop_table("backfill_jobs")
    op.drop_index("ix_coverage_lookup", "coverage")
    op.drop_table("coverage")
    op.drop_table("observations")
    op.drop_table("series")
