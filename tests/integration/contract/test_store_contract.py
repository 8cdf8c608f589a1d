"""EnergyStorePort: what every store does, proven on memory, SQLite and PostgreSQL alike."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory import MemoryUnitOfWorkFactory
from entsoe_core.areas import AreaKey
from entsoe_core.coverage import CoverageEntry, Outcome, RecheckPolicy
from entsoe_core.observations import Observation, Point, Series, SeriesKey
from entsoe_core.ports import UnitOfWorkFactory
from entsoe_core.timeline import Interval, IntervalSet, utc
from entsoe_core.versions import UpsertResult
from tests.integration.contract.builders import (
    BE,
    DE_LU,
    FLOWS,
    GENERATION,
    LOAD,
    NL,
    NL_BE,
    PRICES,
    price_key,
    series,
)

DAY = Interval(utc(2024, 3, 1), utc(2024, 3, 2))
YEAR = Interval(utc(2024, 1, 1), utc(2025, 1, 1))


async def upsert(
    factory: UnitOfWorkFactory, dataset: str, area: AreaKey, data: list[Series]
) -> UpsertResult:
    async with factory() as uow:
        stored = await uow.store.upsert(dataset, area, data)
        await uow.commit()
    return stored


async def read_all(
    factory: UnitOfWorkFactory,
    dataset: str = PRICES,
    area: AreaKey = NL,
    interval: Interval = YEAR,
) -> list[Observation]:
    async with factory() as uow:
        return await uow.store.read(dataset, area, interval)


# -- upsert ---------------------------------------------------------------------------------


async def test_upsert_is_idempotent(uow_factory: UnitOfWorkFactory) -> None:
    data = [series(price_key(), DAY.start, [10, 20, 30])]

    assert await upsert(uow_factory, PRICES, NL, data) == UpsertResult(3, 0)
    first = await read_all(uow_factory)
    # same version, same values: nothing to write
    assert await upsert(uow_factory, PRICES, NL, data) == UpsertResult(0, 0, 3)
    again = await read_all(uow_factory)

    assert again == first
    assert [o.value for o in again] == [10.0, 20.0, 30.0]


async def test_values_round_trip_with_provenance(uow_factory: UnitOfWorkFactory) -> None:
    created = utc(2024, 2, 29, 11, 5) + timedelta(microseconds=123456)
    data = [
        series(
            price_key(),
            DAY.start,
            [-12.5, 0.1],
            unit="MWH",
            curve_type="A03",
            revision=4,
            created_at=created,
        )
    ]
    await upsert(uow_factory, PRICES, NL, data)

    stored = await read_all(uow_factory)

    assert stored == [
        Observation(PRICES, NL, price_key(), DAY.start, -12.5, "MWH", "A03", 4, created),
        Observation(
            PRICES, NL, price_key(), DAY.start + timedelta(hours=1), 0.1, "MWH", "A03", 4, created
        ),
    ]
    for observation in stored:
        assert observation.timestamp.utcoffset() == timedelta(0)
        assert observation.created_at is not None
        assert observation.created_at.tzinfo is not None


async def test_an_older_revision_never_replaces_a_newer_one(
    uow_factory: UnitOfWorkFactory,
) -> None:
    key = price_key()
    await upsert(uow_factory, PRICES, NL, [series(key, DAY.start, [1, 2], revision=2)])

    older = series(key, DAY.start, [100, 200, 300], revision=1)
    result = await upsert(uow_factory, PRICES, NL, [older])

    # only the third instant, which was not stored yet, is written
    assert result == UpsertResult(written=1, kept_newer=2)
    stored = await read_all(uow_factory)
    assert [(o.value, o.revision) for o in stored] == [(1.0, 2), (2.0, 2), (300.0, 1)]


async def test_only_what_changed_is_written_again(uow_factory: UnitOfWorkFactory) -> None:
    key = price_key()
    await upsert(uow_factory, PRICES, NL, [series(key, DAY.start, [1, 2, 3], created_at=STALE)])

    # One value corrected in a copy of the same version: that one is written.
    corrected = series(key, DAY.start, [1, 20, 3], created_at=STALE)
    assert await upsert(uow_factory, PRICES, NL, [corrected]) == UpsertResult(1, 0, 2)
    # The same values created later in the same revision (a re-fetch: the API stamps each
    # answer): unchanged, and the stored rows keep their creation time.
    later = series(key, DAY.start, [1, 20, 3], created_at=STALE + timedelta(hours=1))
    assert await upsert(uow_factory, PRICES, NL, [later]) == UpsertResult(0, 0, 3)
    # An older copy is kept because the stored ones are newer, whatever its values.
    older = series(key, DAY.start, [1, 20, 3], created_at=STALE - timedelta(hours=1))
    assert await upsert(uow_factory, PRICES, NL, [older]) == UpsertResult(0, 3, 0)
    # The same values in a higher revision, or in another unit: written.
    revised = series(key, DAY.start, [1, 20, 3], revision=2, created_at=STALE)
    assert await upsert(uow_factory, PRICES, NL, [revised]) == UpsertResult(3, 0, 0)
    other_unit = attrs.evolve(revised, unit="EUR/kWh")
    assert await upsert(uow_factory, PRICES, NL, [other_unit]) == UpsertResult(3, 0, 0)
    assert await upsert(uow_factory, PRICES, NL, [other_unit]) == UpsertResult(0, 0, 3)

    stored = await read_all(uow_factory)
    assert [(o.value, o.unit, o.revision, o.created_at) for o in stored] == [
        (v, "EUR/kWh", 2, STALE) for v in (1, 20, 3)
    ]


async def test_the_same_or_a_newer_revision_replaces(uow_factory: UnitOfWorkFactory) -> None:
    key = price_key()
    await upsert(uow_factory, PRICES, NL, [series(key, DAY.start, [1, 2], revision=2)])

    same = series(key, DAY.start, [5], revision=2)
    assert await upsert(uow_factory, PRICES, NL, [same]) == UpsertResult(1, 0)
    newer = series(key, DAY.start, [7, 8], revision=3)
    assert await upsert(uow_factory, PRICES, NL, [newer]) == UpsertResult(2, 0)

    stored = await read_all(uow_factory)
    assert [(o.value, o.revision) for o in stored] == [(7.0, 3), (8.0, 3)]


FRESH = utc(2026, 5, 1, 9, 30)
STALE = utc(2024, 1, 2, 9, 30)


async def test_a_document_created_earlier_never_replaces_a_fresher_one_of_its_revision(
    uow_factory: UnitOfWorkFactory,
) -> None:
    key = price_key()
    fresh = series(key, DAY.start, [1, 2], created_at=FRESH)
    await upsert(uow_factory, PRICES, NL, [fresh])

    stale = series(key, DAY.start, [100, 200, 300], created_at=STALE)
    result = await upsert(uow_factory, PRICES, NL, [stale])

    assert result == UpsertResult(written=1, kept_newer=2)
    stored = await read_all(uow_factory)
    assert [(o.value, o.created_at) for o in stored] == [(1, FRESH), (2, FRESH), (300, STALE)]


async def test_a_document_created_as_late_or_later_replaces_one_of_its_revision(
    uow_factory: UnitOfWorkFactory,
) -> None:
    key = price_key()
    await upsert(uow_factory, PRICES, NL, [series(key, DAY.start, [1, 2], created_at=STALE)])

    same = series(key, DAY.start, [5], created_at=STALE)
    assert await upsert(uow_factory, PRICES, NL, [same]) == UpsertResult(1, 0)
    later = series(key, DAY.start, [7, 8], created_at=STALE + timedelta(microseconds=1))
    assert await upsert(uow_factory, PRICES, NL, [later]) == UpsertResult(2, 0)

    stored = await read_all(uow_factory)
    assert [o.value for o in stored] == [7, 8]


async def test_an_undated_document_never_replaces_a_dated_one_of_its_revision(
    uow_factory: UnitOfWorkFactory,
) -> None:
    key = price_key()
    await upsert(uow_factory, PRICES, NL, [series(key, DAY.start, [1], created_at=STALE)])

    undated = series(key, DAY.start, [9])
    assert await upsert(uow_factory, PRICES, NL, [undated]) == UpsertResult(0, 1)
    assert [o.value for o in await read_all(uow_factory)] == [1]

    newer_undated = series(key, DAY.start, [9], revision=2)
    assert await upsert(uow_factory, PRICES, NL, [newer_undated]) == UpsertResult(1, 0)
    dated = series(key, DAY.start, [3], revision=2, created_at=STALE)
    assert await upsert(uow_factory, PRICES, NL, [dated]) == UpsertResult(1, 0)
    again_undated = series(key, DAY.start, [4], revision=2)
    assert await upsert(uow_factory, PRICES, NL, [again_undated]) == UpsertResult(0, 1)
    assert [(o.value, o.revision) for o in await read_all(uow_factory)] == [(3, 2)]


async def test_upsert_of_nothing_writes_nothing(uow_factory: UnitOfWorkFactory) -> None:
    assert await upsert(uow_factory, PRICES, NL, []) == UpsertResult()
    empty = series(price_key(), DAY.start, [])
    assert await upsert(uow_factory, PRICES, NL, [empty]) == UpsertResult()
    assert await read_all(uow_factory) == []


async def test_later_points_of_one_call_win_like_one_by_one(
    uow_factory: UnitOfWorkFactory,
) -> None:
    key = price_key()
    twice = [
        series(key, DAY.start, [1, 2, 3]),
        series(key, DAY.start + timedelta(hours=1), [20, 30]),
    ]
    repeating = Series(
        price_key("PT15M"),
        (Point(DAY.start, 1.0), Point(DAY.start, 2.0), Point(DAY.start, 3.0)),
        "MWH",
        "A01",
    )

    result = await upsert(uow_factory, PRICES, NL, [*twice, repeating])

    assert result == UpsertResult(8, 0)
    stored = await read_all(uow_factory)
    assert [(o.key.resolution, o.value) for o in stored] == [
        ("PT15M", 3.0),
        ("PT60M", 1.0),
        ("PT60M", 20.0),
        ("PT60M", 30.0),
    ]


COLLAPSING = {
    "PT15M and PT60M prices": (
        PRICES,
        NL,
        [price_key("PT15M"), price_key("PT60M")],
    ),
    "classification positions 1 and 2": (
        PRICES,
        DE_LU,
        [price_key(position="1", area=DE_LU), price_key(position="2", area=DE_LU)],
    ),
    "generation and consumption of one psr type": (
        GENERATION,
        NL,
        [
            SeriesKey("A75", "A16", "A01", "B16", in_domain=NL.code, resolution="PT15M"),
            SeriesKey("A75", "A16", "A01", "B16", out_domain=NL.code, resolution="PT15M"),
        ],
    ),
    "both directions of a border": (
        FLOWS,
        NL_BE,
        [
            SeriesKey("A11", business_type="A66", in_domain=NL.code, out_domain=BE.code),
            SeriesKey("A11", business_type="A66", in_domain=BE.code, out_domain=NL.code),
        ],
    ),
}


@pytest.mark.parametrize("case", list(COLLAPSING), ids=list(COLLAPSING))
async def test_series_that_differ_only_slightly_never_collapse(
    uow_factory: UnitOfWorkFactory, case: str
) -> None:
    dataset, area, keys = COLLAPSING[case]
    first, second = keys
    data = [series(first, DAY.start, [1, 2]), series(second, DAY.start, [3, 4])]

    assert await upsert(uow_factory, dataset, area, data) == UpsertResult(4, 0)

    stored = await read_all(uow_factory, dataset, area)
    assert {(o.key, o.timestamp, o.value) for o in stored} == {
        (first, DAY.start, 1.0),
        (first, DAY.start + timedelta(hours=1), 2.0),
        (second, DAY.start, 3.0),
        (second, DAY.start + timedelta(hours=1), 4.0),
    }


async def test_dataset_and_area_keep_their_observations_apart(
    uow_factory: UnitOfWorkFactory,
) -> None:
    key = price_key()
    await upsert(uow_factory, PRICES, NL, [series(key, DAY.start, [1])])
    await upsert(uow_factory, PRICES, DE_LU, [series(key, DAY.start, [2])])
    await upsert(uow_factory, LOAD, NL, [series(key, DAY.start, [3])])

    assert [o.value for o in await read_all(uow_factory, PRICES, NL)] == [1.0]
    assert [o.value for o in await read_all(uow_factory, PRICES, DE_LU)] == [2.0]
    assert [o.value for o in await read_all(uow_factory, LOAD, NL)] == [3.0]
    assert await read_all(uow_factory, GENERATION, NL) == []


# -- reading --------------------------------------------------------------------------------


def _mixed_series() -> list[Series]:
    """Series whose keys sort differently from their insertion order, at mixed steps."""
    quarter = timedelta(minutes=15)
    return [
        series(price_key("PT60M"), DAY.start, range(24)),
        series(price_key("PT15M"), DAY.start, range(96), step=quarter),
        series(price_key("PT60M", "2"), DAY.start, range(24)),
        series(price_key("PT60M", "1"), DAY.start - timedelta(hours=3), range(30)),
    ]


async def test_read_orders_by_timestamp_then_series_key_within_the_interval(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await upsert(uow_factory, PRICES, NL, _mixed_series())
    window = Interval(DAY.start, DAY.start + timedelta(hours=2))

    async with uow_factory() as uow:
        stored = await uow.store.read(PRICES, NL, window)

    positions = [(o.timestamp, o.key) for o in stored]
    assert positions == sorted(positions)
    assert all(window.contains(o.timestamp) for o in stored)
    # 2 hours: 8 quarter-hours, and 2 hours each of three hourly series
    assert len(stored) == 8 + 3 * 2
    assert stored[0].timestamp == window.start  # start included, end excluded
    assert stored[-1].timestamp == window.end - timedelta(minutes=15)


async def test_read_matches_the_reference_store(uow_factory: UnitOfWorkFactory) -> None:
    reference = MemoryUnitOfWorkFactory()
    for factory in (uow_factory, reference):
        await upsert(factory, PRICES, NL, _mixed_series())

    window = Interval(DAY.start - timedelta(hours=1), DAY.start + timedelta(hours=5))
    assert await read_all(uow_factory, interval=window) == await read_all(
        reference, interval=window
    )


@pytest.mark.parametrize("page_size", [1, 3, 7, 50])
async def test_cursor_pagination_visits_every_observation_once(
    uow_factory: UnitOfWorkFactory, page_size: int
) -> None:
    await upsert(uow_factory, PRICES, NL, _mixed_series())
    window = Interval(DAY.start - timedelta(hours=1), DAY.start + timedelta(hours=4))

    async with uow_factory() as uow:
        everything = await uow.store.read(PRICES, NL, window)
        pages: list[list[Observation]] = []
        after = None
        while True:
            page = await uow.store.read(PRICES, NL, window, after=after, limit=page_size)
            if not page:
                break
            assert len(page) <= page_size
            pages.append(page)
            after = (page[-1].timestamp, page[-1].key)

    assert list(itertools.chain.from_iterable(pages)) == everything
    assert len(pages) == -(-len(everything) // page_size)


async def test_cursor_continues_after_a_series_key_within_one_instant(
    uow_factory: UnitOfWorkFactory,
) -> None:
    keys = [price_key("PT60M", "1"), price_key("PT60M", "2"), price_key("PT60M", "")]
    await upsert(uow_factory, PRICES, NL, [series(k, DAY.start, [1, 2]) for k in keys])

    async with uow_factory() as uow:
        rest = await uow.store.read(PRICES, NL, DAY, after=(DAY.start, price_key("PT60M", "1")))

    assert [(o.timestamp, o.key.classification_position) for o in rest] == [
        (DAY.start, "2"),
        (DAY.start + timedelta(hours=1), ""),
        (DAY.start + timedelta(hours=1), "1"),
        (DAY.start + timedelta(hours=1), "2"),
    ]


# -- coverage and gaps ----------------------------------------------------------------------


def _entry(start_day: int, end_day: int, outcome: Outcome, fetched_day: int) -> CoverageEntry:
    base = utc(2024, 1, 1)
    return CoverageEntry(
        Interval(base + timedelta(days=start_day), base + timedelta(days=end_day)),
        outcome,
        base + timedelta(days=fetched_day),
    )


async def test_coverage_returns_the_entries_overlapping_the_window(
    uow_factory: UnitOfWorkFactory,
) -> None:
    entries = [
        _entry(20, 30, Outcome.DATA, 40),
        _entry(0, 10, Outcome.NO_DATA, 40),
        _entry(10, 20, Outcome.DATA, 40),
        _entry(40, 50, Outcome.DATA, 60),
    ]
    async with uow_factory() as uow:
        for entry in entries:
            await uow.store.record_coverage(LOAD, NL, entry)
        await uow.store.record_coverage(LOAD, DE_LU, _entry(0, 50, Outcome.DATA, 60))
        await uow.store.record_coverage(PRICES, NL, _entry(0, 50, Outcome.DATA, 60))
        await uow.commit()

    window = Interval(utc(2024, 1, 5), utc(2024, 1, 22))  # days 4 .. 21
    async with uow_factory() as uow:
        found = await uow.store.coverage(LOAD, NL, window)

    assert found.entries == tuple(sorted(entries[:3]))
    assert found.entries[0].fetched_at.tzinfo is not None


async def test_gaps_leave_out_what_is_final_and_keep_what_is_provisional(
    uow_factory: UnitOfWorkFactory,
) -> None:
    policy = RecheckPolicy(data_settle=timedelta(days=1), no_data_settle=timedelta(days=7))
    async with uow_factory() as uow:
        # data, settled (end + 1 day <= fetched): final, days 0..10
        await uow.store.record_coverage(LOAD, NL, _entry(0, 10, Outcome.DATA, 11))
        # data fetched too soon after its interval ended: provisional, days 10..20
        await uow.store.record_coverage(LOAD, NL, _entry(10, 20, Outcome.DATA, 20))
        # "no data", settled (end + 7 days <= fetched): final, days 20..25
        await uow.store.record_coverage(LOAD, NL, _entry(20, 25, Outcome.NO_DATA, 32))
        # "no data", too recent: provisional, days 25..30
        await uow.store.record_coverage(LOAD, NL, _entry(25, 30, Outcome.NO_DATA, 31))
        await uow.commit()

    requested = Interval(utc(2023, 12, 30), utc(2024, 2, 1))
    async with uow_factory() as uow:
        gaps = await uow.store.gaps(LOAD, NL, requested, policy)

    day = utc(2024, 1, 1)
    assert gaps == IntervalSet(
        (
            Interval(requested.start, day),
            Interval(day + timedelta(days=10), day + timedelta(days=20)),
            Interval(day + timedelta(days=25), requested.end),
        )
    )


async def test_gaps_of_an_untouched_area_are_the_whole_request(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        gaps = await uow.store.gaps(LOAD, NL, YEAR, RecheckPolicy())
    assert gaps == IntervalSet((YEAR,))


async def test_coverage_keeps_the_holes_of_each_entry(uow_factory: UnitOfWorkFactory) -> None:
    found = IntervalSet.of(
        (
            Interval(utc(2024, 1, 3, 10), utc(2024, 1, 3, 10, 30)),
            Interval(utc(2024, 1, 11, 10, 15), utc(2024, 2, 1)),
        )
    )
    with_holes = attrs.evolve(_entry(0, 31, Outcome.DATA, 40), holes=found)
    accepted = attrs.evolve(_entry(31, 60, Outcome.DATA, 70), holes=found, holes_accepted=True)
    async with uow_factory() as uow:
        for entry in (with_holes, accepted, _entry(60, 90, Outcome.DATA, 100)):
            await uow.store.record_coverage(LOAD, NL, entry)
        await uow.commit()
    async with uow_factory() as uow:
        coverage = await uow.store.coverage(LOAD, NL, YEAR)
    assert [(e.holes, e.holes_accepted) for e in coverage.entries] == [
        (found, False),
        (found, True),
        (IntervalSet(), False),
    ]


async def test_gaps_ask_again_for_holes_until_they_are_accepted(
    uow_factory: UnitOfWorkFactory,
) -> None:
    hole = IntervalSet((Interval(utc(2024, 1, 11), utc(2024, 2, 1)),))
    async with uow_factory() as uow:
        # Settled long ago, but with holes: provisional.
        await uow.store.record_coverage(
            LOAD, NL, attrs.evolve(_entry(0, 31, Outcome.DATA, 100), holes=hole)
        )
        # Holes accepted as published that way: final.
        await uow.store.record_coverage(
            LOAD,
            NL,
            attrs.evolve(_entry(31, 60, Outcome.DATA, 100), holes=hole, holes_accepted=True),
        )
        await uow.commit()
    async with uow_factory() as uow:
        gaps = await uow.store.gaps(LOAD, NL, Interval(_BASE, utc(2024, 3, 1)), RecheckPolicy())
    assert gaps == IntervalSet((Interval(_BASE, _BASE + timedelta(days=31)),))


_BASE = utc(2024, 1, 1)
_entries = st.lists(
    st.builds(
        lambda start, length, outcome, lag, holes, accepted: CoverageEntry(
            Interval(_BASE + timedelta(hours=start), _BASE + timedelta(hours=start + length)),
            outcome,
            _BASE + timedelta(hours=start + length + lag),
            holes=IntervalSet.of(
                Interval(_BASE + timedelta(hours=start + h), _BASE + timedelta(hours=start + h + 1))
                for h in holes
                if h < length
            ),
            holes_accepted=accepted,
        ),
        st.integers(0, 200),
        st.integers(1, 60),
        st.sampled_from(Outcome),
        st.integers(-30, 400),
        st.sets(st.integers(0, 59), max_size=3),
        st.booleans(),
    ),
    max_size=12,
)
_requests = st.builds(
    lambda start, length: Interval(
        _BASE + timedelta(hours=start), _BASE + timedelta(hours=start + length)
    ),
    st.integers(-20, 220),
    st.integers(1, 300),
)
_policies = st.builds(
    lambda data, no_data: RecheckPolicy(
        data_settle=timedelta(hours=data), no_data_settle=timedelta(hours=no_data)
    ),
    st.integers(-10, 100),
    st.integers(0, 240),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(entries=_entries, requested=_requests, policy=_policies)
async def test_gaps_agree_with_the_reference_store(
    uow_factory: UnitOfWorkFactory,
    entries: list[CoverageEntry],
    requested: Interval,
    policy: RecheckPolicy,
) -> None:
    # Every example files its entries under an area of its own: the database is shared.
    area = AreaKey(f"AREA-{next(_example_numbers)}")
    reference = MemoryUnitOfWorkFactory()
    for factory in (uow_factory, reference):
        async with factory() as uow:
            for entry in entries:
                await uow.store.record_coverage(LOAD, area, entry)
            await uow.commit()

    async with uow_factory() as uow:
        found = await uow.store.gaps(LOAD, area, requested, policy)
    async with reference() as uow:
        expected = await uow.store.gaps(LOAD, area, requested, policy)

    assert found == expected
    for gap in found:
        assert gap.start.tzinfo is UTC or gap.start.utcoffset() == timedelta(0)


_example_numbers = itertools.count()


# -- versions in any order ----------------------------------------------------------------

_INSTANTS = 3
_CREATED = (None, STALE, FRESH, FRESH + timedelta(microseconds=1))
_versions = st.lists(
    st.tuples(st.integers(1, 3), st.sampled_from(_CREATED)), min_size=1, max_size=8
)


def _newest_first(revision: int, created_at: datetime | None) -> tuple[int, bool, datetime]:
    """The order the versions must end in, spelled out: revision, then dated after undated,
    then creation time."""
    return revision, created_at is not None, created_at or _BASE


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(versions=_versions, data=st.data())
async def test_versions_applied_in_any_order_end_with_the_newest(
    uow_factory: UnitOfWorkFactory,
    versions: list[tuple[int, datetime | None]],
    data: st.DataObject,
) -> None:
    area = AreaKey(f"AREA-{next(_example_numbers)}")
    key = price_key(area=area)
    # Version i carries the values i*10, i*10+1 ..., so the stored values name their version.
    documents = [
        series(key, DAY.start, [i * 10 + n for n in range(_INSTANTS)], revision=r, created_at=c)
        for i, (r, c) in enumerate(versions)
    ]
    order = data.draw(st.permutations(range(len(documents))), label="order")
    # Consecutive versions may arrive in one call, as several series of one answer do.
    cuts = data.draw(st.sets(st.integers(1, len(order) - 1)) if len(order) > 1 else st.just(set()))
    bounds = [0, *sorted(cuts), len(order)]
    calls = [order[a:b] for a, b in itertools.pairwise(bounds)]

    total = UpsertResult()
    for call in calls:
        total += await upsert(uow_factory, PRICES, area, [documents[i] for i in call])

    newest = max(_newest_first(*versions[i]) for i in order)
    winner = [i for i in order if _newest_first(*versions[i]) == newest][-1]
    best_so_far = None
    expected_kept = 0
    for i in order:
        rank = _newest_first(*versions[i])
        if best_so_far is not None and rank < best_so_far:
            expected_kept += _INSTANTS
        best_so_far = rank if best_so_far is None else max(best_so_far, rank)
    stored = await read_all(uow_factory, PRICES, area)
    assert [(o.value, o.revision, o.created_at) for o in stored] == [
        (winner * 10 + n, *versions[winner]) for n in range(_INSTANTS)
    ]
    assert total == UpsertResult(len(order) * _INSTANTS - expected_kept, expected_kept)


# -- series statistics: entsoe quality ------------------------------------------------------


def _hours(start: datetime, count: int, *, skip: frozenset[int] = frozenset()) -> list[datetime]:
    return [start + timedelta(hours=h) for h in range(count) if h not in skip]


def _at(key: SeriesKey, stamps: list[datetime], revision: int = 1) -> Series:
    return Series(key, tuple(Point(t, 1.0) for t in stamps), "MAW", "A01", revision)


async def test_series_stats_count_each_series_and_find_its_gaps_in_the_database(
    uow_factory: UnitOfWorkFactory,
) -> None:
    start = utc(2024, 1, 1)
    hourly = SeriesKey("A65", "A16", "A04", out_domain=NL.code, resolution="PT60M")
    quarterly = attrs.evolve(hourly, resolution="PT15M")
    monthly = SeriesKey("A65", "A32", "A04", out_domain=NL.code, resolution="P1M")
    daily = SeriesKey("A65", "A31", "A04", out_domain=NL.code, resolution="P1D")
    months = [utc(2024, m, 1) for m in (1, 2, 4, 5)]
    # Local days of CET around the spring change (23 hours long): no gap.
    days = [utc(2024, 3, 29, 23), utc(2024, 3, 30, 23), utc(2024, 3, 31, 22), utc(2024, 4, 2, 22)]
    await upsert(
        uow_factory,
        LOAD,
        NL,
        [
            _at(hourly, _hours(start, 48, skip=frozenset({5, 6, 30}))),
            _at(hourly, _hours(start, 2), revision=3),
            _at(quarterly, [start + timedelta(minutes=15 * q) for q in range(8)]),
            _at(monthly, months),
            _at(daily, days),
            _at(hourly, _hours(utc(2025, 2, 1), 3)),  # outside the interval
        ],
    )
    await upsert(uow_factory, LOAD, DE_LU, [_at(hourly, _hours(start, 3, skip=frozenset({1})))])

    async with uow_factory() as uow:
        stats = await uow.store.series_stats(LOAD, NL, YEAR)

    assert [s.key for s in stats] == sorted([hourly, quarterly, monthly, daily])
    by_key = {s.key: s for s in stats}
    assert by_key[hourly].points == 45
    assert by_key[hourly].revision == 3
    assert (by_key[hourly].first, by_key[hourly].last) == (start, start + timedelta(hours=47))
    assert by_key[hourly].gaps == (
        (start + timedelta(hours=4), start + timedelta(hours=7)),
        (start + timedelta(hours=29), start + timedelta(hours=31)),
    )
    assert by_key[quarterly].gaps == ()
    assert by_key[monthly].gaps == ((utc(2024, 2, 1), utc(2024, 4, 1)),)
    assert by_key[daily].gaps == ((utc(2024, 3, 31, 22), utc(2024, 4, 2, 22)),)
    for one in stats:
        assert one.first.utcoffset() == timedelta(0)
        assert all(a.utcoffset() == b.utcoffset() == timedelta(0) for a, b in one.gaps)

    async with uow_factory() as uow:
        assert await uow.store.series_stats(PRICES, NL, YEAR) == []


async def test_the_newest_instant_and_last_fetch_are_found_however_far_back(
    uow_factory: UnitOfWorkFactory,
) -> None:
    hourly = SeriesKey("A65", "A16", "A04", out_domain=NL.code, resolution="PT60M")
    quarterly = attrs.evolve(hourly, resolution="PT15M")
    await upsert(
        uow_factory,
        LOAD,
        NL,
        [
            _at(hourly, _hours(utc(2016, 5, 1), 30)),
            _at(quarterly, [utc(2015, 1, 1, 0, 15 * q) for q in range(4)]),
        ],
    )
    await upsert(uow_factory, LOAD, DE_LU, [_at(hourly, _hours(utc(2024, 1, 1), 2))])
    fetched = [datetime(2016, 6, 1, 12, tzinfo=UTC), datetime(2016, 5, 3, tzinfo=UTC)]
    async with uow_factory() as uow:
        for when in fetched:
            entry = CoverageEntry(Interval(utc(2016, 5, 1), utc(2016, 5, 2)), Outcome.DATA, when)
            await uow.store.record_coverage(LOAD, NL, entry)
        await uow.commit()

    pairs = [(LOAD, NL), (LOAD, DE_LU), (PRICES, NL), (LOAD, BE)]
    async with uow_factory() as uow:
        newest = await uow.store.newest(pairs)
        last = await uow.store.last_fetched(pairs)
        assert await uow.store.newest([]) == {}

    assert newest == {
        (LOAD, NL): utc(2016, 5, 2, 5),
        (LOAD, DE_LU): utc(2024, 1, 1, 1),
        (PRICES, NL): None,
        (LOAD, BE): None,
    }
    assert last == {
        (LOAD, NL): fetched[0],
        (LOAD, DE_LU): None,
        (PRICES, NL): None,
        (LOAD, BE): None,
    }
    for found in (*newest.values(), *last.values()):
        assert found is None or found.utcoffset() == timedelta(0)


async def test_the_newest_instants_of_more_pairs_than_one_statement_asks_about(
    uow_factory: UnitOfWorkFactory,
) -> None:
    hourly = SeriesKey("A65", "A16", "A04", out_domain=NL.code, resolution="PT60M")
    stored = {AreaKey(f"AREA-{n:04d}"): utc(2024, 1, 1, n % 24) for n in range(0, 2500, 7)}
    async with uow_factory() as uow:
        for area, at in stored.items():
            await uow.store.upsert(LOAD, area, [_at(hourly, [at - timedelta(hours=1), at])])
            entry = CoverageEntry(Interval(utc(2024, 1, 1), utc(2024, 1, 2)), Outcome.DATA, at)
            await uow.store.record_coverage(LOAD, area, entry)
        await uow.commit()
    pairs = [(LOAD, AreaKey(f"AREA-{n:04d}")) for n in range(2500)]

    async with uow_factory() as uow:
        newest = await uow.store.newest(pairs)
        last = await uow.store.last_fetched(pairs)

    expected = {(dataset, area): stored.get(area) for dataset, area in pairs}
    assert newest == expected
    assert last == expected


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kept=st.lists(st.sets(st.integers(0, 95), min_size=1), min_size=1, max_size=3),
    resolution=st.sampled_from(["PT15M", "PT60M", "P1D"]),
    window=st.tuples(st.integers(0, 40), st.integers(41, 96)),
)
async def test_series_stats_agree_with_the_reference_store(
    uow_factory: UnitOfWorkFactory,
    kept: list[set[int]],
    resolution: str,
    window: tuple[int, int],
) -> None:
    area = AreaKey(f"AREA-{next(_example_numbers)}")
    step = {"PT15M": timedelta(minutes=15), "PT60M": timedelta(hours=1)}.get(
        resolution, timedelta(days=1)
    )
    start = utc(2024, 1, 1)
    data = [
        _at(
            SeriesKey("A65", "A16", f"A{n:02d}", out_domain=area.code, resolution=resolution),
            [start + i * step for i in sorted(steps)],
        )
        for n, steps in enumerate(kept)
    ]
    interval = Interval(start + window[0] * step, start + window[1] * step)
    reference = MemoryUnitOfWorkFactory()
    for factory in (uow_factory, reference):
        await upsert(factory, LOAD, area, data)
    async with uow_factory() as uow:
        found = await uow.store.series_stats(LOAD, area, interval)
    async with reference() as uow:
        expected = await uow.store.series_stats(LOAD, area, interval)
    assert found == expected
