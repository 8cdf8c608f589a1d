"""Several workers on one database: claims never collide, locked chunks are skipped."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.sqlalchemy import SqlUnitOfWorkFactory
from entsoe_core.progress import ChunkProgress, ChunkStatus, split_children
from entsoe_core.timeline import Interval
from tests.integration.contract.builders import NL, NOW, chunks_of, job
from tests.integration.databases import open_engine, sqlite_url

LEASE = timedelta(minutes=5)
WORKERS = 4


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def worker_factories(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[list[SqlUnitOfWorkFactory]]:
    """One unit of work factory per worker, each on an engine of its own (as processes are)."""
    url = (
        sqlite_url(tmp_path)
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    async with AsyncExitStack() as stack:
        engines = [await stack.enter_async_context(open_engine(url)) for _ in range(WORKERS)]
        yield [SqlUnitOfWorkFactory(engine) for engine in engines]


async def test_concurrent_workers_claim_every_chunk_exactly_once(
    worker_factories: list[SqlUnitOfWorkFactory],
) -> None:
    planned = chunks_of("job-a", months=12)
    async with worker_factories[0]() as uow:
        await uow.progress.add_job(job("job-a"), planned)
        await uow.commit()

    async def worker(factory: SqlUnitOfWorkFactory, owner: str) -> list[str]:
        mine: list[str] = []
        while True:
            async with factory() as uow:
                claimed = await uow.progress.claim_next(owner, NOW, LEASE)
                await uow.commit()
            if claimed is None:
                return mine
            mine.append(claimed.id)
            async with factory() as uow:
                await uow.progress.save_chunk(claimed.complete(1, 1, 1, NOW))
                await uow.commit()
            await asyncio.sleep(0)

    claims = await asyncio.gather(
        *(worker(factory, f"worker-{n}") for n, factory in enumerate(worker_factories))
    )

    counted = Counter(chunk_id for mine in claims for chunk_id in mine)
    assert sorted(counted) == sorted(chunk.id for chunk in planned)
    assert set(counted.values()) == {1}
    async with worker_factories[0]() as uow:
        counts = await uow.progress.counts("job-a", NOW)
    assert counts[ChunkStatus.DONE] == len(planned)


@pytest.mark.postgres
async def test_a_chunk_locked_by_an_open_claim_is_skipped_not_waited_for(
    postgres_url: str,
) -> None:
    async with open_engine(postgres_url) as engine:
        factory = SqlUnitOfWorkFactory(engine)
        planned = chunks_of("job-a", areas=[NL], months=2)
        async with factory() as uow:
            await uow.progress.add_job(job("job-a"), planned)
            await uow.commit()

        async with factory() as slow:
            held = await slow.progress.claim_next("slow", NOW, LEASE)
            async with factory() as fast:
                other = await asyncio.wait_for(fast.progress.claim_next("fast", NOW, LEASE), 10)
                await fast.commit()
            # the slow worker gives up without committing: its chunk is free again
        async with factory() as uow:
            again = await uow.progress.claim_next("third", NOW, LEASE)

    assert held is not None
    assert other is not None
    assert again is not None
    assert (held.id, other.id, again.id) == (planned[0].id, planned[1].id, planned[0].id)


async def test_concurrent_splits_of_one_job_take_positions_one_after_the_other(
    worker_factories: list[SqlUnitOfWorkFactory],
) -> None:
    planned = chunks_of("job-a", months=6)
    async with worker_factories[0]() as uow:
        await uow.progress.add_job(job("job-a"), planned)
        await uow.commit()
    claimed = []
    for n, factory in enumerate(worker_factories):
        async with factory() as uow:
            claimed.append(await uow.progress.claim_next(f"worker-{n}", NOW, LEASE))
            await uow.commit()

    async def split(factory: SqlUnitOfWorkFactory, chunk: ChunkProgress | None) -> None:
        assert chunk is not None
        interval = chunk.chunk.interval
        middle = interval.start + timedelta(days=14)
        halves = [Interval(interval.start, middle), Interval(middle, interval.end)]
        parent = chunk.split("too long", 1, 1, NOW)
        async with factory() as uow:
            await uow.progress.split_chunk(parent, split_children(parent, halves, NOW))
            # Each worker holds its transaction open a moment, so that they overlap.
            await asyncio.sleep(0.05)
            await uow.commit()

    await asyncio.gather(*(split(f, c) for f, c in zip(worker_factories, claimed, strict=True)))

    async with worker_factories[0]() as uow:
        stored = await uow.progress.get_chunks("job-a")
        counts = await uow.progress.counts("job-a", NOW)
    assert counts.split == WORKERS
    assert counts.total == len(planned) - WORKERS + 2 * WORKERS
    assert sorted(c.id for c in stored if c.parent_id) == sorted(
        f"{c.id}.{n}" for c in claimed if c is not None for n in (1, 2)
    )
