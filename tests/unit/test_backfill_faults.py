"""What goes wrong in a run leaves no chunk in flight: unexpected errors fail their chunk, a lost
database connection is tried again, and a database out of reach for too long ends the run with
its chunks handed back."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import timedelta

import pytest

from adapters.fakes import (
    FakeClock,
    FlakyUnitOfWorkFactory,
    Moment,
    ScriptedMarketDataSource,
)
from adapters.memory import MemoryDatabase, MemoryRateLimiter, MemoryUnitOfWork
from entsoe_core.errors import StorageError, TransientStorageError
from entsoe_core.plan import Chunk
from entsoe_core.ports import SourceAnswer, UnitOfWorkFactory
from entsoe_core.progress import ChunkProgress, ChunkStatus, JobStatus
from entsoe_core.services.backfill import BackfillService, RunLimits
from entsoe_core.services.requests import BackfillRequest
from entsoe_core.services.retry import RetryPolicy
from entsoe_core.timeline import Interval, utc

FEBRUARY = utc(2023, 2, 1)
OUTAGE_SECONDS = 120.0
MAX_WAIT_SECONDS = 10.0


def three_months() -> BackfillRequest:
    return BackfillRequest.parse(["NL"], ["actual_total_load"], utc(2023, 1, 1), utc(2023, 4, 1))


class Crashing(ScriptedMarketDataSource):
    """Answers every chunk but February's, which raises ``error`` as a buggy parser would."""

    def __init__(self, clock: FakeClock, error: Exception) -> None:
        super().__init__(clock)
        self._error = error

    async def fetch(self, chunk: Chunk) -> SourceAnswer:
        if chunk.interval.start == FEBRUARY:
            self.requests.append(chunk)
            raise self._error
        return await super().fetch(chunk)


class FlakyBudget(MemoryRateLimiter):
    """A request budget kept in a database whose connection is lost on the first ``losses``."""

    def __init__(self, clock: FakeClock, losses: int) -> None:
        super().__init__(clock)
        self.losses = losses

    async def acquire(self) -> None:
        if self.losses:
            self.losses -= 1
            raise TransientStorageError(
                "could not take a request from the shared request budget: the database "
                "connection was lost (scripted)"
            )
        await super().acquire()


def service_on(
    uow: UnitOfWorkFactory,
    source: ScriptedMarketDataSource,
    clock: FakeClock,
    limiter: MemoryRateLimiter | None = None,
    max_requests_in_flight: int = 2,
) -> BackfillService:
    return BackfillService(
        uow,
        source,
        clock,
        limiter or MemoryRateLimiter(clock),
        retry=RetryPolicy(
            attempts=3,
            base_seconds=1,
            max_seconds=MAX_WAIT_SECONDS,
            storage_outage_seconds=OUTAGE_SECONDS,
        ),
        limits=RunLimits(max_requests_in_flight=max_requests_in_flight),
        rng=random.Random(7),
        owner="test-worker",
    )


async def chunks_of(uow: UnitOfWorkFactory, job_id: str) -> list[ChunkProgress]:
    async with uow() as unit:
        return await unit.progress.get_chunks(job_id)


async def stored_hours(uow: UnitOfWorkFactory) -> int:
    async with uow() as unit:
        rows = await unit.store.read(
            "actual_total_load",
            three_months().areas[0],
            Interval(utc(2023, 1, 1), utc(2023, 4, 1)),
        )
    return len(rows)


@pytest.mark.parametrize(
    ("error", "recorded"),
    [
        (
            OverflowError("date value out of range"),
            "unexpected error: OverflowError: date value out of range",
        ),
        (KeyError("mRID"), "unexpected error: KeyError: 'mRID'"),
        (
            StorageError("could not upsert observations: NOT NULL constraint failed"),
            "database error: could not upsert observations: NOT NULL constraint failed",
        ),
    ],
)
async def test_an_unexpected_error_fails_its_chunk_and_the_others_go_on(
    clock: FakeClock, error: Exception, recorded: str
) -> None:
    uow = FlakyUnitOfWorkFactory(lambda _: False)
    source = Crashing(clock, error)

    report = await service_on(uow, source, clock).start(three_months())

    chunks = await chunks_of(uow, report.job.id)
    by_start = {c.chunk.interval.start: c for c in chunks}
    assert by_start[FEBRUARY].status is ChunkStatus.FAILED
    assert by_start[FEBRUARY].last_error == recorded
    assert by_start[FEBRUARY].requests == 1
    assert by_start[FEBRUARY].lease_owner is None
    assert [c.status for c in chunks].count(ChunkStatus.DONE) == 2
    assert report.job.status is JobStatus.FAILED
    assert report.last_error == recorded
    assert report.running is False
    assert report.counts[ChunkStatus.IN_FLIGHT] == 0
    assert len(source.requests) == 3


@pytest.mark.parametrize("verbose", [False, True])
async def test_an_unexpected_error_is_one_log_line_with_its_traceback_only_when_verbose(
    clock: FakeClock, caplog: pytest.LogCaptureFixture, verbose: bool
) -> None:
    caplog.set_level(logging.INFO if verbose else logging.WARNING)
    uow = FlakyUnitOfWorkFactory(lambda _: False)

    await service_on(uow, Crashing(clock, OverflowError("x")), clock).start(three_months())

    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.getMessage().endswith("failed: unexpected error: OverflowError: x")
    assert bool(record.exc_info) is verbose


async def test_an_unexpected_error_is_retried_on_resume_like_any_failure(
    clock: FakeClock,
) -> None:
    uow = FlakyUnitOfWorkFactory(lambda _: False)
    failed = await service_on(uow, Crashing(clock, OverflowError("x")), clock).start(three_months())

    resumed = await service_on(uow, ScriptedMarketDataSource(clock), clock).resume(failed.job.id)

    assert resumed.job.status is JobStatus.COMPLETED
    assert resumed.last_error is None


LossPattern = Callable[[str, int, bool], bool]
"""stage, number of the unit of work since the run began, whether it writes a chunk's data"""


@pytest.mark.parametrize(
    "pattern",
    [
        pytest.param(lambda stage, n, data: stage == "commit" and data and n % 3 > 0, id="commit"),
        pytest.param(lambda stage, n, _: stage == "begin" and n in (1, 2, 4, 7, 8), id="begin"),
        pytest.param(lambda _, n, __: n in (3, 5, 6, 10, 14), id="any"),
    ],
)
async def test_a_lost_connection_is_tried_again_with_backoff_until_every_chunk_is_done(
    clock: FakeClock, pattern: LossPattern
) -> None:
    began_at: int | None = None

    def lose(moment: Moment) -> bool:
        if began_at is None:
            return False
        return pattern(moment.stage, moment.number - began_at, moment.writes_data)

    uow = FlakyUnitOfWorkFactory(lose)
    source = ScriptedMarketDataSource(clock)
    service = service_on(uow, source, clock)
    job = await service.create(three_months())
    began_at = uow.made
    started = clock.now()

    report = await service.run(job.id)

    assert uow.lost, "the pattern never lost a connection"
    assert report.job.status is JobStatus.COMPLETED
    assert report.counts[ChunkStatus.DONE] == 3
    assert report.last_error is None
    # Each chunk was fetched once and stored once: only the database step was tried again.
    assert len(source.requests) == 3
    hours = (utc(2023, 4, 1) - utc(2023, 1, 1)) // timedelta(hours=1)
    assert await stored_hours(uow) == 2 * hours
    # The waits went through the clock, within the policy's bounds.
    waits = [s for s in clock.slept if s > 0]
    assert len(waits) >= len(uow.lost)
    assert all(s <= MAX_WAIT_SECONDS for s in waits)
    assert clock.now() - started < timedelta(seconds=OUTAGE_SECONDS)


async def test_a_lost_request_budget_is_taken_again(clock: FakeClock) -> None:
    uow = FlakyUnitOfWorkFactory(lambda _: False)
    budget = FlakyBudget(clock, losses=3)

    report = await service_on(uow, ScriptedMarketDataSource(clock), clock, budget).start(
        three_months()
    )

    assert budget.losses == 0
    assert report.job.status is JobStatus.COMPLETED
    assert report.counts.requests == 3


async def test_a_source_that_loses_the_shared_budget_is_asked_again(clock: FakeClock) -> None:
    # The HTTP source takes from the budget itself to re-send; that can lose the database too.
    class LosingBudgetOnce(ScriptedMarketDataSource):
        lost = False

        async def fetch(self, chunk: Chunk) -> SourceAnswer:
            if chunk.interval.start == FEBRUARY and not self.lost:
                self.lost = True
                self.requests.append(chunk)
                raise TransientStorageError(
                    "could not take a request from the shared request budget: the database "
                    "connection was lost (scripted)"
                )
            return await super().fetch(chunk)

    uow = FlakyUnitOfWorkFactory(lambda _: False)
    source = LosingBudgetOnce(clock)
    report = await service_on(uow, source, clock).start(three_months())

    february = next(
        c for c in await chunks_of(uow, report.job.id) if c.chunk.interval.start == FEBRUARY
    )
    assert report.job.status is JobStatus.COMPLETED
    assert len(source.requests) == 4
    assert (february.requests, february.attempts) == (2, 1)


async def test_a_database_out_of_reach_too_long_ends_the_run_and_hands_the_chunks_back(
    clock: FakeClock,
) -> None:
    # Every chunk's commit loses its connection; claims and hand-backs get through.
    def lose(moment: Moment) -> bool:
        return moment.stage == "commit" and moment.writes_data

    uow = FlakyUnitOfWorkFactory(lose)
    service = service_on(uow, ScriptedMarketDataSource(clock), clock)
    job = await service.create(three_months())
    started = clock.now()

    with pytest.raises(TransientStorageError, match="connection was lost"):
        await service.run(job.id)

    given_up_after = clock.now() - started
    assert timedelta(seconds=OUTAGE_SECONDS) <= given_up_after
    assert given_up_after < timedelta(seconds=OUTAGE_SECONDS + 2 * MAX_WAIT_SECONDS)
    chunks = await chunks_of(uow, job.id)
    assert {c.status for c in chunks} == {ChunkStatus.PENDING}
    assert {c.lease_owner for c in chunks} == {None}
    report = await service.status(job.id)
    assert report.job.status is JobStatus.IN_PROGRESS
    assert report.running is False
    assert await stored_hours(uow) == 0


async def test_recording_an_unexpected_error_is_tried_again_when_the_connection_drops(
    clock: FakeClock,
) -> None:
    cut = False

    def lose(moment: Moment) -> bool:
        nonlocal cut
        if cut and moment.stage == "commit":
            cut = False
            return True
        return False

    class CrashThenCutOff(Crashing):
        async def fetch(self, chunk: Chunk) -> SourceAnswer:
            nonlocal cut
            cut = chunk.interval.start == FEBRUARY
            return await super().fetch(chunk)

    uow = FlakyUnitOfWorkFactory(lose)
    source = CrashThenCutOff(clock, RuntimeError("bug"))
    report = await service_on(uow, source, clock, max_requests_in_flight=1).start(three_months())

    february = next(
        c for c in await chunks_of(uow, report.job.id) if c.chunk.interval.start == FEBRUARY
    )
    assert len(uow.lost) == 1
    assert february.status is ChunkStatus.FAILED
    assert february.last_error == "unexpected error: RuntimeError: bug"
    assert report.job.status is JobStatus.FAILED
    assert report.running is False


async def test_a_chunk_whose_failure_the_database_refuses_is_handed_back(clock: FakeClock) -> None:
    database = MemoryDatabase()
    refusing = False

    class RefusingCommits(MemoryUnitOfWork):
        async def commit(self) -> None:
            nonlocal refusing
            if refusing:  # the failure's record, once
                refusing = False
                raise StorageError("could not commit: disk I/O error")
            await super().commit()

    class CrashThenRefuse(Crashing):
        async def fetch(self, chunk: Chunk) -> SourceAnswer:
            nonlocal refusing
            refusing = chunk.interval.start == FEBRUARY
            return await super().fetch(chunk)

    def uow(*, reading: bool = False) -> MemoryUnitOfWork:
        return RefusingCommits(database, reading=reading)

    source = CrashThenRefuse(clock, RuntimeError("bug"))
    service = service_on(uow, source, clock, max_requests_in_flight=1)
    job = await service.create(three_months())
    with pytest.raises(StorageError, match="disk I/O error"):
        await service.run(job.id)

    chunks = {c.chunk.interval.start: c for c in await chunks_of(uow, job.id)}
    assert chunks[FEBRUARY].status is ChunkStatus.PENDING
    assert chunks[FEBRUARY].lease_owner is None
    assert ChunkStatus.IN_FLIGHT not in {c.status for c in chunks.values()}
