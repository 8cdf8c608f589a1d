"""The progress state machine: no illegal transition is accepted, counters follow the chunks."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from adapters.memory import MemoryUnitOfWorkFactory
from entsoe_core.areas import AreaKey
from entsoe_core.errors import IllegalTransition, LeaseLost
from entsoe_core.plan import Chunk
from entsoe_core.progress import (
    CHUNK_TRANSITIONS,
    JOB_TRANSITIONS,
    BackfillJob,
    ChunkCounts,
    ChunkProgress,
    ChunkStatus,
    JobStatus,
    split_children,
)
from entsoe_core.services.splitting import halve
from entsoe_core.timeline import Interval, utc

T = TypeVar("T")
LEASE = timedelta(minutes=2)
N_CHUNKS = 4
MAX_CHUNKS = 24


def make_job() -> tuple[BackfillJob, list[ChunkProgress]]:
    job = BackfillJob(
        "job1",
        utc(2024, 1, 1),
        Interval(utc(2023, 1, 1), utc(2023, 5, 1)),
        ("actual_total_load",),
        ("NL",),
    )
    chunks = [
        ChunkProgress(
            f"c{i}",
            job.id,
            Chunk(
                "actual_total_load",
                AreaKey("NL"),
                Interval(utc(2023, i + 1, 1), utc(2023, i + 2, 1)),
            ),
        )
        for i in range(N_CHUNKS)
    ]
    return job, chunks


class ProgressMachine(RuleBasedStateMachine):
    """Drives the in-memory progress port with random operations, legal or not."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.uow = MemoryUnitOfWorkFactory()
        self.now = utc(2024, 1, 1)
        job, chunks = make_job()
        self.run(self._add(job, chunks))
        self.model: dict[str, ChunkStatus] = {c.id: ChunkStatus.PENDING for c in chunks}
        self.job_status = JobStatus.PENDING
        self.points = 0
        self.requests = 0

    def teardown(self) -> None:
        self.loop.close()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    async def _add(self, job: BackfillJob, chunks: list[ChunkProgress]) -> None:
        async with self.uow() as uow:
            await uow.progress.add_job(job, chunks)
            await uow.commit()

    async def _chunk(self, chunk_id: str) -> ChunkProgress:
        async with self.uow() as uow:
            return next(c for c in await uow.progress.get_chunks("job1") if c.id == chunk_id)

    async def _save(self, chunk: ChunkProgress) -> None:
        async with self.uow() as uow:
            await uow.progress.save_chunk(chunk)
            job = await uow.progress.get_job("job1")
            settled = job.settle(await uow.progress.counts("job1", self.now), self.now)
            if settled is not job:
                await uow.progress.save_job(settled)
            await uow.commit()

    async def _save_job(self, job: BackfillJob) -> None:
        async with self.uow() as uow:
            saved = await uow.progress.save_job(job)
            settled = saved.settle(await uow.progress.counts("job1", self.now), self.now)
            if settled is not saved:
                await uow.progress.save_job(settled)
            await uow.commit()

    def apply(
        self,
        chunk_id: str,
        target: ChunkStatus,
        change: Callable[[ChunkProgress], ChunkProgress],
    ) -> None:
        chunk = self.run(self._chunk(chunk_id))
        if target not in CHUNK_TRANSITIONS[chunk.status]:
            with pytest.raises(IllegalTransition):
                change(chunk)
            return
        self.run(self._save(change(chunk)))
        self.model[chunk_id] = target

    # Splits add chunks as the machine runs: a rule picks one of those there are by index.
    chunk_ids = st.integers(0, 10 * MAX_CHUNKS)

    def pick(self, index: int) -> str:
        ids = list(self.model)
        return ids[index % len(ids)]

    @rule()
    def start_job(self) -> None:
        stored = self.run(self._get_job())
        if JobStatus.IN_PROGRESS not in JOB_TRANSITIONS[stored.status]:
            with pytest.raises(IllegalTransition):
                stored.to(JobStatus.IN_PROGRESS, self.now)
            return
        self.run(self._save_job(stored.to(JobStatus.IN_PROGRESS, self.now)))
        self.job_status = JobStatus.IN_PROGRESS

    async def _get_job(self) -> BackfillJob:
        async with self.uow() as uow:
            return await uow.progress.get_job("job1")

    @rule(index=chunk_ids)
    def claim(self, index: int) -> None:
        self.apply(
            self.pick(index), ChunkStatus.IN_FLIGHT, lambda c: c.claim("me", self.now, LEASE)
        )

    @rule(index=chunk_ids, points=st.integers(0, 1000))
    def complete(self, index: int, points: int) -> None:
        chunk_id = self.pick(index)
        before = self.model[chunk_id]
        self.apply(chunk_id, ChunkStatus.DONE, lambda c: c.complete(points, 1, 1, self.now))
        if before is not self.model[chunk_id]:
            self.points += points
            self.requests += 1

    @rule(index=chunk_ids)
    def fail(self, index: int) -> None:
        chunk_id = self.pick(index)
        before = self.model[chunk_id]
        self.apply(chunk_id, ChunkStatus.FAILED, lambda c: c.fail("boom", 1, 1, self.now))
        if before is not self.model[chunk_id]:
            self.requests += 1

    @rule(index=chunk_ids)
    def retry(self, index: int) -> None:
        chunk_id = self.pick(index)
        chunk = self.run(self._chunk(chunk_id))
        if chunk.status is not ChunkStatus.FAILED:
            with pytest.raises(IllegalTransition):
                chunk.retry(self.now)
            return
        self.apply(chunk_id, ChunkStatus.PENDING, lambda c: c.retry(self.now))

    @rule(index=chunk_ids)
    def cancel(self, index: int) -> None:
        self.apply(self.pick(index), ChunkStatus.CANCELLED, lambda c: c.cancel(self.now))

    @rule(index=chunk_ids)
    def expire(self, index: int) -> None:
        chunk_id = self.pick(index)
        chunk = self.run(self._chunk(chunk_id))
        if chunk.lease_live(self.now):
            with pytest.raises(IllegalTransition):
                chunk.expire(self.now)
            return
        self.apply(chunk_id, ChunkStatus.PENDING, lambda c: c.expire(self.now))

    @precondition(lambda self: len(self.model) < MAX_CHUNKS)
    @rule(index=chunk_ids, requests=st.integers(0, 3))
    def split(self, index: int, requests: int) -> None:
        chunk = self.run(self._chunk(self.pick(index)))
        pieces = halve(chunk.chunk.interval)
        if ChunkStatus.SPLIT not in CHUNK_TRANSITIONS[chunk.status]:
            with pytest.raises(IllegalTransition):
                chunk.split("too long", requests, requests, self.now)
            return
        if pieces is None:
            return
        parent = chunk.split("too long", requests, requests, self.now)
        children = split_children(parent, pieces, self.now)
        self.run(self._split(parent, children))
        self.model[parent.id] = ChunkStatus.SPLIT
        self.model.update(dict.fromkeys((c.id for c in children), ChunkStatus.PENDING))
        self.requests += requests

    async def _split(self, parent: ChunkProgress, children: list[ChunkProgress]) -> None:
        async with self.uow() as uow:
            await uow.progress.split_chunk(parent, children)
            job = await uow.progress.get_job("job1")
            settled = job.settle(await uow.progress.counts("job1", self.now), self.now)
            if settled is not job:
                await uow.progress.save_job(settled)
            await uow.commit()

    @rule(minutes=st.integers(0, 5))
    def tick(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @precondition(lambda self: any(s is ChunkStatus.IN_FLIGHT for s in self.model.values()))
    @rule(index=chunk_ids)
    def stale_write_is_fenced(self, index: int) -> None:
        chunk = self.run(self._chunk(self.pick(index)))
        stale = chunk
        if chunk.status is not ChunkStatus.IN_FLIGHT:
            return
        renewed = chunk.renew(self.now, LEASE)
        self.run(self._save(renewed))
        with pytest.raises(LeaseLost):
            self.run(self._save(stale.renew(self.now, LEASE)))

    @invariant()
    def counters_agree_with_chunks(self) -> None:
        counts: ChunkCounts = self.run(self._counts())
        for status in ChunkStatus:
            assert counts[status] == sum(1 for s in self.model.values() if s is status)
        assert counts.points_written == self.points
        assert counts.requests == self.requests
        assert counts.split == sum(1 for s in self.model.values() if s is ChunkStatus.SPLIT)
        assert counts.total == len(self.model) - counts.split

    async def _counts(self) -> ChunkCounts:
        async with self.uow() as uow:
            return await uow.progress.counts("job1", self.now)

    @invariant()
    def job_status_follows_chunks(self) -> None:
        job = self.run(self._get_job())
        open_chunks = sum(
            1 for s in self.model.values() if s in (ChunkStatus.PENDING, ChunkStatus.IN_FLIGHT)
        )
        if job.status is JobStatus.IN_PROGRESS:
            assert open_chunks > 0, "a job is in progress with no chunk left to run"
        if job.status is JobStatus.COMPLETED:
            finished = (ChunkStatus.DONE, ChunkStatus.CANCELLED, ChunkStatus.SPLIT)
            assert all(s in finished for s in self.model.values())

    @invariant()
    def every_split_is_covered_by_its_children(self) -> None:
        chunks = {c.id: c for c in self.run(self._all_chunks())}
        for chunk in chunks.values():
            if chunk.status is not ChunkStatus.SPLIT:
                continue
            children = [c for c in chunks.values() if c.parent_id == chunk.id]
            assert Interval(children[0].chunk.interval.start, children[-1].chunk.interval.end) == (
                chunk.chunk.interval
            )
            assert all(
                a.chunk.interval.end == b.chunk.interval.start
                for a, b in itertools.pairwise(children)
            )

    async def _all_chunks(self) -> list[ChunkProgress]:
        async with self.uow() as uow:
            return await uow.progress.get_chunks("job1")


TestProgressMachine = ProgressMachine.TestCase
