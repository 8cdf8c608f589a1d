"""An index of the coverage ledger by when each entry was fetched.

Revision ID: 0009_last_fetch
Revises: 0008_unchanged_points
Create Date: 2026-11-27

The metrics and the health check ask, for every configured (dataset, area), when its newest
entry was fetched. ``ix_coverage_last_fetch`` answers that with one probe, where the lookup
index by interval would read every entry of the (dataset, area): years of day chunks each.
"""

from __future__ import annotations

from alembic import op

revision = "0009_last_fetch"
down_revision = "0008_unchanged_points"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_coverage_last_fetch", "coverage", ["dataset", "area", "fetched_at"])


def downgrade() -> None:
    op.drop_index("ix_coverage_last_fetch", table_name="coverage")
