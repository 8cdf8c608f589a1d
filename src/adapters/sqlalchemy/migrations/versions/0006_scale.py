"""An index of the chunks still to run, in plan order, and one of the chunks with an error.

Revision ID: 0006_scale
Revises: 0005_bids
Create Date: 2026-11-27

``ix_backfill_chunks_open`` holds only the pending and in-flight chunks of each job, by
position. A claim walks it from the front and stops at the first chunk it may take, and
"is any chunk of this job still to run?" is one probe of it: both stay as quick with a
million chunks, most of them done, as with a hundred.

``ix_backfill_chunks_errors`` holds only the chunks with a last error, by job: a job's report
finds its latest error among those, not by reading every chunk of the job.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_scale"
down_revision = "0005_bids"
branch_labels = None
depends_on = None

_OPEN = sa.text("status IN ('pending', 'in_flight')")
_ERRED = sa.text("last_error IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_backfill_chunks_open",
        "backfill_chunks",
        ["job_id", "position"],
        postgresql_where=_OPEN,
        sqlite_where=_OPEN,
    )
    op.create_index(
        "ix_backfill_chunks_errors",
        "backfill_chunks",
        ["job_id"],
        postgresql_where=_ERRED,
        sqlite_where=_ERRED,
    )


def downgrade() -> None:
    op.drop_index("ix_backfill_chunks_errors", table_name="backfill_chunks")
    op.drop_index("ix_backfill_chunks_open", table_name="backfill_chunks")
