"""The columnar read: ``EnergyStorePort.read_columns`` gives what ``read`` gives, as columns,
and the columnar export (``ReadService.column_pages``, Parquet written from columns) gives what
the row export gives: the same rows, in the same order and the same pages. On memory, SQLite
and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from adapters.fakes import FakeClock
from adapters.sqlalchemy import SqlUnitOfWorkFactory, columns_read
from entrypoints.parquet_rows import ParquetRows
from entrypoints.wire import EXPORT_FIELDS, observation_rows
from entsoe_core.areas import AREAS
from entsoe_core.columns import ObservationColumns, micros_of
from entsoe_core.observations import Observation, Point, Series, SeriesKey
from entsoe_core.ports import ObservationCursor, UnitOfWorkFactory
from entsoe_core.services.reads import ReadService
from entsoe_core.timeline import Interval, utc
from tests.integration.databases import open_engine

NL = AREAS.key("NL")
GENERATION = "actual_generation_per_type"
BERLIN = ZoneInfo("Europe/Berlin")
SPRING = utc(2024, 3, 30)
"""Two days around the change to summer time (31 March: a local day of 23 hours)."""
AUTUMN = utc(2024, 10, 26)
"""Two days around the change to winter time (27 October: a local day of 25 hours)."""
PERIOD = Interval(utc(2024, 3, 29), utc(2024, 10, 29))
QUARTER, HOUR = timedelta(minutes=15), timedelta(hours=1)


def generation(psr: str, resolution: str = "PT15M", **fields: str) -> SeriesKey:
    return SeriesKey("A75", "A16", "A01", psr, NL.code, resolution=resolution, **fields)


SOLAR = generation("B16")
SOLAR_HOURLY = generation("B16", "PT60M")
PUMPED_CONSUMPTION = attrs.evolve(generation("B10"), in_domain="", out_domain=NL.code)
UNIT = generation("B14", registered_resource="49W000000000054X")
UP = generation("B20", flow_direction="A01", quantity_kind="secondaryQuantity")
DAILY = generation("B01", "P1D", market_product="A01")


def steps(start: datetime, step: timedelta, count: int, curve_type: str = "A01") -> list[Point]:
    return [Point(start + i * step, float(i) + 0.25) for i in range(count)]


def stored_series() -> list[Series]:
    """Series of several resolutions and sparse key fields over both DST changes; a daily
    series at local midnights (22:00 or 23:00 UTC); one series stored with two curve types."""
    found = []
    for days in (SPRING, AUTUMN):
        found += [
            Series(SOLAR, tuple(steps(days, QUARTER, 192)), "MAW", "A01"),
            Series(SOLAR_HOURLY, tuple(steps(days + HOUR, HOUR, 46)), "MAW", "A03"),
            Series(PUMPED_CONSUMPTION, tuple(steps(days, QUARTER, 150)), "MAW", "A01"),
            Series(UNIT, tuple(steps(days + 5 * QUARTER, QUARTER, 100)), "MAW", "A01"),
            Series(UP, tuple(steps(days, HOUR, 48)), "MAW", "A01"),
        ]
    midnights = [datetime(2024, 3, day, tzinfo=BERLIN).astimezone(UTC) for day in (29, 30, 31)] + [
        datetime(2024, 10, day, tzinfo=BERLIN).astimezone(UTC) for day in (26, 27, 28)
    ]
    found.append(
        Series(DAILY, tuple(Point(t, 100.0 + i) for i, t in enumerate(midnights)), "MAW", "A01")
    )
    # The same series with another curve type for its later points.
    found.append(Series(UNIT, tuple(steps(AUTUMN + 5 * QUARTER, QUARTER, 40)), "MAW", "A03"))
    return found


STORED = 2 * (192 + 46 + 150 + 100 + 48) + 5
"""The points stored in PERIOD: the later curve type replaces the earlier at the same instants,
and the first local midnight (28 March, 23:00 UTC) is before the period."""


async def fill(factory: UnitOfWorkFactory) -> None:
    for one in stored_series():
        async with factory() as uow:
            await uow.store.upsert(GENERATION, NL, [one])
            await uow.commit()


def essence(observations: list[Observation]) -> list[tuple[object, ...]]:
    """What a columnar read keeps of an observation (not its revision and creation time)."""
    return [(o.timestamp, o.key, o.value, o.unit, o.curve_type) for o in observations]


def assert_well_formed(page: ObservationColumns) -> None:
    ordered = sorted(page.series, key=lambda one: (attrs.astuple(one.key), one.unit))
    assert list(page.series) == ordered
    assert len(set(page.series)) == len(page.series)
    assert set(page.series_index) == set(range(len(page.series)))
    assert len(page.micros) == len(page.values) == len(page.series_index)


async def test_columns_hold_what_a_read_returns(uow_factory: UnitOfWorkFactory) -> None:
    await fill(uow_factory)
    async with uow_factory(reading=True) as uow:
        rows = await uow.store.read(GENERATION, NL, PERIOD)
        columns = await uow.store.read_columns(GENERATION, NL, PERIOD)

    assert len(rows) == STORED
    assert essence(list(columns.observations())) == essence(rows)
    assert_well_formed(columns)
    assert {one.curve_type for one in columns.series if one.key == UNIT} == {"A01", "A03"}


@pytest.mark.parametrize("limit", [1, 7, 100, 5000])
async def test_columns_page_with_the_cursor_and_limit_of_a_read(
    uow_factory: UnitOfWorkFactory, limit: int
) -> None:
    await fill(uow_factory)
    window = Interval(AUTUMN, AUTUMN + timedelta(hours=3))
    after: ObservationCursor | None = None
    seen: list[Observation] = []
    async with uow_factory(reading=True) as uow:
        everything = await uow.store.read(GENERATION, NL, window)
        while True:
            rows = await uow.store.read(GENERATION, NL, window, after=after, limit=limit)
            columns = await uow.store.read_columns(GENERATION, NL, window, after=after, limit=limit)
            assert essence(list(columns.observations())) == essence(rows)
            if not rows:
                break
            assert_well_formed(columns)
            assert columns.cursor(len(columns) - 1) == (rows[-1].timestamp, rows[-1].key)
            seen += rows
            after = columns.cursor(len(columns) - 1)

    assert seen == everything


async def test_a_cursor_within_an_instant_continues_with_the_next_series_key(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await fill(uow_factory)
    at = AUTUMN + 5 * QUARTER
    window = Interval(at, at + QUARTER)

    async with uow_factory(reading=True) as uow:
        rest = await uow.store.read_columns(GENERATION, NL, window, after=(at, PUMPED_CONSUMPTION))

    # At that instant: B10 consumption, then B14 (its later curve type), then B16.
    assert [(one.key, one.curve_type) for one in rest.series] == [(UNIT, "A03"), (SOLAR, "A01")]
    assert [(o.timestamp, o.key) for o in rest.observations()] == [(at, UNIT), (at, SOLAR)]


async def test_nothing_read_is_an_empty_page(uow_factory: UnitOfWorkFactory) -> None:
    await fill(uow_factory)
    async with uow_factory(reading=True) as uow:
        before = Interval(utc(2023, 1, 1), utc(2024, 3, 1))
        empty = await uow.store.read_columns(GENERATION, NL, before)
        elsewhere = await uow.store.read_columns("day_ahead_prices", NL, PERIOD)

    assert empty == ObservationColumns(GENERATION, NL)
    assert elsewhere == ObservationColumns("day_ahead_prices", NL)


@pytest.mark.parametrize("page_size", [7, 250, 10_000])
async def test_the_columnar_export_is_the_row_export(
    uow_factory: UnitOfWorkFactory, page_size: int
) -> None:
    await fill(uow_factory)
    reads = ReadService(uow_factory, FakeClock(utc(2024, 11, 1)))
    request = reads.request(["NL"], [GENERATION], PERIOD.start, PERIOD.end)

    rows = [page async for page in reads.pages(request, page_size=page_size)]
    columns = [page async for page in reads.column_pages(request, page_size=page_size)]

    # The same rows, in the same order, in the same pages.
    assert [len(page) for page in columns] == [len(page) for page in rows]
    for by_rows, by_columns in zip(rows, columns, strict=True):
        assert essence(list(by_columns.observations())) == essence(list(by_rows))
        assert_well_formed(by_columns)
    assert sum(map(len, rows)) == STORED


async def test_parquet_from_columns_holds_the_exported_rows(
    uow_factory: UnitOfWorkFactory, tmp_path: Path
) -> None:
    await fill(uow_factory)
    reads = ReadService(uow_factory, FakeClock(utc(2024, 11, 1)))
    request = reads.request(["NL"], [GENERATION], PERIOD.start, PERIOD.end)
    parquet = ParquetRows(tmp_path / "export.parquet", BERLIN)

    count = await reads.export_columns(request, parquet.write, page_size=250)
    parquet.close()
    expected = [row async for page in reads.pages(request, page_size=250) for row in page]

    table = pq.read_table(tmp_path / "export.parquet")
    assert count == table.num_rows == len(expected)
    assert table.schema.names == list(EXPORT_FIELDS)
    assert table.schema.field("timestamp").type == pa.timestamp("us", tz="Europe/Berlin")
    # As numbers: a local time in the repeated hour of 27 October never equals a UTC one.
    assert table.column("timestamp").cast(pa.int64()).to_pylist() == [
        micros_of(o.timestamp) for o in expected
    ]
    written = table.to_pylist()
    for row, exported in zip(written, observation_rows(expected), strict=True):
        assert {**row, "timestamp": None} == {
            field: exported.get(field) for field in EXPORT_FIELDS
        } | {"timestamp": None}


@pytest.mark.postgres
async def test_a_series_committed_between_the_statements_of_a_read_is_named(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On PostgreSQL each statement of a read sees what was committed before it began: the
    # points may name a series the read's first statement (the series of the area) did not see.
    async with open_engine(postgres_url) as engine:
        factory = SqlUnitOfWorkFactory(engine)
        await fill(factory)
        newcomer = generation("B18")
        fetch = columns_read._fetch

        async def fetch_after_a_writer(*arguments: Any) -> list[Any]:
            monkeypatch.setattr(columns_read, "_fetch", fetch)
            async with factory() as writer:
                await writer.store.upsert(
                    GENERATION, NL, [Series(newcomer, tuple(steps(SPRING, QUARTER, 4)), "MAW")]
                )
                await writer.commit()
            return await fetch(*arguments)

        monkeypatch.setattr(columns_read, "_fetch", fetch_after_a_writer)
        async with factory(reading=True) as uow:
            page = await uow.store.read_columns(GENERATION, NL, Interval(SPRING, SPRING + HOUR))

    assert [one.key.psr_type for one in page.series] == ["B10", "B16", "B18", "B20"]
    assert sum(1 for o in page.observations() if o.key == newcomer) == 4
