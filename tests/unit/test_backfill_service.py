"""BackfillService on in-memory adapters and a scripted source."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from adapters.fakes import Failure, FakeClock, ScriptedMarketDataSource
from adapters.memory import MemoryDatabase, MemoryUnitOfWork, MemoryUnitOfWorkFactory
from entsoe_core.areas import AreaKey
from entsoe_core.errors import IllegalTransition, InvalidRequest, NothingToFetch, UnknownJob
from entsoe_core.observations import Point, Series, SeriesKey
from entsoe_core.plan import Chunk, ChunkSpan
from entsoe_core.ports import SourceAnswer
from entsoe_core.progress import ChunkStatus, JobStatus
from entsoe_core.services.backfill import BackfillService
from entsoe_core.services.requests import EARLIEST, LATEST, BackfillRequest
from entsoe_core.timeline import Interval, utc
from tests.unit.conftest import make_service

NL = AreaKey("10YNL----------L")


def request(areas: tuple[str, ...] = ("NL",), months: int = 3) -> BackfillRequest:
    return BackfillRequest.parse(
        areas, ["actual_total_load"], utc(2023, 1, 1), utc(2023, 1 + months, 1)
    )


async def stored_points(uow: MemoryUnitOfWorkFactory, area: AreaKey = NL) -> int:
    async with uow() as unit:
        rows = await unit.store.read(
            "actual_total_load", area, Interval(utc(2015, 1, 1), utc(2030, 1, 1))
        )
    return len(rows)


async def test_a_backfill_stores_every_chunk_and_completes(
    service: BackfillService, uow: MemoryUnitOfWorkFactory, source: ScriptedMarketDataSource
) -> None:
    report = await service.start(request())
    assert report.job.status is JobStatus.COMPLETED
    assert report.counts[ChunkStatus.DONE] == 3
    assert report.counts.requests == len(source.requests) == 3
    hours = (utc(2023, 4, 1) - utc(2023, 1, 1)) // timedelta(hours=1)
    assert report.counts.points_written == 2 * hours
    assert await stored_points(uow) == 2 * hours


async def test_values_of_a_newer_stored_version_are_kept_and_counted(
    service: BackfillService, uow: MemoryUnitOfWorkFactory
) -> None:
    # A correction of January's first day is stored at revision 2; the source answers with 1.
    key = SeriesKey("A65", "A16", "A01", out_domain=NL.code, resolution="PT60M")
    day = tuple(Point(utc(2023, 1, 1) + timedelta(hours=h), -1.0) for h in range(24))
    async with uow() as unit:
        await unit.store.upsert("actual_total_load", NL, [Series(key, day, revision=2)])
        await unit.commit()

    report = await service.start(request(months=1))

    hours = 31 * 24
    assert report.counts.points_kept == 24
    assert report.counts.points_written == 2 * hours - 24
    async with uow() as unit:
        kept = await unit.store.read("actual_total_load", NL, Interval(day[0][0], utc(2023, 1, 2)))
    assert [(o.value, o.revision) for o in kept if o.key == key] == [(-1.0, 2)] * 24


async def test_transient_errors_are_retried_with_backoff(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    source = ScriptedMarketDataSource(clock, failures=[Failure("transient")] * 2)
    report = await make_service(uow, source, clock).start(request(months=1))
    assert report.job.status is JobStatus.COMPLETED
    assert report.counts.requests == 3
    assert len([s for s in clock.slept if 0 < s <= 2]) >= 1  # full jitter: [0, base * 2^n]


async def test_a_chunk_fails_after_its_attempts_with_its_reason(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    source = ScriptedMarketDataSource(clock, failures=[Failure("transient")] * 3)
    report = await make_service(uow, source, clock).start(request(months=1))
    assert report.job.status is JobStatus.FAILED
    assert report.last_error is not None
    assert "gave up after 3 attempts" in report.last_error
    assert await stored_points(uow) == 0


async def test_permanent_errors_fail_at_once(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    source = ScriptedMarketDataSource(clock, failures=[Failure("permanent")])
    report = await make_service(uow, source, clock).start(request(months=1))
    assert report.job.status is JobStatus.FAILED
    assert report.counts.requests == 1
    assert report.last_error == "scripted permanent failure (400)"


async def test_rate_limit_pauses_all_fetching_until_the_ban_ends(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    sent_at = []

    class Recording(ScriptedMarketDataSource):
        async def fetch(self, chunk: Chunk) -> SourceAnswer:
            sent_at.append(clock.now())
            return await super().fetch(chunk)

    source = Recording(clock, failures=[Failure("rate_limited", seconds=600)])
    start = clock.now()
    report = await make_service(uow, source, clock, max_requests_in_flight=3).start(
        request(areas=("NL", "FR", "BE"), months=2)
    )
    assert report.job.status is JobStatus.COMPLETED
    first_ban_end = start + timedelta(seconds=600)
    # The first answer is a 429; nothing else is sent until the ban ends.
    assert sent_at[0] == start
    assert len(sent_at) == 7
    assert all(t >= first_ban_end for t in sent_at[1:])
    assert report.counts[ChunkStatus.DONE] == 6


async def test_no_data_is_recorded_as_coverage_not_failure(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock, service: BackfillService
) -> None:
    source = ScriptedMarketDataSource(clock, failures=[Failure("no_data")])
    report = await make_service(uow, source, clock).start(request(months=1))
    assert report.job.status is JobStatus.COMPLETED
    async with uow() as unit:
        coverage = await unit.store.coverage(
            "actual_total_load", NL, Interval(utc(2023, 1, 1), utc(2023, 2, 1))
        )
    assert [e.outcome.value for e in coverage.entries] == ["no_data"]


async def test_resume_runs_failed_chunks_again(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    source = ScriptedMarketDataSource(clock, failures=[Failure("permanent")])
    service = make_service(uow, source, clock)
    failed = await service.start(request(months=2))
    assert failed.job.status is JobStatus.FAILED
    resumed = await service.resume(failed.job.id)
    assert resumed.job.status is JobStatus.COMPLETED
    assert resumed.counts[ChunkStatus.DONE] == 2
    assert resumed.last_error is None


async def test_cancel_stops_pending_chunks_and_refuses_resume(
    service: BackfillService, uow: MemoryUnitOfWorkFactory
) -> None:
    job = await service.create(request(months=3))
    report = await service.cancel(job.id)
    assert report.job.status is JobStatus.CANCELLED
    assert report.counts[ChunkStatus.CANCELLED] == 3
    with pytest.raises(IllegalTransition, match="cancelled"):
        await service.resume(job.id)
    assert await stored_points(uow) == 0


async def test_a_second_backfill_plans_only_what_is_missing(
    service: BackfillService, source: ScriptedMarketDataSource
) -> None:
    await service.start(request(months=2))
    before = len(source.requests)
    wider = await service.start(request(months=4))
    assert len(source.requests) - before == 2
    assert wider.counts.total == 2


async def test_concurrency_stays_within_requests_in_flight_and_areas(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    in_flight: list[Chunk] = []
    peak_requests = peak_areas = 0

    class Slow(ScriptedMarketDataSource):
        async def fetch(self, chunk: Chunk) -> SourceAnswer:
            nonlocal peak_requests, peak_areas
            in_flight.append(chunk)
            peak_requests = max(peak_requests, len(in_flight))
            peak_areas = max(peak_areas, len({c.area for c in in_flight}))
            for _ in range(3):
                await asyncio.sleep(0)
            in_flight.remove(chunk)
            return await super().fetch(chunk)

    service = make_service(
        uow, Slow(clock), clock, max_requests_in_flight=4, max_concurrent_areas=2
    )
    report = await service.start(request(areas=("NL", "FR", "BE", "AT"), months=3))
    assert report.job.status is JobStatus.COMPLETED
    assert peak_requests == 4
    assert peak_areas == 2


async def test_status_reports_counters_elapsed_and_eta(
    service: BackfillService, clock: FakeClock
) -> None:
    done = await service.start(request(months=2))
    status = await service.status(done.job.id)
    assert {s: status.counts[s] for s in ChunkStatus} == {
        ChunkStatus.PENDING: 0,
        ChunkStatus.IN_FLIGHT: 0,
        ChunkStatus.DONE: 2,
        ChunkStatus.FAILED: 0,
        ChunkStatus.CANCELLED: 0,
        ChunkStatus.SPLIT: 0,
    }
    assert status.elapsed is not None
    assert status.eta is None
    with pytest.raises(UnknownJob, match="nope"):
        await service.status("nope")


async def test_list_resumable_finds_interrupted_and_failed_jobs(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    service = make_service(uow, ScriptedMarketDataSource(clock), clock)
    created = await service.create(request(months=1))
    await service.activate(created.id)
    resumable = {r.job.id for r in await service.reports.list_resumable()}
    assert created.id in resumable
    assert {r.job.id for r in await service.reports.list_active()} == {created.id}


def test_requests_refuse_bad_input() -> None:
    with pytest.raises(InvalidRequest, match="unknown area 'XX'"):
        BackfillRequest.parse(["XX"], ["actual_total_load"], utc(2023, 1, 1), utc(2023, 2, 1))
    with pytest.raises(InvalidRequest, match="did you mean actual_total_load"):
        BackfillRequest.parse(["NL"], ["actual_total_lod"], utc(2023, 1, 1), utc(2023, 2, 1))
    with pytest.raises(InvalidRequest, match="must be after its start"):
        BackfillRequest.parse(["NL"], ["actual_total_load"], utc(2023, 2, 1), utc(2023, 1, 1))
    with pytest.raises(InvalidRequest, match=r"DE_LU .* exists from 2018-10-01"):
        BackfillRequest.parse(["DE_LU"], ["day_ahead_prices"], utc(2018, 1, 1), utc(2018, 11, 1))
    with pytest.raises(InvalidRequest, match="FROM>TO"):
        BackfillRequest.parse(
            ["NL"], ["cross_border_physical_flows"], utc(2023, 1, 1), utc(2023, 2, 1)
        )
    with pytest.raises(InvalidRequest, match="longer than the configured maximum of 2"):
        BackfillRequest.parse(
            ["NL"], ["actual_total_load"], utc(2020, 1, 1), utc(2023, 1, 1), max_years=2
        )
    with pytest.raises(InvalidRequest, match="published from"):
        BackfillRequest.parse(["NL"], ["actual_total_load"], utc(2014, 6, 1), utc(2015, 1, 1))


@pytest.mark.parametrize(
    ("start", "end", "named"),
    [
        (utc(2010, 1, 1), utc(2011, 1, 1), "start 2010-01-01T00:00:00+00:00"),
        (utc(2013, 12, 31, 23), utc(2014, 2, 1), "start 2013-12-31T23:00:00+00:00"),
        (utc(2099, 12, 1), utc(2100, 1, 1, 1), "end 2100-01-01T01:00:00+00:00"),
        (utc(9999, 12, 30), utc(9999, 12, 31), "start 9999-12-30T00:00:00+00:00"),
    ],
)
def test_a_period_outside_the_sane_range_is_refused_naming_the_value_and_the_range(
    start: datetime, end: datetime, named: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        BackfillRequest.parse(["NL"], ["actual_total_load"], start, end, max_years=100)

    assert named in str(refused.value)
    assert "2014-01-01 to 2100-01-01" in str(refused.value)


def test_the_edges_of_the_sane_range_pass_the_range_check() -> None:
    last = BackfillRequest.parse(
        ["NL"], ["day_ahead_prices"], utc(2099, 12, 1), LATEST, max_years=100
    )
    # No dataset is published from the first day of the range: the catalogue refuses it next.
    with pytest.raises(InvalidRequest, match="published from"):
        BackfillRequest.parse(["NL"], ["day_ahead_prices"], EARLIEST, utc(2014, 2, 1))

    assert last.period.end == LATEST


def test_borders_take_both_directions_as_separate_keys() -> None:
    there = BackfillRequest.parse(
        ["NL>DE_LU", "DE_LU>NL"],
        ["cross_border_physical_flows"],
        utc(2023, 1, 1),
        utc(2023, 2, 1),
        span=ChunkSpan.MONTH,
    )
    assert [str(a) for a in there.areas] == [
        "10YNL----------L>10Y1001A1001A82H",
        "10Y1001A1001A82H>10YNL----------L",
    ]


async def test_a_run_cancelled_while_claiming_hands_the_chunk_back(
    clock: FakeClock, source: ScriptedMarketDataSource
) -> None:
    database = MemoryDatabase()
    reached, gate = asyncio.Event(), asyncio.Event()
    armed = False

    class GatedCommits(MemoryUnitOfWork):
        async def commit(self) -> None:
            await super().commit()
            if armed:  # committed, but the caller has not heard back yet
                reached.set()
                await gate.wait()

    def factory(*, reading: bool = False) -> MemoryUnitOfWork:
        return GatedCommits(database, reading=reading)

    service = make_service(factory, source, clock, max_requests_in_flight=1)
    job = await service.create(request(months=1))
    await service.activate(job.id)
    armed = True
    worker = asyncio.create_task(service.work())
    await reached.wait()  # the claim has committed
    worker.cancel()
    armed = False
    gate.set()
    with pytest.raises(asyncio.CancelledError):
        await worker
    async with factory() as uow:
        chunks = await uow.progress.get_chunks(job.id)
    assert [c.status for c in chunks] == [ChunkStatus.PENDING]
    assert source.requests == []


async def test_a_chunk_handed_back_after_its_answer_keeps_its_request_counted(
    clock: FakeClock, source: ScriptedMarketDataSource
) -> None:
    database = MemoryDatabase()
    reached, gate = asyncio.Event(), asyncio.Event()

    class GatedCommits(MemoryUnitOfWork):
        async def commit(self) -> None:
            if source.requests and not gate.is_set():  # the answer's commit, held
                reached.set()
                await gate.wait()
            await super().commit()

    def factory(*, reading: bool = False) -> MemoryUnitOfWork:
        return GatedCommits(database, reading=reading)

    service = make_service(factory, source, clock, max_requests_in_flight=1)
    job = await service.create(request(months=1))
    await service.activate(job.id)
    worker = asyncio.create_task(service.work())
    await reached.wait()  # answered, not yet stored
    worker.cancel()
    gate.set()
    with pytest.raises(asyncio.CancelledError):
        await worker
    async with factory() as uow:
        chunks = await uow.progress.get_chunks(job.id)
    assert [(c.status, c.requests) for c in chunks] == [(ChunkStatus.PENDING, 1)]
    assert await stored_points(MemoryUnitOfWorkFactory(database)) == 0
    assert len(source.requests) == 1


async def test_a_plan_up_to_now_fetches_the_days_that_may_still_change_apart(
    service: BackfillService, clock: FakeClock
) -> None:
    # Now is 2024-06-15T12:00; data fetched now for days before 2024-06-13 is final.
    recent = BackfillRequest.parse(["NL"], ["day_ahead_prices"], utc(2024, 1, 1), utc(2024, 6, 16))

    plan = await service.plan(recent)

    assert [c.interval for c in plan] == [
        Interval(utc(2024, 1, 1), utc(2024, 6, 13)),
        Interval(utc(2024, 6, 13), utc(2024, 6, 16)),
    ]


async def test_a_backfill_with_nothing_to_fetch_creates_no_job(
    service: BackfillService, source: ScriptedMarketDataSource
) -> None:
    await service.start(request(months=1))
    jobs_before = await service.reports.list_jobs()
    sent = len(source.requests)

    with pytest.raises(NothingToFetch, match=r"nothing to fetch: the 1 .* covered"):
        await service.create(request(months=1))

    assert await service.reports.list_jobs() == jobs_before
    assert len(source.requests) == sent
