"""The circuit breaker over the source, shared by every worker process on one database.

The rules of :mod:`entsoe_core.breaker`, with the state in one row of ``source_state`` instead
of in one process's memory (:class:`adapters.memory.MemorySourceBreaker`). Each step is one
short transaction of its own, outside any unit of work:

- reading takes no write lock (a deferred transaction on SQLite);
- a failure, or a success on a state that is not clean, locks the row (``SELECT ... FOR
  UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), applies the rule and writes it back;
  a success on a clean state only reads, so the common case writes nothing;
- taking the probe is a compare-and-set: the row's ``next_probe_at`` moves on only where it
  still holds the due instant that was read, so of any number of workers exactly one wins.

``unavailable_since`` holds the first failure of the current run of failures (the state's
``failing_since``): while the breaker is open, since when the source is unavailable.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sqlalchemy.engine import READING
from adapters.sqlalchemy.errors import storage_errors
from adapters.sqlalchemy.tables import source_state
from adapters.sqlalchemy.unit_of_work import SchemaGate
from entsoe_core.breaker import BreakerPolicy, SourceChange, SourceState
from entsoe_core.ports import ClockPort

__all__ = ["SqlSourceBreaker"]


class SqlSourceBreaker:
    """The breaker's state in the database, shared by all its users.

    ``name`` picks the row: processes that fetch from the same source must use the same name.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        clock: ClockPort,
        policy: BreakerPolicy | None = None,
        *,
        name: str = "entsoe-api",
        gate: SchemaGate | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._policy = policy or BreakerPolicy()
        self._name = name
        self._gate = gate or SchemaGate(engine)

    async def read(self) -> SourceState:
        await self._gate()
        with storage_errors("read the state of the source"):
            async with self._engine.connect() as conn:
                await conn.execution_options(**{READING: True})
                async with conn.begin():
                    return await self._select(conn, lock=False) or SourceState()

    async def record_failure(self, reason: str) -> SourceChange:
        await self._gate()
        with storage_errors("record a failure of the source"):
            async with self._engine.begin() as conn:
                before = await self._lock(conn)
                after = before.failed(self._policy, reason, self._clock.now())
                await self._store(conn, after)
        return SourceChange(before, after)

    async def record_success(self) -> SourceChange:
        seen = await self.read()
        if seen.is_clean:
            return SourceChange(seen, seen)
        with storage_errors("record a success of the source"):
            async with self._engine.begin() as conn:
                before = await self._lock(conn)
                after = before.succeeded(self._clock.now())
                if after != before:
                    await self._store(conn, after)
        return SourceChange(before, after)

    async def take_probe(self) -> bool:
        seen = await self.read()
        now = self._clock.now()
        if not seen.probe_due(now):
            return False
        taken = seen.probe_taken(self._policy, now)
        with storage_errors("take the probe of the source"):
            async with self._engine.begin() as conn:
                result = await conn.execute(
                    source_state.update()
                    .where(
                        source_state.c.name == self._name,
                        source_state.c.next_probe_at == seen.next_probe_at,
                    )
                    .values(next_probe_at=taken.next_probe_at, probe_seconds=taken.probe_seconds)
                )
        return result.rowcount == 1

    async def _select(self, conn: AsyncConnection, *, lock: bool) -> SourceState | None:
        row = (await conn.execute(self._query(lock=lock))).one_or_none()
        return None if row is None else _state(row)

    async def _lock(self, conn: AsyncConnection) -> SourceState:
        state = await self._select(conn, lock=True)
        if state is not None:
            return state
        insert: Any = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        await conn.execute(
            insert(source_state)
            .values(name=self._name)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        return _state((await conn.execute(self._query(lock=True))).one())

    def _query(self, *, lock: bool) -> sa.Select[Any]:
        query = sa.select(source_state).where(source_state.c.name == self._name)
        return query.with_for_update() if lock else query

    async def _store(self, conn: AsyncConnection, state: SourceState) -> None:
        await conn.execute(
            source_state.update()
            .where(source_state.c.name == self._name)
            .values(
                failures=state.failures,
                unavailable_since=state.failing_since,
                next_probe_at=state.next_probe_at,
                probe_seconds=state.probe_seconds,
                last_failure=state.last_failure,
                last_failure_at=state.last_failure_at,
                last_success_at=state.last_success_at,
            )
        )


def _state(row: sa.Row[Any]) -> SourceState:
    return SourceState(
        failures=row.failures,
        failing_since=row.unavailable_since,
        next_probe_at=row.next_probe_at,
        probe_seconds=row.probe_seconds,
        last_failure=row.last_failure,
        last_failure_at=row.last_failure_at,
        last_success_at=row.last_success_at,
    )
