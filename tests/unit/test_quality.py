"""The quality report (QualityService) on the in-memory store."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from adapters.memory import MemoryUnitOfWorkFactory
from entsoe_core.areas import AreaKey
from entsoe_core.coverage import CoverageEntry, Outcome
from entsoe_core.observations import Point, Series, SeriesKey
from entsoe_core.services.quality import QualityService, SeriesQuality
from entsoe_core.services.requests import BackfillRequest
from entsoe_core.timeline import Interval, IntervalSet, utc

NL = AreaKey("10YNL----------L")
LOAD = "actual_total_load"
PRICES = "day_ahead_prices"
JANUARY = Interval(utc(2023, 1, 1), utc(2023, 2, 1))
HOUR = timedelta(hours=1)
HOURLY = SeriesKey("A65", "A16", "A04", out_domain=NL.code, resolution="PT60M")
FETCHED = utc(2023, 3, 1)


def hours(start: datetime, end: datetime, skip: tuple[int, ...] = ()) -> list[datetime]:
    count = (end - start) // HOUR
    return [start + h * HOUR for h in range(count) if h not in skip]


def series(key: SeriesKey, stamps: list[datetime], revision: int = 1) -> Series:
    return Series(key, tuple(Point(t, 1.0) for t in stamps), revision=revision)


async def store(
    uow: MemoryUnitOfWorkFactory,
    data: list[Series],
    entries: list[CoverageEntry],
    dataset: str = LOAD,
) -> None:
    async with uow() as unit:
        await unit.store.upsert(dataset, NL, data)
        for entry in entries:
            await unit.store.record_coverage(dataset, NL, entry)
        await unit.commit()


async def report(
    uow: MemoryUnitOfWorkFactory, period: Interval = JANUARY, dataset: str = LOAD
) -> list[SeriesQuality]:
    request = BackfillRequest.parse(["NL"], [dataset], period.start, period.end)
    return await QualityService(uow).report(request)


async def test_a_complete_series_has_every_expected_point_and_no_hole() -> None:
    uow = MemoryUnitOfWorkFactory()
    await store(
        uow,
        [series(HOURLY, hours(*attrs.astuple(JANUARY)), revision=2)],
        [CoverageEntry(JANUARY, Outcome.DATA, FETCHED)],
    )
    [only] = await report(uow)
    assert (only.expected, only.stored, only.holes) == (744, 744, IntervalSet())
    assert (only.last_fetch, only.revision, only.key) == (FETCHED, 2, HOURLY)


async def test_missing_steps_and_a_tail_the_fetch_asked_for_are_holes() -> None:
    uow = MemoryUnitOfWorkFactory()
    cut = JANUARY.start + 100 * HOUR
    await store(
        uow,
        [series(HOURLY, hours(JANUARY.start, cut, skip=(10, 11)))],
        [CoverageEntry(JANUARY, Outcome.DATA, FETCHED)],
    )
    [only] = await report(uow)
    assert only.holes == IntervalSet.of(
        [
            Interval(JANUARY.start + 10 * HOUR, JANUARY.start + 12 * HOUR),
            Interval(cut, JANUARY.end),
        ]
    )
    assert only.stored == 98
    assert only.expected == 744
    assert only.holes_accepted == 0


async def test_no_tail_is_expected_where_no_fetch_asked_for_one() -> None:
    # Imported data, never fetched: a series is expected from its first point to its last.
    uow = MemoryUnitOfWorkFactory()
    await store(uow, [series(HOURLY, hours(JANUARY.start, JANUARY.start + 100 * HOUR))], [])
    [only] = await report(uow)
    assert only.holes == IntervalSet()
    assert only.expected == only.stored == 100
    assert only.last_fetch is None


async def test_a_change_of_resolution_is_no_hole() -> None:
    uow = MemoryUnitOfWorkFactory()
    switch = utc(2025, 10, 1)
    period = Interval(utc(2025, 9, 1), utc(2025, 11, 1))
    prices = SeriesKey("A44", "", "A62", in_domain=NL.code, out_domain=NL.code)
    await store(
        uow,
        [
            series(attrs.evolve(prices, resolution="PT60M"), hours(period.start, switch)),
            Series(
                attrs.evolve(prices, resolution="PT15M"),
                tuple(
                    Point(switch + q * timedelta(minutes=15), 1.0)
                    for q in range((period.end - switch) // timedelta(minutes=15))
                ),
            ),
        ],
        [CoverageEntry(period, Outcome.DATA, utc(2026, 1, 1))],
        dataset=PRICES,
    )
    found = await report(uow, period, dataset=PRICES)
    assert [(q.key.resolution, q.holes) for q in found] == [
        ("PT15M", IntervalSet()),
        ("PT60M", IntervalSet()),
    ]
    assert [q.expected == q.stored for q in found] == [True, True]


async def test_holes_accepted_by_the_ledger_are_counted_as_published_that_way() -> None:
    uow = MemoryUnitOfWorkFactory()
    cut = JANUARY.start + 100 * HOUR
    tail = IntervalSet((Interval(cut, JANUARY.end),))
    await store(
        uow,
        [series(HOURLY, hours(JANUARY.start, cut, skip=(10,)))],
        [CoverageEntry(JANUARY, Outcome.DATA, FETCHED, holes=tail, holes_accepted=True)],
    )
    [only] = await report(uow)
    assert len(only.holes) == 2
    assert only.holes_accepted == 1
    assert only.accepted == tail


async def test_holes_are_clipped_to_the_period() -> None:
    uow = MemoryUnitOfWorkFactory()
    await store(
        uow,
        [series(HOURLY, hours(JANUARY.start, JANUARY.start + 100 * HOUR))],
        [CoverageEntry(JANUARY, Outcome.DATA, FETCHED)],
    )
    first_week = Interval(JANUARY.start, JANUARY.start + 7 * 24 * HOUR)
    [only] = await report(uow, first_week)
    assert only.holes == IntervalSet((Interval(JANUARY.start + 100 * HOUR, first_week.end),))
    assert only.expected == 7 * 24


async def test_no_tail_is_expected_of_a_fetch_made_before_its_interval_ended() -> None:
    uow = MemoryUnitOfWorkFactory()
    fetched = JANUARY.start + 100 * HOUR
    await store(
        uow,
        [series(HOURLY, hours(JANUARY.start, fetched))],
        [CoverageEntry(JANUARY, Outcome.DATA, fetched)],
    )
    [only] = await report(uow)
    assert only.holes == IntervalSet()
    assert only.expected == only.stored == 100
