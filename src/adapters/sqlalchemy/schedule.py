"""ScheduleStorePort on SQLAlchemy Core: the ``schedule_rounds`` table, shared by every
scheduler on one database.

A claim inserts the round's row, keyed by the dataset and the instant its schedule names; the
key makes of any number of schedulers exactly one the claimant (``ON CONFLICT DO NOTHING``:
on PostgreSQL a second insert waits for the first to commit, then does nothing; SQLite takes
one writer at a time). A round still running under an expired lease (its claimant died) is
taken over by an update that only matches while the lease is expired. Each call is one short
transaction of its own.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.engine import READING
from adapters.sqlalchemy.errors import storage_errors
from adapters.sqlalchemy.tables import schedule_rounds
from adapters.sqlalchemy.unit_of_work import SchemaGate
from entsoe_core.scheduling import RoundRecord, RoundState, ScheduledRound

__all__ = ["SqlScheduleStore"]


class SqlScheduleStore:
    """The rounds claimed, in the database."""

    def __init__(self, engine: AsyncEngine, *, gate: SchemaGate | None = None) -> None:
        self._engine = engine
        self._gate = gate or SchemaGate(engine)

    async def claim(
        self, scheduled: ScheduledRound, owner: str, now: datetime, lease: timedelta
    ) -> bool:
        await self._gate()
        r = schedule_rounds.c
        running = {
            "state": RoundState.RUNNING.value,
            "owner": owner,
            "started_at": now,
            "lease_expires_at": now + lease,
            "finished_at": None,
            "job_id": None,
            "note": "",
        }
        with storage_errors(f"claim the round of {scheduled.dataset}"):
            async with self._engine.begin() as conn:
                insert: Any = (
                    postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
                )
                inserted = await conn.execute(
                    insert(schedule_rounds)
                    .values(dataset=scheduled.dataset, due_at=scheduled.due_at, **running)
                    .on_conflict_do_nothing(index_elements=["dataset", "due_at"])
                )
                if inserted.rowcount == 1:
                    return True
                taken = await conn.execute(
                    schedule_rounds.update()
                    .where(
                        r.dataset == scheduled.dataset,
                        r.due_at == scheduled.due_at,
                        r.state == RoundState.RUNNING.value,
                        r.lease_expires_at < now,
                    )
                    .values(**running)
                )
                return taken.rowcount == 1

    async def finish(self, record: RoundRecord) -> None:
        await self._gate()
        with storage_errors(f"record the end of the round of {record.round.dataset}"):
            async with self._engine.begin() as conn:
                await conn.execute(
                    schedule_rounds.update()
                    .where(*self._owned(record.round, record.owner))
                    .values(
                        state=record.state.value,
                        finished_at=record.finished_at,
                        job_id=record.job_id,
                        note=record.note,
                    )
                )

    async def release(self, scheduled: ScheduledRound, owner: str) -> None:
        await self._gate()
        with storage_errors(f"hand back the round of {scheduled.dataset}"):
            async with self._engine.begin() as conn:
                await conn.execute(
                    schedule_rounds.delete().where(
                        *self._owned(scheduled, owner),
                        schedule_rounds.c.state == RoundState.RUNNING.value,
                    )
                )

    async def latest(self) -> dict[str, RoundRecord]:
        await self._gate()
        r = schedule_rounds.c
        newest = (
            sa.select(r.dataset, sa.func.max(r.due_at).label("due_at"))
            .group_by(r.dataset)
            .subquery()
        )
        query = sa.select(schedule_rounds).join(
            newest, sa.and_(r.dataset == newest.c.dataset, r.due_at == newest.c.due_at)
        )
        with storage_errors("read the scheduler's rounds"):
            async with self._engine.connect() as conn:
                await conn.execution_options(**{READING: True})
                async with conn.begin():
                    rows = (await conn.execute(query)).all()
        return {row.dataset: _record(row) for row in rows}

    @staticmethod
    def _owned(scheduled: ScheduledRound, owner: str) -> tuple[sa.ColumnElement[bool], ...]:
        r = schedule_rounds.c
        return (r.dataset == scheduled.dataset, r.due_at == scheduled.due_at, r.owner == owner)


def _record(row: sa.Row[Any]) -> RoundRecord:
    return RoundRecord(
        round=ScheduledRound(row.dataset, row.due_at),
        state=RoundState(row.state),
        owner=row.owner,
        started_at=row.started_at,
        lease_expires_at=row.lease_expires_at,
        finished_at=row.finished_at,
        job_id=row.job_id,
        note=row.note,
    )
