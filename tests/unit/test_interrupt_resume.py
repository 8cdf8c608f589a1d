"""Interrupt anywhere, resume: the store ends identical to an uninterrupted run."""

from __future__ import annotations

import asyncio
import random
from collections import deque
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from adapters.fakes import Failure, FakeClock, ScriptedMarketDataSource
from adapters.memory import MemoryRateLimiter, MemoryUnitOfWorkFactory
from entsoe_core.plan import Chunk, ChunkSpan
from entsoe_core.ports import SourceAnswer
from entsoe_core.progress import ChunkStatus, JobStatus
from entsoe_core.services.backfill import BackfillService, RunLimits
from entsoe_core.services.requests import BackfillRequest
from entsoe_core.services.retry import RetryPolicy
from entsoe_core.timeline import Interval, utc

LEASE = timedelta(minutes=2)
REQUEST = BackfillRequest.parse(
    ["NL", "FR"],
    ["actual_total_load", "day_ahead_prices"],
    utc(2023, 1, 1),
    utc(2023, 1, 4),
    span=ChunkSpan.DAY,
)
EVENTS = ["ok", "transient", "permanent", "rate_limited", "crash", "interrupt"]


class Crash(BaseException):
    """The process dies: nothing after this point runs in it."""


class Disrupted(ScriptedMarketDataSource):
    """Answers like the scripted source, but follows a script of disruptions first."""

    def __init__(self, clock: FakeClock, events: deque[str]) -> None:
        super().__init__(clock)
        self.events = events

    async def fetch(self, chunk: Chunk) -> SourceAnswer:
        event = self.events.popleft() if self.events else "ok"
        if event == "crash":
            raise Crash
        if event == "interrupt":
            raise asyncio.CancelledError
        if event != "ok":
            Failure(event, seconds=30).raise_or_answer(self._clock.now())
        return await super().fetch(chunk)


def new_service(
    uow: MemoryUnitOfWorkFactory, source: ScriptedMarketDataSource, clock: FakeClock, seed: int
) -> BackfillService:
    return BackfillService(
        uow,
        source,
        clock,
        MemoryRateLimiter(clock),
        retry=RetryPolicy(attempts=2, base_seconds=1, max_seconds=5),
        limits=RunLimits(max_requests_in_flight=3, lease=LEASE),
        rng=random.Random(seed),
    )


async def snapshot(uow: MemoryUnitOfWorkFactory) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    async with uow() as unit:
        for dataset, area in REQUEST.targets():
            for o in await unit.store.read(
                dataset, area, Interval(utc(2022, 1, 1), utc(2024, 1, 1))
            ):
                rows.append((dataset, str(area), o.key, o.timestamp, o.value, o.revision))
    return rows


async def uninterrupted() -> list[tuple[object, ...]]:
    clock = FakeClock(utc(2024, 6, 1))
    uow = MemoryUnitOfWorkFactory()
    report = await new_service(uow, ScriptedMarketDataSource(clock), clock, 0).start(REQUEST)
    assert report.job.status is JobStatus.COMPLETED
    return await snapshot(uow)


EXPECTED = asyncio.run(uninterrupted())


@given(events=st.lists(st.sampled_from(EVENTS), max_size=40), seed=st.integers(0, 1000))
def test_resuming_until_done_equals_an_uninterrupted_run(events: list[str], seed: int) -> None:
    async def main() -> None:
        clock = FakeClock(utc(2024, 6, 1))
        uow = MemoryUnitOfWorkFactory()
        script = deque(events)
        job = await new_service(uow, Disrupted(clock, script), clock, seed).create(REQUEST)
        for attempt in range(len(events) + 3):
            # Each round is a new process: a new service, a new owner, nobody's leases live.
            service = new_service(uow, Disrupted(clock, script), clock, seed + attempt)
            try:
                report = await service.resume(job.id)
            except (Crash, asyncio.CancelledError):
                clock.advance(LEASE.total_seconds() + 1)
                continue
            if report.job.status is JobStatus.COMPLETED:
                break
            clock.advance(LEASE.total_seconds() + 1)
        final = await new_service(uow, ScriptedMarketDataSource(clock), clock, 0).status(job.id)
        assert final.job.status is JobStatus.COMPLETED
        assert final.counts[ChunkStatus.DONE] == final.counts.total == 12
        rows = await snapshot(uow)
        assert len(rows) == len(set(rows)), "duplicates in the store"
        assert rows == EXPECTED

    asyncio.run(main())
