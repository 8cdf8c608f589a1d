"""The price category as part of a series' identity.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

- ``series.price_category``: the ``imbalance_Price.category`` of an imbalance price (A04 excess,
  A05 insufficient balance), two prices of one instant that are two series. Every series stored
  before has none (an empty string, as every absent key field).
- ``uq_series_identity`` takes it in, so that the two categories are two rows of ``series``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_KEY_BEFORE = (
    "dataset",
    "area",
    "document_type",
    "process_type",
    "business_type",
    "psr_type",
    "in_domain",
    "out_domain",
    "classification_position",
    "resolution",
)


def _key_text() -> sa.types.TypeEngine[str]:
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    # Batch mode: SQLite changes a table's constraints only by copying it.
    with op.batch_alter_table("series") as batch:
        batch.add_column(
            sa.Column("price_category", _key_text(), nullable=False, server_default="")
        )
        batch.drop_constraint("uq_series_identity", type_="unique")
        batch.create_unique_constraint("uq_series_identity", [*_KEY_BEFORE, "price_category"])


def downgrade() -> None:
    with op.batch_alter_table("series") as batch:
        batch.drop_constraint("uq_series_identity", type_="unique")
        batch.create_unique_constraint("uq_series_identity", list(_KEY_BEFORE))
        batch.drop_column("price_category")
