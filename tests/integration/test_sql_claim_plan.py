"""Claims, the "still to run?" probe and the latest error read indexes, on both databases.

A claim is one statement (an UPDATE of the first chunk it may take, RETURNING it) while the
first job in progress has a chunk to give, so that it costs one round trip to the database.

A job of a few thousand chunks, the first half done: the statements that ``claim_next`` and
``has_open`` send are captured as sent and explained by the database itself. Neither may read
the done chunks (a scan of the table), nor may the claim sort the open ones to find the first:
on a job of a million chunks either would cost a million rows. A job's latest error is found
among the chunks with one (``ix_backfill_chunks_errors``), not by reading every chunk.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy import SqlUnitOfWorkFactory
from entsoe_core.plan import Chunk
from entsoe_core.progress import ChunkProgress
from entsoe_core.timeline import Interval
from tests.integration.contract.builders import LOAD, NL, NOW, START, job
from tests.integration.databases import open_engine, sqlite_url

CHUNKS = 4000
DONE = 2000


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = (
        sqlite_url(tmp_path)
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    async with open_engine(url) as opened:
        yield opened


async def _mostly_done_job(factory: SqlUnitOfWorkFactory) -> None:
    chunks = [
        ChunkProgress(
            f"big-{n:06d}",
            "big",
            Chunk(LOAD, NL, Interval(START + timedelta(days=n), START + timedelta(days=n + 1))),
            updated_at=NOW,
        )
        for n in range(CHUNKS)
    ]
    async with factory() as uow:
        await uow.progress.add_job(job("big"), chunks)
        await uow.commit()
    async with factory.engine.begin() as conn:
        await conn.execute(
            sa.text("UPDATE backfill_chunks SET status = 'done' WHERE position < :done"),
            {"done": DONE},
        )
        await conn.execute(sa.text("ANALYZE"))


async def _statements_of(engine: AsyncEngine, call: Any) -> list[tuple[str, Any]]:
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        await call()
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", record)
    return [
        (s, p)
        for s, p in sent
        if "backfill_chunks" in s and s.lstrip().startswith(("SELECT", "UPDATE"))
    ]


async def _plan(engine: AsyncEngine, statement: str, parameters: Any) -> str:
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            # What a prepared statement runs once PostgreSQL stops planning it per call.
            await conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
            rows = await conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        else:
            rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "\n".join(str(row[-1]) for row in rows.all())


async def test_claim_and_has_open_walk_the_index_of_open_chunks(engine: AsyncEngine) -> None:
    factory = SqlUnitOfWorkFactory(engine)
    await _mostly_done_job(factory)

    async def claim_and_probe() -> None:
        async with factory() as uow:
            claimed = await uow.progress.claim_next("me", NOW, timedelta(minutes=2))
            assert claimed is not None
            assert claimed.id == f"big-{DONE:06d}"
            assert await uow.progress.has_open("big")

    statements = await _statements_of(engine, claim_and_probe)
    assert len(statements) == 2
    for statement, parameters in statements:
        plan = await _plan(engine, statement, parameters)
        # The open chunks in plan order, from the first: no scan of the table, no sort of its
        # rows (the claim finds the first job in progress among the jobs, a handful of rows).
        assert "ix_backfill_chunks_open" in plan, plan
        assert "Seq Scan on backfill_chunks" not in plan, plan
        assert "Sort Key: backfill_chunks" not in plan, plan
        assert "TEMP B-TREE" not in plan, plan
        if engine.dialect.name == "sqlite":
            assert plan.startswith("SEARCH"), plan


async def test_a_claim_is_one_statement_while_the_first_job_has_chunks_to_give(
    engine: AsyncEngine,
) -> None:
    factory = SqlUnitOfWorkFactory(engine)
    await _mostly_done_job(factory)
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with factory() as uow:
            claimed = await uow.progress.claim_next("me", NOW, timedelta(minutes=2))
            sent_by_claim = [s for s in sent if "backfill_" in s]
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert claimed is not None
    assert (claimed.id, claimed.lease_owner, claimed.version) == (f"big-{DONE:06d}", "me", 1)
    assert len(sent_by_claim) == 1, sent_by_claim
    assert sent_by_claim[0].lstrip().startswith("UPDATE")


async def test_a_claim_goes_on_to_the_next_job_when_the_first_has_none_to_give(
    engine: AsyncEngine,
) -> None:
    factory = SqlUnitOfWorkFactory(engine)
    first = ChunkProgress("a-1", "a", Chunk(LOAD, NL, Interval(START, START + timedelta(days=1))))
    second = ChunkProgress("b-1", "b", Chunk(LOAD, NL, Interval(START, START + timedelta(days=1))))
    async with factory() as uow:
        await uow.progress.add_job(job("a"), [first])
        await uow.progress.add_job(job("b", at=NOW + timedelta(seconds=1)), [second])
        await uow.commit()
    async with factory() as uow:
        taken = [await uow.progress.claim_next("me", NOW, timedelta(minutes=2)) for _ in range(3)]
        await uow.commit()
    assert [None if chunk is None else chunk.id for chunk in taken] == ["a-1", "b-1", None]
    # A lease run out makes a chunk claimable again, in the same one statement.
    later = NOW + timedelta(minutes=3)
    async with factory() as uow:
        again = await uow.progress.claim_next("you", later, timedelta(minutes=2))
        await uow.commit()
    assert again is not None
    assert (again.id, again.lease_owner, again.version) == ("a-1", "you", 2)
    assert again.lease_expires_at == later + timedelta(minutes=2)


async def test_the_latest_error_is_found_among_the_chunks_with_one(engine: AsyncEngine) -> None:
    factory = SqlUnitOfWorkFactory(engine)
    await _mostly_done_job(factory)
    async with factory.engine.begin() as conn:
        await conn.execute(
            sa.text(
                "UPDATE backfill_chunks SET last_error = 'HTTP 400', status = 'failed' "
                "WHERE position IN (3, 700)"
            )
        )
        await conn.execute(sa.text("ANALYZE"))

    async def read() -> None:
        async with factory() as uow:
            assert await uow.progress.last_error("big") == "HTTP 400"

    [(statement, parameters)] = await _statements_of(engine, read)
    plan = await _plan(engine, statement, parameters)
    assert "ix_backfill_chunks_errors" in plan, plan
    assert "Seq Scan" not in plan, plan
