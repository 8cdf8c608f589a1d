"""BackfillProgressPort: jobs, chunks, claims, leases and fencing on every adapter."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

import attrs
import pytest

from adapters.memory import MemoryUnitOfWorkFactory
from entsoe_core.areas import AreaKey
from entsoe_core.errors import InvalidRequest, LeaseLost, UnknownJob
from entsoe_core.plan import ChunkSpan
from entsoe_core.ports import UnitOfWorkFactory
from entsoe_core.progress import (
    ChunkCounts,
    ChunkProgress,
    ChunkStatus,
    JobStatus,
    split_children,
)
from entsoe_core.timeline import Interval, utc
from tests.integration.contract.builders import BE, LOAD, NL, NOW, PRICES, chunks_of, job

LEASE = timedelta(minutes=2)


async def add(
    factory: UnitOfWorkFactory,
    job_id: str,
    *,
    status: JobStatus = JobStatus.IN_PROGRESS,
    at: datetime = NOW,
) -> list[ChunkProgress]:
    chunks = chunks_of(job_id)
    async with factory() as uow:
        await uow.progress.add_job(job(job_id, status=status, at=at), chunks)
        await uow.commit()
    return chunks


async def claim(
    factory: UnitOfWorkFactory,
    owner: str,
    after: timedelta = timedelta(0),
    *,
    job_id: str | None = None,
    areas: Collection[AreaKey] | None = None,
) -> ChunkProgress | None:
    async with factory() as uow:
        claimed = await uow.progress.claim_next(
            owner, NOW + after, LEASE, job_id=job_id, areas=areas
        )
        await uow.commit()
    return claimed


async def save(factory: UnitOfWorkFactory, chunk: ChunkProgress) -> ChunkProgress:
    async with factory() as uow:
        saved = await uow.progress.save_chunk(chunk)
        await uow.commit()
    return saved


# -- jobs -----------------------------------------------------------------------------------


async def test_get_job_of_an_unknown_id_raises_unknown_job(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        with pytest.raises(UnknownJob, match="nope"):
            await uow.progress.get_job("nope")


async def test_a_job_and_its_chunks_read_back_equal(uow_factory: UnitOfWorkFactory) -> None:
    chunks = await add(uow_factory, "job-a")

    async with uow_factory() as uow:
        assert await uow.progress.get_job("job-a") == job("job-a")
        assert await uow.progress.get_chunks("job-a") == chunks
        assert await uow.progress.get_chunks("job-a", (ChunkStatus.DONE,)) == []


async def test_a_job_id_is_taken_once(uow_factory: UnitOfWorkFactory) -> None:
    await add(uow_factory, "job-a")
    async with uow_factory() as uow:
        with pytest.raises(InvalidRequest, match="job-a"):
            await uow.progress.add_job(job("job-a"), [])


async def test_save_job_bumps_the_version_and_fences_stale_writers(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await add(uow_factory, "job-a", status=JobStatus.PENDING)
    async with uow_factory() as uow:
        read = await uow.progress.get_job("job-a")
        saved = await uow.progress.save_job(read.to(JobStatus.IN_PROGRESS, NOW))
        await uow.commit()
    assert saved.version == read.version + 1

    async with uow_factory() as uow:
        with pytest.raises(LeaseLost):
            await uow.progress.save_job(read.to(JobStatus.CANCELLED, NOW))
    async with uow_factory() as uow:
        assert await uow.progress.get_job("job-a") == saved
        with pytest.raises(UnknownJob):
            await uow.progress.save_job(attrs.evolve(read, id="ghost"))


async def test_list_jobs_newest_first_and_by_status(uow_factory: UnitOfWorkFactory) -> None:
    await add(uow_factory, "old", at=NOW - timedelta(days=2))
    await add(uow_factory, "new", status=JobStatus.PENDING, at=NOW)
    await add(uow_factory, "mid", at=NOW - timedelta(days=1))

    async with uow_factory() as uow:
        assert [j.id for j in await uow.progress.list_jobs()] == ["new", "mid", "old"]
        running = await uow.progress.list_jobs((JobStatus.IN_PROGRESS,))
        assert [j.id for j in running] == ["mid", "old"]
        assert await uow.progress.list_jobs(()) == []
        assert [j.id for j in await uow.progress.list_jobs(limit=2)] == ["new", "mid"]
        newest_running = await uow.progress.list_jobs((JobStatus.IN_PROGRESS,), limit=1)
        assert [j.id for j in newest_running] == ["mid"]


async def test_jobs_are_counted_by_status_every_status_named(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        assert await uow.progress.job_counts() == dict.fromkeys(JobStatus, 0)
    await add(uow_factory, "a", at=NOW - timedelta(days=2))
    await add(uow_factory, "b", status=JobStatus.PENDING, at=NOW)
    await add(uow_factory, "c", at=NOW - timedelta(days=1))

    async with uow_factory() as uow:
        counted = await uow.progress.job_counts()
    assert counted == {
        **dict.fromkeys(JobStatus, 0),
        JobStatus.IN_PROGRESS: 2,
        JobStatus.PENDING: 1,
    }


async def test_chunks_touching_a_period_come_newest_job_first_in_plan_order(
    uow_factory: UnitOfWorkFactory,
) -> None:
    old = await add(uow_factory, "old", at=NOW - timedelta(days=2))
    new = await add(uow_factory, "new", at=NOW)
    # January to March, NL and BE, a month a chunk; the period ends where March starts and
    # starts inside January: January and February touch it, March does not.
    period = Interval(utc(2024, 1, 20), utc(2024, 3, 1))

    async with uow_factory() as uow:
        found = await uow.progress.chunks_touching(LOAD, NL, period)
        assert await uow.progress.chunks_touching(LOAD, NL, Interval(NOW, NOW + LEASE)) == []
        assert await uow.progress.chunks_touching(PRICES, NL, period) == []

    def expected(chunks: list[ChunkProgress]) -> list[ChunkProgress]:
        return [c for c in chunks if c.chunk.area == NL and c.chunk.interval.start < period.end]

    assert found == expected(new) + expected(old)
    assert [c.chunk.interval.start.month for c in found] == [1, 2, 1, 2]


# -- claiming -------------------------------------------------------------------------------


async def test_claims_follow_plan_order_and_skip_jobs_not_running(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await add(uow_factory, "waiting", status=JobStatus.PENDING)
    first = await add(uow_factory, "first")
    second = await add(uow_factory, "second")

    claimed = [await claim(uow_factory, f"w{i}") for i in range(len(first) + len(second) + 1)]

    assert [c.id if c else None for c in claimed] == [c.id for c in first + second] + [None]
    one = claimed[0]
    assert one is not None
    assert one.status is ChunkStatus.IN_FLIGHT
    assert one.lease_owner == "w0"
    assert one.lease_expires_at == NOW + LEASE
    assert one.version == first[0].version + 1


async def test_claims_can_be_limited_to_a_job_and_to_areas(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await add(uow_factory, "first")
    second = await add(uow_factory, "second")

    only_second = await claim(uow_factory, "w", job_id="second")
    only_be = await claim(uow_factory, "w", job_id="second", areas={BE})

    assert only_second is not None
    assert only_second.id == second[0].id
    assert only_be is not None
    assert only_be.id == second[1].id
    assert only_be.chunk.area == BE
    assert await claim(uow_factory, "w", areas=set()) is None


async def test_a_live_lease_keeps_a_chunk_and_an_expired_one_frees_it(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        chunks = chunks_of("solo", areas=[NL], months=1)
        await uow.progress.add_job(job("solo"), chunks)
        await uow.commit()

    mine = await claim(uow_factory, "me")
    assert mine is not None
    assert await claim(uow_factory, "other", after=LEASE / 2) is None

    theirs = await claim(uow_factory, "other", after=LEASE)  # expired exactly now
    assert theirs is not None
    assert theirs.id == mine.id
    assert theirs.lease_owner == "other"
    assert theirs.lease_expires_at == NOW + 2 * LEASE

    late = mine.complete(points=10, requests=1, attempts=1, now=NOW + LEASE)
    with pytest.raises(LeaseLost, match="other"):
        await save(uow_factory, late)

    done = await save(uow_factory, theirs.complete(5, 1, 1, NOW + LEASE))
    async with uow_factory() as uow:
        assert await uow.progress.get_chunks("solo") == [done]


async def test_save_chunk_is_fenced_by_version(uow_factory: UnitOfWorkFactory) -> None:
    chunks = await add(uow_factory, "job-a")
    claimed = await claim(uow_factory, "me")
    assert claimed is not None

    renewed = await save(uow_factory, claimed.renew(NOW + timedelta(minutes=1), LEASE))
    assert renewed.version == claimed.version + 1
    with pytest.raises(LeaseLost):
        await save(uow_factory, claimed.complete(1, 1, 1, NOW))
    with pytest.raises(InvalidRequest):
        await save(uow_factory, attrs.evolve(chunks[1], id="no-such-chunk"))

    async with uow_factory() as uow:
        stored = await uow.progress.get_chunks("job-a")
    assert stored[0] == renewed
    assert stored[1:] == chunks[1:]


# -- counters -------------------------------------------------------------------------------


async def _play_a_run(factory: UnitOfWorkFactory) -> tuple[ChunkCounts, str | None]:
    await add(factory, "job-a")
    await add(factory, "job-b")
    first = await claim(factory, "w1", job_id="job-a")
    second = await claim(factory, "w2", job_id="job-a")
    third = await claim(factory, "w3", job_id="job-a")
    assert first
    assert second
    assert third
    await save(
        factory, first.complete(96, 1, 1, NOW + timedelta(minutes=1), kept=4, holes=2, unchanged=7)
    )
    await save(factory, second.fail("HTTP 400", 1, 1, NOW + timedelta(minutes=2)))
    failed_again = await claim(factory, "w4", job_id="job-a")
    assert failed_again
    await save(factory, failed_again.fail("HTTP 503", 3, 3, NOW + timedelta(minutes=3)))
    async with factory() as uow:
        counts = await uow.progress.counts("job-a", NOW + timedelta(minutes=1))
        error = await uow.progress.last_error("job-a")
    return counts, error


async def test_counts_and_last_error_agree_with_the_reference(
    uow_factory: UnitOfWorkFactory,
) -> None:
    counts, error = await _play_a_run(uow_factory)
    expected_counts, expected_error = await _play_a_run(MemoryUnitOfWorkFactory())

    assert counts == expected_counts
    assert error == expected_error == "HTTP 503"
    assert counts[ChunkStatus.DONE] == 1
    assert counts[ChunkStatus.FAILED] == 2
    assert counts[ChunkStatus.IN_FLIGHT] == 1
    assert counts.live_leases == 1
    assert counts.points_written == 96
    assert counts.points_kept == 4
    assert counts.points_unchanged == 7
    assert counts.holes == 2
    assert counts.requests == 5


async def test_counts_of_a_job_without_chunks_are_zero(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        await uow.progress.add_job(job("empty"), [])
        assert await uow.progress.counts("empty", NOW) == ChunkCounts.of([], NOW)
        assert await uow.progress.last_error("empty") is None


async def test_has_open_says_whether_any_chunk_is_still_to_run(
    uow_factory: UnitOfWorkFactory,
) -> None:
    planned = await add(uow_factory, "job-a")
    async with uow_factory() as uow:
        await uow.progress.add_job(job("empty"), [])
        assert not await uow.progress.has_open("empty")
        assert await uow.progress.has_open("job-a")

    # Pending, then in flight, is open; done, failed and cancelled are not.
    endings = ["done", "failed", "cancelled"]
    for number in range(len(planned)):
        claimed = await claim(uow_factory, f"w{number}")
        assert claimed is not None
        async with uow_factory() as uow:
            assert await uow.progress.has_open("job-a")
        ending = endings[number % len(endings)]
        if ending == "done":
            await save(uow_factory, claimed.complete(1, 1, 1, NOW))
        elif ending == "failed":
            await save(uow_factory, claimed.fail("HTTP 400", 1, 1, NOW))
        else:
            released = await save(uow_factory, claimed.release(NOW))
            await save(uow_factory, released.cancel(NOW))
    async with uow_factory() as uow:
        assert not await uow.progress.has_open("job-a")
        counts = await uow.progress.counts("job-a", NOW)
    assert counts.open == 0


async def test_cancel_waiting_cancels_pending_and_failed_chunks_and_leaves_the_rest(
    uow_factory: UnitOfWorkFactory,
) -> None:
    planned = await add(uow_factory, "job-a")
    await add(uow_factory, "job-b", at=NOW + timedelta(seconds=1))
    done = await claim(uow_factory, "w", job_id="job-a")
    failed = await claim(uow_factory, "w", job_id="job-a")
    flying = await claim(uow_factory, "w", job_id="job-a")
    assert done
    assert failed
    assert flying
    done = await save(uow_factory, done.complete(1, 1, 1, NOW))
    failed = await save(uow_factory, failed.fail("HTTP 400", 1, 1, NOW))
    later = NOW + timedelta(minutes=5)

    async with uow_factory() as uow:
        cancelled = await uow.progress.cancel_waiting("job-a", later)
        await uow.commit()

    async with uow_factory() as uow:
        after = {c.id: c for c in await uow.progress.get_chunks("job-a")}
        others = await uow.progress.get_chunks("job-b")
    assert cancelled == len(planned) - 2
    assert after[done.id] == done
    assert after[flying.id] == flying
    expected = [failed, *planned[3:]]
    assert [after[c.id] for c in expected] == [
        attrs.evolve(c.cancel(later), version=c.version + 1) for c in expected
    ]
    assert {c.status for c in others} == {ChunkStatus.PENDING}
    # Fenced like any save: a worker holding a cancelled chunk's old version loses it.
    with pytest.raises(LeaseLost):
        await save(uow_factory, planned[4].claim("late", NOW, LEASE))


async def test_retry_failed_puts_the_failed_chunks_back_to_pending_and_no_other(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await add(uow_factory, "job-a")
    done = await claim(uow_factory, "w", job_id="job-a")
    failed = await claim(uow_factory, "w", job_id="job-a")
    assert done
    assert failed
    done = await save(uow_factory, done.complete(1, 1, 1, NOW))
    failed = await save(uow_factory, failed.fail("HTTP 503", 3, 3, NOW))
    later = NOW + timedelta(minutes=5)
    async with uow_factory() as uow:
        before = await uow.progress.get_chunks("job-a")

    async with uow_factory() as uow:
        retried = await uow.progress.retry_failed("job-a", later)
        await uow.commit()

    async with uow_factory() as uow:
        after = await uow.progress.get_chunks("job-a")
    assert retried == 1
    assert after == [
        attrs.evolve(c.retry(later), version=c.version + 1) if c.id == failed.id else c
        for c in before
    ]


async def test_a_claim_skips_the_chunks_already_finished_ahead_of_it(
    uow_factory: UnitOfWorkFactory,
) -> None:
    # Chunks done at the front of the plan, and a second job behind: the claim still takes
    # the first open chunk of the first job, then moves on to the next job.
    planned = await add(uow_factory, "job-a")
    await add(uow_factory, "job-b", at=NOW + timedelta(seconds=1))
    for _ in planned[:-1]:
        claimed = await claim(uow_factory, "w", job_id="job-a")
        assert claimed is not None
        await save(uow_factory, claimed.complete(1, 1, 1, NOW))
    last = await claim(uow_factory, "w")
    after = await claim(uow_factory, "w")
    assert last is not None
    assert after is not None
    assert last.id == planned[-1].id
    assert after.job_id == "job-b"


# -- splitting ------------------------------------------------------------------------------


def _halves(chunk: ChunkProgress) -> list[Interval]:
    interval = chunk.chunk.interval
    middle = interval.start + timedelta(days=14)
    return [Interval(interval.start, middle), Interval(middle, interval.end)]


async def test_a_split_stores_the_parent_and_adds_its_children_last(
    uow_factory: UnitOfWorkFactory,
) -> None:
    planned = await add(uow_factory, "job-a")
    claimed = await claim(uow_factory, "me")
    assert claimed is not None

    parent = claimed.split("too long", 1, 1, NOW)
    children = split_children(parent, _halves(parent), NOW)
    async with uow_factory() as uow:
        stored = await uow.progress.split_chunk(parent, children)
        await uow.commit()

    assert stored == attrs.evolve(parent, version=parent.version + 1)
    assert [c.id for c in children] == [f"{claimed.id}.1", f"{claimed.id}.2"]
    assert all(c.parent_id == claimed.id for c in children)
    async with uow_factory() as uow:
        assert await uow.progress.get_chunks("job-a") == [stored, *planned[1:], *children]
        counts = await uow.progress.counts("job-a", NOW)
        assert await uow.progress.last_error("job-a") is None
    assert counts.split == 1
    assert counts.total == len(planned) - 1 + len(children)
    assert counts.requests == 1
    # The children are claimed after every chunk planned before them.
    order = [await claim(uow_factory, f"w{i}") for i in range(len(planned) + 1)]
    assert [c.id for c in order if c is not None] == [c.id for c in planned[1:] + children]


async def test_a_split_by_a_worker_that_lost_its_lease_adds_nothing(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await add(uow_factory, "job-a")
    mine = await claim(uow_factory, "me")
    assert mine is not None
    theirs = await claim(uow_factory, "other", after=LEASE)
    assert theirs is not None

    parent = mine.split("too long", 1, 1, NOW + LEASE)
    async with uow_factory() as uow:
        with pytest.raises(LeaseLost):
            await uow.progress.split_chunk(parent, split_children(parent, _halves(mine), NOW))

    async with uow_factory() as uow:
        stored = await uow.progress.get_chunks("job-a")
    assert [c.id for c in stored] == [c.id for c in chunks_of("job-a")]
    assert stored[0] == theirs


async def test_splits_in_two_jobs_number_each_jobs_positions_apart(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await add(uow_factory, "job-a")
    await add(uow_factory, "job-b")
    for job_id in ("job-a", "job-b", "job-a"):
        claimed = await claim(uow_factory, "me", job_id=job_id)
        assert claimed is not None
        parent = claimed.split("too long", 1, 1, NOW)
        async with uow_factory() as uow:
            await uow.progress.split_chunk(parent, split_children(parent, _halves(parent), NOW))
            await uow.commit()

    async with uow_factory() as uow:
        a_ids = [c.id for c in await uow.progress.get_chunks("job-a")]
        b_ids = [c.id for c in await uow.progress.get_chunks("job-b")]
    assert a_ids[-4:] == ["job-a-000000.1", "job-a-000000.2", "job-a-000001.1", "job-a-000001.2"]
    assert b_ids[-2:] == ["job-b-000000.1", "job-b-000000.2"]


async def test_a_job_without_a_span_cap_and_one_with_a_cap_read_back(
    uow_factory: UnitOfWorkFactory,
) -> None:
    capped = attrs.evolve(job("capped"), span=ChunkSpan.YEAR)
    async with uow_factory() as uow:
        await uow.progress.add_job(job("free"), [])
        await uow.progress.add_job(capped, [])
        await uow.commit()
    async with uow_factory() as uow:
        assert (await uow.progress.get_job("free")).span is None
        assert await uow.progress.get_job("capped") == capped
