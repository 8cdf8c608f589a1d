"""A chunk whose answer has holes: stored as it came, recorded, asked again a bounded number of
times, and counted in the job's report."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.fakes import FakeClock, ScriptedMarketDataSource
from adapters.memory import MemoryUnitOfWorkFactory
from entrypoints.cli_support import ChunkProgressView, describe
from entrypoints.wire import JobBody
from entsoe_core.areas import AreaKey
from entsoe_core.coverage import Coverage, RecheckPolicy
from entsoe_core.progress import ChunkProgress, ChunkStatus, JobStatus
from entsoe_core.services.backfill import BackfillService
from entsoe_core.services.requests import BackfillRequest
from entsoe_core.timeline import Interval, IntervalSet, utc
from tests.unit.conftest import make_service

NL = AreaKey("10YNL----------L")
JANUARY = Interval(utc(2023, 1, 1), utc(2023, 2, 1))
REQUEST = BackfillRequest.parse(["NL"], ["actual_total_load"], JANUARY.start, JANUARY.end)
CUT = 100
TAIL = IntervalSet((Interval(JANUARY.start + timedelta(hours=CUT), JANUARY.end),))


async def ledger(uow: MemoryUnitOfWorkFactory) -> Coverage:
    async with uow() as unit:
        return await unit.store.coverage("actual_total_load", NL, JANUARY)


async def gaps(uow: MemoryUnitOfWorkFactory, service: BackfillService) -> IntervalSet:
    async with uow() as unit:
        return await unit.store.gaps("actual_total_load", NL, JANUARY, service.recheck)


async def test_a_cut_answer_is_stored_its_holes_recorded_and_counted(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    source = ScriptedMarketDataSource(clock, cut_after=CUT)
    service = make_service(uow, source, clock)

    report = await service.start(REQUEST)

    assert report.job.status is JobStatus.COMPLETED
    assert report.counts[ChunkStatus.DONE] == 1
    assert report.counts.points_written == 2 * CUT  # what arrived is committed
    assert report.counts.holes == 1  # both series miss the same tail: one hole
    [chunk] = await service_chunks(uow, report.job.id)
    assert chunk.holes == 1
    [entry] = (await ledger(uow)).entries
    assert entry.holes == TAIL
    assert not entry.holes_accepted
    assert await gaps(uow, service) == IntervalSet((JANUARY,))


async def test_holes_healed_by_a_later_fetch_leave_no_gap(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    source = ScriptedMarketDataSource(clock, cut_after=CUT)
    service = make_service(uow, source, clock)
    await service.start(REQUEST)

    source.cut_after = None
    again = await service.start(REQUEST)

    assert again.counts.holes == 0
    # What arrived the first time comes back as it is stored; only the tail is new.
    assert again.counts.points_written == 2 * 31 * 24 - 2 * CUT
    assert again.counts.points_unchanged == 2 * CUT
    assert await gaps(uow, service) == IntervalSet()


async def test_holes_found_by_every_fetch_up_to_the_bound_are_accepted(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    source = ScriptedMarketDataSource(clock, cut_after=CUT)
    service = make_service(uow, source, clock)
    bound = RecheckPolicy().max_hole_fetches
    assert service.recheck.max_hole_fetches == bound == 3

    for fetch in range(1, bound + 1):
        await service.start(REQUEST)
        entries = (await ledger(uow)).entries
        assert len(entries) == fetch
        assert [e.holes_accepted for e in entries] == [False] * (fetch - 1) + [fetch == bound]

    assert await gaps(uow, service) == IntervalSet()
    assert (await ledger(uow)).holes(accepted=True) == TAIL
    assert len(source.requests) == bound
    # Nothing is left to ask for: planning the same request again makes no chunk.
    assert not (await service.plan(REQUEST)).chunks


async def test_a_series_cut_before_its_interval_ends_has_no_hole_yet(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    now = clock.now()
    current = BackfillRequest.parse(["NL"], ["actual_total_load"], utc(2024, 6, 1), utc(2024, 7, 1))
    source = ScriptedMarketDataSource(clock, published_until=now)
    report = await make_service(uow, source, clock).start(current)
    assert report.counts.points_written == 2 * (now - utc(2024, 6, 1)) // timedelta(hours=1)
    assert report.counts.holes == 0


async def service_chunks(uow: MemoryUnitOfWorkFactory, job_id: str) -> list[ChunkProgress]:
    async with uow() as unit:
        return await unit.progress.get_chunks(job_id)


async def test_the_progress_lines_count_each_chunks_holes(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    source = ScriptedMarketDataSource(clock, cut_after=CUT)
    view = ChunkProgressView(1, 0, "backfill")
    with view.shown() as update:
        report = await make_service(uow, source, clock).start(REQUEST, update)
    assert f"({2 * CUT} points, 1 holes)" in capsys.readouterr().err
    assert "1 holes (see `entsoe quality`)" in describe(report)
    assert JobBody.of(report).holes == 1
