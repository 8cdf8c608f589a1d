"""GapFillService keeps configured targets fresh, asking again for provisional coverage."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.fakes import FakeClock, ScriptedMarketDataSource
from adapters.memory import MemoryUnitOfWorkFactory
from entsoe_core.areas import AreaKey
from entsoe_core.errors import InvalidRequest
from entsoe_core.limits import LearnedLimit, RequestSpan
from entsoe_core.progress import JobKind, JobStatus
from entsoe_core.services.gapfill import GapFillService
from entsoe_core.timeline import Interval, utc
from tests.unit.conftest import make_service

NL = AreaKey("10YNL----------L")


def gap_fill(
    uow: MemoryUnitOfWorkFactory,
    clock: FakeClock,
    source: ScriptedMarketDataSource,
    datasets: tuple[str, ...] = ("actual_total_load",),
    areas: tuple[str, ...] = ("NL",),
) -> GapFillService:
    return GapFillService(
        make_service(uow, source, clock),
        uow,
        clock,
        areas=areas,
        datasets=datasets,
        history_years=1,
    )


async def test_fills_history_up_to_now_then_only_the_provisional_tail(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    source = ScriptedMarketDataSource(clock, published_until=clock.now())
    report = await gap_fill(uow, clock, source).run()
    assert report is not None
    assert report.job.kind is JobKind.GAP_FILL
    assert report.job.status is JobStatus.COMPLETED
    first = len(source.requests)
    assert min(c.interval.start for c in source.requests) == utc(2023, 6, 15)

    clock.advance(timedelta(hours=6).total_seconds())
    source._published_until = clock.now()
    again = await gap_fill(uow, clock, source).run()
    assert again is not None
    asked = source.requests[first:]
    # Only what was fetched too soon after it ended is asked for again: the recent months.
    assert all(c.interval.end > clock.now() - timedelta(days=40) for c in asked)
    async with uow() as unit:
        rows = await unit.store.read(
            "actual_total_load", NL, Interval(clock.now() - timedelta(hours=7), clock.now())
        )
    # The hours published since the first run are in the store now.
    assert {r.timestamp for r in rows} >= {utc(2024, 6, 15, h) for h in range(12, 18)}


async def test_forecasts_reach_into_the_future(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    source = ScriptedMarketDataSource(clock)
    await gap_fill(uow, clock, source, datasets=("day_ahead_total_load_forecast",)).run()
    assert max(c.interval.end for c in source.requests) == utc(2024, 6, 18)


async def test_nothing_configured_is_a_clear_error(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    with pytest.raises(InvalidRequest, match="ENTSOE_AREAS"):
        await gap_fill(uow, clock, ScriptedMarketDataSource(clock), areas=()).run()


async def test_final_history_is_not_fetched_twice(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    source = ScriptedMarketDataSource(clock, published_until=clock.now())
    await gap_fill(uow, clock, source).run()
    clock.advance(timedelta(days=10).total_seconds())
    source._published_until = clock.now()
    before = len(source.requests)
    await gap_fill(uow, clock, source).run()
    assert all(c.interval.start >= utc(2024, 6, 1) for c in source.requests[before:])


async def test_intervals_answered_with_holes_are_asked_again(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    source = ScriptedMarketDataSource(clock, published_until=clock.now(), cut_after=24 * 5)
    first = await gap_fill(uow, clock, source).run()
    assert first is not None
    assert first.holes > 0
    async with uow() as unit:
        chunks = await unit.progress.get_chunks(first.job.id)
    holed = {c.chunk.interval for c in chunks if c.holes}
    assert len(holed) == first.holes

    asked_before = len(source.requests)
    source.cut_after = None
    second = await gap_fill(uow, clock, source).run()
    assert second is not None
    assert second.holes == 0
    assert holed <= {c.interval for c in source.requests[asked_before:]}


async def test_a_gap_fill_plans_within_the_limits_learned_and_without_a_cap_by_default(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    async with uow() as unit:
        await unit.limits.learn(
            LearnedLimit("day_ahead_prices", RequestSpan(months=3), clock.now(), "P3M")
        )
        await unit.commit()
    source = ScriptedMarketDataSource(clock, published_until=clock.now())

    job = await gap_fill(uow, clock, source, datasets=("day_ahead_prices",)).create_job()

    assert job is not None
    assert job.span is None
    async with uow() as unit:
        chunks = [c.chunk.interval for c in await unit.progress.get_chunks(job.id)]
    # A year and two days in quarters (not months), the days that may still change apart.
    assert chunks == [
        Interval(utc(2023, 6, 15), utc(2023, 7, 1)),
        Interval(utc(2023, 7, 1), utc(2023, 10, 1)),
        Interval(utc(2023, 10, 1), utc(2024, 1, 1)),
        Interval(utc(2024, 1, 1), utc(2024, 4, 1)),
        Interval(utc(2024, 4, 1), utc(2024, 6, 13)),
        Interval(utc(2024, 6, 13), utc(2024, 6, 18)),
    ]
