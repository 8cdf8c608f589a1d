"""A request budget shared by every worker process on one database.

The token bucket of :mod:`entsoe_core.budget`, with its state (tokens, last refill, ban) in a
one-row table instead of in one process's memory (:class:`adapters.memory.MemoryRateLimiter`). Each
``acquire`` is one short transaction that locks the row (``SELECT ... FOR UPDATE`` on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), refills, takes a token if there is one, and
commits; waiting happens outside the transaction, through the injected clock. So any number of
processes together keep the budget's promise (at most ``per_minute`` requests reach the API in
any 60 seconds, see :mod:`entsoe_core.budget`), and none sends while the source bans us.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sqlalchemy.engine import READING
from adapters.sqlalchemy.errors import storage_errors
from adapters.sqlalchemy.tables import rate_limits
from adapters.sqlalchemy.unit_of_work import SchemaGate
from entsoe_core.budget import Bucket, RequestBudget
from entsoe_core.ports import ClockPort

__all__ = ["SqlRateLimiter"]


class SqlRateLimiter:
    """Admits requests within a budget kept in the database, shared by all its users.

    ``name`` picks the budget's row: processes that use the same API token must use the same
    name. ``admitted`` and ``last_admitted_at`` describe this instance's own admissions,
    ``polls`` how many times it asked the database for a token.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        clock: ClockPort,
        per_minute: float = 350,
        burst: int = 10,
        *,
        name: str = "entsoe-api",
        gate: SchemaGate | None = None,
    ) -> None:
        self._budget = RequestBudget(per_minute, burst)
        self._engine = engine
        self._clock = clock
        self._name = name
        self._gate = gate or SchemaGate(engine)
        self.admitted = 0
        self.last_admitted_at: datetime | None = None
        self.polls = 0
        self._turn = asyncio.Lock()

    async def acquire(self) -> None:
        await self._gate()
        # One caller of this process at a time asks the database; the others queue here. With
        # every lane of every worker asking on its own, each token would cost a transaction
        # per lane (32 for eight workers of four lanes), all on the budget's one locked row.
        async with self._turn:
            while True:
                now, wait = await self._take()
                if wait is None:
                    self.admitted += 1
                    self.last_admitted_at = now
                    return
                await self._clock.sleep(wait)

    async def ban_until(self, until: datetime) -> None:
        await self._gate()
        with storage_errors("record a ban in the shared request budget"):
            async with self._engine.begin() as conn:
                bucket = await self._lock(conn)
                await self._store(conn, bucket.banned(self._budget, self._clock.now(), until))

    async def ban_in_force(self) -> datetime | None:
        """Until when the source bans requests, while a ban is in force; reads only."""
        await self._gate()
        query = sa.select(rate_limits.c.banned_until).where(rate_limits.c.name == self._name)
        with storage_errors("read the ban of the shared request budget"):
            async with self._engine.connect() as conn:
                # A read: on SQLite it must not wait for the write lock a worker may hold.
                await conn.execution_options(**{READING: True})
                async with conn.begin():
                    until = (await conn.execute(query)).scalar_one_or_none()
        return until if until is not None and until > self._clock.now() else None

    async def _take(self) -> tuple[datetime, float | None]:
        """Take a token if one is there; otherwise say how long to wait before trying again."""
        self.polls += 1
        with storage_errors("take a request from the shared request budget"):
            async with self._engine.begin() as conn:
                bucket = await self._lock(conn)
                now = self._clock.now()
                taken, wait = bucket.take(self._budget, now)
                if taken != bucket:
                    await self._store(conn, taken)
                return now, wait

    async def _lock(self, conn: AsyncConnection) -> Bucket:
        query = (
            sa.select(rate_limits.c.tokens, rate_limits.c.refilled_at, rate_limits.c.banned_until)
            .where(rate_limits.c.name == self._name)
            .with_for_update()
        )
        row = (await conn.execute(query)).one_or_none()
        if row is None:
            insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            await conn.execute(
                insert(rate_limits)
                .values(
                    name=self._name, tokens=float(self._budget.burst), refilled_at=self._clock.now()
                )
                .on_conflict_do_nothing(index_elements=["name"])
            )
            row = (await conn.execute(query)).one()
        return Bucket(row.tokens, row.refilled_at, row.banned_until)

    async def _store(self, conn: AsyncConnection, bucket: Bucket) -> None:
        await conn.execute(
            rate_limits.update()
            .where(rate_limits.c.name == self._name)
            .values(
                tokens=bucket.tokens,
                refilled_at=bucket.refilled_at,
                banned_until=bucket.banned_until,
            )
        )
