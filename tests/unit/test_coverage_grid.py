"""The coverage grid (CoverageGridService), freshness (FreshnessService) and chunk lookups
(ChunkLookup) on the in-memory adapters and a fake clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from adapters.fakes import FakeClock
from adapters.memory import MemoryUnitOfWorkFactory
from entsoe_core.areas import AreaKey
from entsoe_core.coverage import Coverage, CoverageEntry, Outcome, RecheckPolicy
from entsoe_core.errors import UnknownJob
from entsoe_core.observations import Point, Series, SeriesKey
from entsoe_core.plan import Chunk
from entsoe_core.progress import BackfillJob, ChunkProgress, ChunkStatus
from entsoe_core.services.chunk_lookup import ChunkLookup
from entsoe_core.services.coverage_grid import (
    CellState,
    CoverageGridService,
    month_cell,
    months_of,
)
from entsoe_core.services.freshness import FreshnessService, FreshnessState
from entsoe_core.services.requests import BackfillRequest
from entsoe_core.timeline import Interval, IntervalSet, utc

NL = AreaKey("10YNL----------L")
BE = AreaKey("10YBE----------2")
LOAD = "actual_total_load"
PRICES = "day_ahead_prices"
NOW = utc(2024, 6, 15, 12)
POLICY = RecheckPolicy()
JANUARY = Interval(utc(2024, 1, 1), utc(2024, 2, 1))
SETTLED = utc(2024, 3, 1)
"""A fetch long after January ended: its answer had settled."""


def entry(
    start: datetime,
    end: datetime,
    outcome: Outcome = Outcome.DATA,
    fetched: datetime = SETTLED,
    holes: tuple[Interval, ...] = (),
) -> CoverageEntry:
    return CoverageEntry(Interval(start, end), outcome, fetched, IntervalSet.of(holes))


def cell_of(
    *entries: CoverageEntry, counted: Interval | None = JANUARY
) -> tuple[CellState, dict[str, float]]:
    cell = month_cell(JANUARY, counted, Coverage.of(entries), POLICY)
    return cell.state, {state.value: round(share, 3) for state, share in cell.shares.items()}


# -- one month -------------------------------------------------------------------------------


def test_a_month_fetched_whole_and_settled_is_covered() -> None:
    assert cell_of(entry(JANUARY.start, JANUARY.end)) == (CellState.COVERED, {"covered": 1.0})


def test_a_month_with_nothing_fetched_is_missing() -> None:
    assert cell_of() == (CellState.MISSING, {"missing": 1.0})


def test_a_month_missing_a_part_shows_missing_with_the_shares_of_both() -> None:
    state, shares = cell_of(entry(utc(2024, 1, 1), utc(2024, 1, 16)))
    assert state is CellState.MISSING
    assert shares == {"covered": round(15 / 31, 3), "missing": round(16 / 31, 3)}


def test_a_settled_no_data_answer_is_no_data() -> None:
    found = cell_of(entry(JANUARY.start, JANUARY.end, Outcome.NO_DATA))
    assert found == (CellState.NO_DATA, {"no_data": 1.0})


def test_a_fetch_before_the_answer_settled_is_provisional() -> None:
    early = JANUARY.end + timedelta(hours=1)
    found = cell_of(entry(JANUARY.start, JANUARY.end, fetched=early))
    assert found == (CellState.PROVISIONAL, {"provisional": 1.0})


def test_an_answer_with_open_holes_shows_holes() -> None:
    hole = Interval(utc(2024, 1, 3), utc(2024, 1, 4))
    found = cell_of(entry(JANUARY.start, JANUARY.end, holes=(hole,)))
    assert found == (CellState.HOLES, {"holes": 1.0})


def test_a_final_fetch_wins_over_an_earlier_provisional_one() -> None:
    early = entry(JANUARY.start, JANUARY.end, fetched=JANUARY.end)
    late = entry(JANUARY.start, JANUARY.end)
    assert cell_of(early, late) == (CellState.COVERED, {"covered": 1.0})


def test_holes_come_before_provisional_and_no_data_in_the_state_shown() -> None:
    hole = Interval(utc(2024, 1, 3), utc(2024, 1, 4))
    state, shares = cell_of(
        entry(utc(2024, 1, 1), utc(2024, 1, 11), holes=(hole,)),
        entry(utc(2024, 1, 11), utc(2024, 1, 21), Outcome.NO_DATA),
        entry(utc(2024, 1, 21), utc(2024, 2, 1), fetched=utc(2024, 2, 1, 6)),
    )
    assert state is CellState.HOLES
    assert set(shares) == {"holes", "no_data", "provisional"}
    assert sum(shares.values()) == pytest.approx(1.0, abs=0.01)


def test_a_month_with_no_part_that_counts_is_outside() -> None:
    assert cell_of(counted=None) == (CellState.OUTSIDE, {})


def test_only_the_counted_part_of_a_month_is_judged() -> None:
    first_half = Interval(utc(2024, 1, 1), utc(2024, 1, 16))
    found = cell_of(entry(utc(2024, 1, 1), utc(2024, 1, 16)), counted=first_half)
    assert found == (CellState.COVERED, {"covered": 1.0})


def test_months_of_a_period_are_whole_utc_calendar_months() -> None:
    months = months_of(Interval(utc(2023, 12, 15), utc(2024, 2, 2)))
    assert [m.start for m in months] == [utc(2023, 12, 1), utc(2024, 1, 1), utc(2024, 2, 1)]
    assert months[-1].end == utc(2024, 3, 1)


# -- the service -----------------------------------------------------------------------------


async def record(
    uow: MemoryUnitOfWorkFactory, dataset: str, area: AreaKey, *entries: CoverageEntry
) -> None:
    async with uow() as unit:
        for one in entries:
            await unit.store.record_coverage(dataset, area, one)
        await unit.commit()


async def test_the_grid_has_a_row_per_area_and_a_cell_per_month() -> None:
    uow = MemoryUnitOfWorkFactory()
    await record(uow, LOAD, NL, entry(JANUARY.start, JANUARY.end))
    grid = CoverageGridService(uow, FakeClock(NOW))
    request = BackfillRequest.parse(["NL", "BE"], [LOAD], utc(2024, 1, 1), utc(2024, 3, 1))

    rows = await grid.grid(request)

    by_area = {row.area: [cell.state for cell in row.cells] for row in rows}
    assert by_area == {
        NL: [CellState.COVERED, CellState.MISSING],
        BE: [CellState.MISSING, CellState.MISSING],
    }
    assert [row.fetched for row in rows] == [True, False]


async def test_months_beyond_the_publication_horizon_are_outside() -> None:
    grid = CoverageGridService(MemoryUnitOfWorkFactory(), FakeClock(NOW))
    request = BackfillRequest.parse(["NL"], [LOAD], utc(2024, 5, 1), utc(2024, 8, 1))

    [row] = await grid.grid(request)

    # Actual load is published up to now (mid-June): July cannot hold anything yet.
    assert [cell.state for cell in row.cells] == [
        CellState.MISSING,
        CellState.MISSING,
        CellState.OUTSIDE,
    ]
    june = row.cells[1]
    assert june.shares == {CellState.MISSING: 1.0}


async def test_months_before_an_area_existed_are_outside() -> None:
    grid = CoverageGridService(MemoryUnitOfWorkFactory(), FakeClock(NOW))
    request = BackfillRequest.parse(["all"], [PRICES], utc(2018, 9, 1), utc(2018, 11, 1))

    rows = {str(row.area): row for row in await grid.grid(request)}

    de_lu = rows["10Y1001A1001A82H"]
    assert [cell.state for cell in de_lu.cells] == [CellState.OUTSIDE, CellState.MISSING]


def test_the_default_period_is_the_last_twelve_months() -> None:
    period = CoverageGridService(MemoryUnitOfWorkFactory(), FakeClock(NOW)).default_period()
    assert period == Interval(utc(2023, 7, 1), utc(2024, 7, 1))


# -- freshness -------------------------------------------------------------------------------

HOURLY = SeriesKey("A65", "A16", "A04", out_domain=NL.code, resolution="PT60M")


async def store_hours(uow: MemoryUnitOfWorkFactory, start: datetime, count: int) -> None:
    points = tuple(Point(start + timedelta(hours=h), 1.0) for h in range(count))
    async with uow() as unit:
        await unit.store.upsert(LOAD, NL, [Series(HOURLY, points)])
        await unit.commit()


async def freshness_of(uow: MemoryUnitOfWorkFactory) -> dict[AreaKey, tuple[object, ...]]:
    request = BackfillRequest.parse(["NL", "BE"], [LOAD], utc(2024, 1, 1), utc(2024, 2, 1))
    found = await FreshnessService(uow, FakeClock(NOW)).freshness(request)
    return {one.area: (one.newest, one.horizon, one.lag, one.state) for one in found}


async def test_recent_data_is_fresh_and_an_area_with_nothing_stored_is_empty() -> None:
    uow = MemoryUnitOfWorkFactory()
    await store_hours(uow, utc(2024, 6, 14), 30)

    found = await freshness_of(uow)

    newest = utc(2024, 6, 15, 5)
    assert found[NL] == (newest, NOW, NOW - newest, FreshnessState.FRESH)
    assert found[BE] == (None, NOW, None, FreshnessState.EMPTY)


async def test_data_older_than_the_settle_time_is_behind_even_years_back() -> None:
    uow = MemoryUnitOfWorkFactory()
    await store_hours(uow, utc(2020, 3, 1), 24)

    newest, _, lag, state = (await freshness_of(uow))[NL]

    assert newest == utc(2020, 3, 1, 23)
    assert lag == NOW - utc(2020, 3, 1, 23)
    assert state is FreshnessState.BEHIND


async def test_the_horizon_of_a_forecast_lies_ahead_of_now() -> None:
    request = BackfillRequest.parse(["NL"], [PRICES], utc(2024, 1, 1), utc(2024, 2, 1))
    found = await FreshnessService(MemoryUnitOfWorkFactory(), FakeClock(NOW)).freshness(request)
    assert [one.horizon for one in found] == [NOW + timedelta(days=2)]


# -- chunk lookups ---------------------------------------------------------------------------


def chunk_of(
    job: str, number: int, area: AreaKey, interval: Interval, **changes: object
) -> ChunkProgress:
    return ChunkProgress(
        f"{job}.{number}",
        job,
        Chunk(LOAD, area, interval),
        **changes,  # type: ignore[arg-type]
    )


async def add_job(
    uow: MemoryUnitOfWorkFactory, job_id: str, period: Interval, chunks: list[ChunkProgress]
) -> None:
    job = BackfillJob(job_id, NOW, period, (LOAD,), (NL.code, BE.code))
    async with uow() as unit:
        await unit.progress.add_job(job, chunks)
        await unit.commit()


async def test_chunks_of_a_cell_are_those_of_its_dataset_area_and_month() -> None:
    uow = MemoryUnitOfWorkFactory()
    february = Interval(utc(2024, 2, 1), utc(2024, 3, 1))
    whole = Interval(JANUARY.start, february.end)
    await add_job(
        uow,
        "a",
        whole,
        [
            chunk_of("a", 1, NL, JANUARY),
            chunk_of("a", 2, NL, february),
            chunk_of("a", 3, BE, JANUARY),
        ],
    )
    await add_job(uow, "b", JANUARY, [chunk_of("b", 1, NL, JANUARY, status=ChunkStatus.FAILED)])

    found = await ChunkLookup(uow).touching(LOAD, NL, JANUARY)

    assert sorted(chunk.id for chunk in found) == ["a.1", "b.1"]
    assert await ChunkLookup(uow).touching(PRICES, NL, JANUARY) == []


async def test_chunks_of_a_job_by_status_and_an_unknown_job() -> None:
    uow = MemoryUnitOfWorkFactory()
    failed = chunk_of("a", 2, BE, JANUARY, status=ChunkStatus.FAILED, last_error="HTTP 401")
    await add_job(uow, "a", JANUARY, [chunk_of("a", 1, NL, JANUARY), failed])
    lookup = ChunkLookup(uow)

    assert [c.id for c in await lookup.of_job("a")] == ["a.1", "a.2"]
    assert await lookup.of_job("a", [ChunkStatus.FAILED]) == [failed]
    with pytest.raises(UnknownJob):
        await lookup.of_job("nope")
