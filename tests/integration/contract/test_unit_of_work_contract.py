"""The unit of work: a chunk's observations, coverage and progress commit together or not at all."""

from __future__ import annotations

from datetime import timedelta

import pytest

from entsoe_core.coverage import CoverageEntry, Outcome
from entsoe_core.errors import LeaseLost, StorageError
from entsoe_core.observations import SeriesKey
from entsoe_core.ports import UnitOfWorkFactory
from entsoe_core.progress import ChunkProgress
from entsoe_core.timeline import Interval, utc
from tests.integration.contract.builders import LOAD, NL, NOW, chunks_of, job, series

LEASE = timedelta(minutes=2)
KEY = SeriesKey("A65", "A16", "A04", out_domain=NL.code, resolution="PT60M")
MONTH = Interval(utc(2024, 1, 1), utc(2024, 2, 1))


class InjectedFailure(Exception):
    """Stands for anything that goes wrong between two writes of a chunk."""


def fail_here() -> None:
    raise InjectedFailure


async def _claimed_chunk(factory: UnitOfWorkFactory) -> ChunkProgress:
    async with factory() as uow:
        await uow.progress.add_job(job("job-a"), chunks_of("job-a", areas=[NL], months=1))
        await uow.commit()
    async with factory() as uow:
        claimed = await uow.progress.claim_next("me", NOW, LEASE)
        await uow.commit()
    assert claimed is not None
    return claimed


async def _nothing_was_left_behind(factory: UnitOfWorkFactory, claimed: ChunkProgress) -> None:
    async with factory() as uow:
        assert await uow.store.read(LOAD, NL, MONTH) == []
        assert (await uow.store.coverage(LOAD, NL, MONTH)).entries == ()
        assert await uow.progress.get_chunks("job-a") == [claimed]


async def test_commit_makes_the_chunk_durable(uow_factory: UnitOfWorkFactory) -> None:
    claimed = await _claimed_chunk(uow_factory)

    async with uow_factory() as uow:
        stored = await uow.store.upsert(LOAD, NL, [series(KEY, MONTH.start, range(24))])
        await uow.store.record_coverage(LOAD, NL, CoverageEntry(MONTH, Outcome.DATA, NOW))
        done = await uow.progress.save_chunk(claimed.complete(stored.written, 1, 1, NOW))
        await uow.commit()

    async with uow_factory() as uow:
        assert len(await uow.store.read(LOAD, NL, MONTH)) == 24
        assert (await uow.store.coverage(LOAD, NL, MONTH)).entries == (
            CoverageEntry(MONTH, Outcome.DATA, NOW),
        )
        assert await uow.progress.get_chunks("job-a") == [done]


async def test_leaving_without_commit_rolls_everything_back(
    uow_factory: UnitOfWorkFactory,
) -> None:
    claimed = await _claimed_chunk(uow_factory)

    async with uow_factory() as uow:
        await uow.store.upsert(LOAD, NL, [series(KEY, MONTH.start, range(24))])
        await uow.store.record_coverage(LOAD, NL, CoverageEntry(MONTH, Outcome.DATA, NOW))
        await uow.progress.save_chunk(claimed.complete(24, 1, 1, NOW))
        await uow.progress.add_job(job("job-b"), [])

    await _nothing_was_left_behind(uow_factory, claimed)
    async with uow_factory() as uow:
        assert [j.id for j in await uow.progress.list_jobs()] == ["job-a"]


async def test_a_failure_between_the_data_and_the_progress_row_leaves_neither(
    uow_factory: UnitOfWorkFactory,
) -> None:
    claimed = await _claimed_chunk(uow_factory)

    async def commit_chunk() -> None:
        async with uow_factory() as uow:
            await uow.store.upsert(LOAD, NL, [series(KEY, MONTH.start, range(24 * 31))])
            await uow.store.record_coverage(LOAD, NL, CoverageEntry(MONTH, Outcome.DATA, NOW))
            fail_here()
            await uow.progress.save_chunk(claimed.complete(24, 1, 1, NOW))
            await uow.commit()

    with pytest.raises(InjectedFailure):
        await commit_chunk()

    await _nothing_was_left_behind(uow_factory, claimed)


async def test_a_lost_lease_discards_the_data_written_before_it_was_noticed(
    uow_factory: UnitOfWorkFactory,
) -> None:
    claimed = await _claimed_chunk(uow_factory)
    async with uow_factory() as uow:
        taken_over = await uow.progress.claim_next("thief", NOW + LEASE, LEASE)
        await uow.commit()
    assert taken_over is not None

    async def commit_chunk() -> None:
        async with uow_factory() as uow:
            await uow.store.upsert(LOAD, NL, [series(KEY, MONTH.start, range(24))])
            await uow.store.record_coverage(LOAD, NL, CoverageEntry(MONTH, Outcome.DATA, NOW))
            await uow.progress.save_chunk(claimed.complete(24, 1, 1, NOW + LEASE))
            await uow.commit()

    with pytest.raises(LeaseLost):
        await commit_chunk()

    await _nothing_was_left_behind(uow_factory, taken_over)


async def test_units_of_work_one_after_another_see_each_others_commits(
    uow_factory: UnitOfWorkFactory,
) -> None:
    for day in range(3):
        async with uow_factory() as uow:
            start = MONTH.start + timedelta(days=day)
            await uow.store.upsert(LOAD, NL, [series(KEY, start, range(24))])
            await uow.commit()

    async with uow_factory() as uow:
        assert len(await uow.store.read(LOAD, NL, MONTH)) == 72


async def test_a_reading_unit_of_work_reads_and_cannot_commit(
    uow_factory: UnitOfWorkFactory,
) -> None:
    claimed = await _claimed_chunk(uow_factory)

    async with uow_factory(reading=True) as uow:
        assert uow.reading
        assert await uow.progress.get_chunks("job-a") == [claimed]
        with pytest.raises(StorageError, match="opened for reading cannot commit"):
            await uow.commit()

    await _nothing_was_left_behind(uow_factory, claimed)
