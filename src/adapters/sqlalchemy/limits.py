"""DatasetLimitsPort on SQLAlchemy Core: the ``dataset_limits`` table.

One row per dataset: the span as the ISO 8601 period the source stated, when it was learned and
what the refusal said. Learning inserts the row if there is none; otherwise it locks the row
and replaces it only with a tighter limit, so workers that learn at once never loosen it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from adapters.sqlalchemy.errors import storage_errors
from adapters.sqlalchemy.store import AnyRow, ConnectionSource
from adapters.sqlalchemy.tables import dataset_limits
from entsoe_core.limits import LearnedLimit, RequestSpan, tighter

__all__ = ["SqlDatasetLimits"]


class SqlDatasetLimits:
    """Learned request limits in SQL; hands out frozen values only."""

    def __init__(self, connection: ConnectionSource) -> None:
        self._connection = connection

    async def learned(self) -> dict[str, LearnedLimit]:
        with storage_errors("read the learned request limits"):
            rows = (await self._connection().execute(sa.select(dataset_limits))).all()
        return {row.dataset: _from_row(row) for row in rows}

    async def learn(self, limit: LearnedLimit) -> LearnedLimit:
        conn = self._connection()
        values = {
            "dataset": limit.dataset,
            "max_span": str(limit.span),
            "learned_at": limit.learned_at,
            "message": limit.message,
        }
        insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert
        with storage_errors(f"store the request limit of {limit.dataset}"):
            inserted = await conn.execute(
                insert(dataset_limits).values(**values).on_conflict_do_nothing()
            )
            if inserted.rowcount:
                return limit
            row = (
                await conn.execute(
                    sa.select(dataset_limits)
                    .where(dataset_limits.c.dataset == limit.dataset)
                    .with_for_update()
                )
            ).one()
            stored = _from_row(row)
            if tighter(stored.span, limit.span) == stored.span:
                return stored
            await conn.execute(
                dataset_limits.update()
                .where(dataset_limits.c.dataset == limit.dataset)
                .values(**values)
            )
        return limit


def _from_row(row: AnyRow) -> LearnedLimit:
    return LearnedLimit(
        dataset=row.dataset,
        span=RequestSpan.parse(row.max_span),
        learned_at=row.learned_at,
        message=row.message,
    )
