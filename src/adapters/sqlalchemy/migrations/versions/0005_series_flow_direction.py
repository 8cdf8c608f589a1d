"""The flow direction as part of a series' identity.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27

- ``series.flow_direction``: the ``flowDirection.direction`` of a balancing series (A01 up,
  A02 down): the up and down imbalance volumes of one instant are two series. Every series
  stored before has none (an empty string, as every absent key field).
- ``uq_series_identity`` takes it in.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
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
    "price_category",
)


def _key_text() -> sa.types.TypeEngine[str]:
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    # Batch mode: SQLite changes a table's constraints only by copying it.
    with op.batch_alter_table("series") as batch:
        batch.add_column(
            sa.Column("flow_direction", _key_text(), nullable=False, server_default="")
        )
        batch.drop_constraint("uq_series_identity", type_="unique")
        batch.create_unique_constraint("uq_series_identity", [*_KEY_BEFORE, "flow_direction"])


def downgrade() -> None:
    with op.batch_alter_table("series") as batch:
        batch.drop_constraint("uq_series_identity", type_="unique")
        batch.create_unique_constraint("uq_series_identity", list(_KEY_BEFORE))
        batch.drop_column("flow_direction")
