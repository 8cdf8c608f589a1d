"""Claims, the "still to run?" probe and the latest error read indexes, on both databases.

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
    return [(s, p) for s, p in sent if "backfill_chunks" in s and s.lstrip().startswith("SELECT")]


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
        # The open chunks in plan order, from the first: no scan of the table, no sort.
        assert "ix_backfill_chunks_open" in plan, plan
        assert "Seq Scan" not in plan, plan
        assert "Sort" not in plan, plan
        assert "TEMP B-TREE" not in plan, plan
        if engine.dialect.name == "sqlite":
            assert plan.startswith("SEARCH"), plan


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
