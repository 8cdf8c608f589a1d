"""The price category and the flow direction as parts of a series' identity.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

- ``series.price_category``: the ``imbalance_Price.category`` of an imbalance price (A04 excess,
  A05 insufficient balance), two prices of one instant that are two series. Every series stored
  before has none (an empty string, as every absent key field).
- ``series.flow_direction``: the ``flowDirection.direction`` of a balancing series (A01 up,
  A02 down): the up and down imbalance volumes of one instant are two series. Every series
  stored before has none.
- ``uq_series_identity`` takes both in, so that two categories or two directions are two rows
  of ``series``.
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

_KEY_ADDED = ("price_category", "flow_direction")


def _key_text() -> sa.types.TypeEngine[str]:
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    # Batch mode: SQLite changes a table's constraints only by copying it.
    with op.batch_alter_table("series") as batch:
        for column in _KEY_ADDED:
            batch.add_column(sa.Column(column, _key_text(), nullable=False, server_default=""))
        batch.drop_constraint("uq_series_identity", type_="unique")
        batch.create_unique_constraint("uq_series_identity", [*_KEY_BEFORE, *_KEY_ADDED])


def downgrade() -> None:
    with op.batch_alter_table("series") as batch:
        batch.drop_constraint("uq_series_identity", type_="unique")
        batch.create_unique_constraint("uq_series_identity", list(_KEY_BEFORE))
        for column in reversed(_KEY_ADDED):
            batch.drop_column(column)
