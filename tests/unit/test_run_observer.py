"""The chunk runner tells its observer each request's outcome, bans, retries and chunk ends;
GapFillRounds makes each round's gap-fill job; freshness is read from the store."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from adapters.fakes import Failure, FakeClock, ScriptedMarketDataSource
from adapters.memory import MemoryRateLimiter, MemoryUnitOfWorkFactory
from entsoe_core.areas import AreaKey
from entsoe_core.observations import Point, Series, SeriesKey
from entsoe_core.observer import RequestOutcome
from entsoe_core.plan import Chunk
from entsoe_core.progress import ChunkProgress, ChunkStatus, JobKind, JobStatus
from entsoe_core.scheduling import ScheduledRound
from entsoe_core.services.backfill import BackfillService, RunLimits
from entsoe_core.services.freshness import FreshnessReports, FreshnessService, FreshnessState
from entsoe_core.services.gapfill import GapFillService
from entsoe_core.services.requests import BackfillRequest
from entsoe_core.services.retry import RetryPolicy
from entsoe_core.services.scheduler import GapFillRounds
from entsoe_core.timeline import utc

NL = AreaKey("10YNL----------L")


class Observed:
    """An observer that records what it was told."""

    def __init__(self) -> None:
        self.outcomes: list[RequestOutcome] = []
        self.bans: list[tuple[datetime, datetime]] = []
        self.retries: list[str] = []
        self.finished_chunks: list[tuple[ChunkStatus, float]] = []

    def requested(self, job_id: str, chunk: Chunk, outcome: RequestOutcome) -> None:
        self.outcomes.append(outcome)

    def banned(self, now: datetime, until: datetime) -> None:
        self.bans.append((now, until))

    def retrying(self, job_id: str, chunk: Chunk, reason: str) -> None:
        self.retries.append(reason)

    def finished(self, chunk: ChunkProgress, seconds: float) -> None:
        self.finished_chunks.append((chunk.status, seconds))


def service(
    uow: MemoryUnitOfWorkFactory,
    source: ScriptedMarketDataSource,
    clock: FakeClock,
    observer: Observed,
) -> BackfillService:
    return BackfillService(
        uow,
        source,
        clock,
        MemoryRateLimiter(clock),
        retry=RetryPolicy(attempts=3, base_seconds=1, max_seconds=10),
        limits=RunLimits(max_requests_in_flight=1),
        rng=random.Random(7),
        owner="test-worker",
        observer=observer,
    )


def one_month() -> BackfillRequest:
    return BackfillRequest.parse(["NL"], ["actual_total_load"], utc(2023, 1, 1), utc(2023, 2, 1))


async def test_every_request_and_chunk_end_is_observed(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    source = ScriptedMarketDataSource(
        clock,
        failures=[Failure("rate_limited", seconds=600), Failure("transient"), Failure("no_data")],
    )
    observer = Observed()

    report = await service(uow, source, clock, observer).start(one_month())

    assert report.job.status is JobStatus.COMPLETED
    assert observer.outcomes == [
        RequestOutcome.RATE_LIMITED,
        RequestOutcome.TRANSIENT,
        RequestOutcome.NO_DATA,
    ]
    [(banned_at, until)] = observer.bans
    assert until - banned_at == timedelta(seconds=600)
    assert observer.retries == ["scripted transient failure (503)"]
    [(status, seconds)] = observer.finished_chunks
    assert status is ChunkStatus.DONE
    assert seconds >= 600  # the ban was waited out within the chunk


async def test_refusals_and_answers_are_told_apart(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    observer = Observed()
    refused = ScriptedMarketDataSource(clock, failures=[Failure("permanent")])
    await service(uow, refused, clock, observer).start(one_month())
    answered = ScriptedMarketDataSource(clock)
    await service(MemoryUnitOfWorkFactory(), answered, clock, observer).start(one_month())

    assert observer.outcomes == [RequestOutcome.REFUSED, RequestOutcome.OK]
    assert [status for status, _ in observer.finished_chunks] == [
        ChunkStatus.FAILED,
        ChunkStatus.DONE,
    ]


def gap_fill(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock, backfill: BackfillService
) -> GapFillService:
    return GapFillService(
        backfill,
        uow,
        clock,
        areas=("NL",),
        datasets=("actual_total_load", "day_ahead_prices"),
        history_years=1,
    )


async def test_a_round_creates_its_datasets_job_once(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    backfill = service(uow, ScriptedMarketDataSource(clock), clock, Observed())
    rounds = GapFillRounds(gap_fill(uow, clock, backfill), backfill, uow)
    scheduled = ScheduledRound("day_ahead_prices", clock.now())

    first = await rounds(scheduled)
    again = await rounds(scheduled)

    assert first.job_id is not None
    job = (await backfill.status(first.job_id)).job
    assert (job.kind, job.status, job.datasets) == (
        JobKind.GAP_FILL,
        JobStatus.IN_PROGRESS,
        ("day_ahead_prices",),
    )
    # The first job is unfinished: the next round leaves it to finish.
    assert again.job_id == first.job_id
    assert "still filling" in again.note
    await backfill.work()
    assert (await rounds(scheduled)).job_id != first.job_id


async def test_freshness_is_the_horizon_minus_the_newest_instant_stored(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    published = clock.now() - timedelta(hours=5)
    source = ScriptedMarketDataSource(clock, published_until=published)
    backfill = service(uow, source, clock, Observed())
    filler = gap_fill(uow, clock, backfill)
    reports = FreshnessReports(uow, clock, filler, FreshnessService(uow, clock))

    empty = await reports.snapshot()
    assert [(f.newest, f.lag) for f in empty.freshness] == [(None, None), (None, None)]
    assert empty.last_fetch is None
    assert await reports.last_fetch() is None

    await filler.run()
    snapshot = await reports.snapshot()

    by_dataset = {f.dataset: f for f in snapshot.freshness}
    load = by_dataset["actual_total_load"]
    # Hourly points: the newest one starts an hour before what is published.
    assert load.newest == published - timedelta(hours=1)
    assert load.lag == clock.now() - load.newest
    prices = by_dataset["day_ahead_prices"]
    assert prices.lag == prices.horizon - (published - timedelta(hours=1))
    assert snapshot.last_fetch == clock.now()
    assert await reports.last_fetch() == clock.now()
    assert snapshot.jobs[JobStatus.COMPLETED] == 1


async def test_freshness_reads_the_true_lag_of_data_that_stopped_long_ago(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    source = ScriptedMarketDataSource(clock)
    filler = gap_fill(uow, clock, service(uow, source, clock, Observed()))
    last = clock.now() - timedelta(days=400)
    key = SeriesKey("A65", "A16", "A01", out_domain=NL.code, resolution="PT60M")
    async with uow() as unit:
        await unit.store.upsert("actual_total_load", NL, [Series(key, (Point(last, 1.0),))])
        await unit.commit()

    snapshot = await FreshnessReports(uow, clock, filler, FreshnessService(uow, clock)).snapshot()

    load = {f.dataset: f for f in snapshot.freshness}["actual_total_load"]
    assert load.newest == last
    assert load.lag == clock.now() - last
    assert load.state is FreshnessState.BEHIND
