"""The market product, the quantity kind and the registered resource as parts of a series'
identity.

Revision ID: 0005_bids
Revises: 0004
Create Date: 2026-11-27

- ``series.market_product``: the ``standard_MarketProduct.marketProductType`` of an aggregated
  balancing energy bid (A01 standard, others specific): bids of two products are two series.
- ``series.quantity_kind``: which value of a Point a series holds where a Point holds several
  (empty for its ``quantity``, else ``secondaryQuantity`` or ``unavailable_Quantity.quantity``):
  the offered, activated and unavailable volumes of one bid at one instant are three series.
- ``series.registered_resource``: the ``registeredResource.mRID`` of a series about one unit
  (actual generation per generation unit): two units of one production type are two series.

Every series stored before has none of them (an empty string, as every absent key field).
``uq_series_identity`` takes all three in.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_bids"
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
    "flow_direction",
)

_KEY_ADDED = ("market_product", "quantity_kind", "registered_resource")


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
