"""A backfill checks every answer before it is stored: a document fault fails its chunk only,
and no stored point ever lies outside the chunk that fetched it, whatever the source answers."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from datetime import datetime, timedelta

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.fakes import FakeClock, ScriptedMarketDataSource
from adapters.memory import MemoryUnitOfWorkFactory
from entsoe_core.areas import AREAS, AreaKey
from entsoe_core.datasets import DATASETS
from entsoe_core.observations import Point, Series, SeriesKey
from entsoe_core.plan import Chunk, ChunkSpan
from entsoe_core.ports import ChunkData, SourceAnswer
from entsoe_core.progress import ChunkStatus, JobStatus
from entsoe_core.services.requests import BackfillRequest
from entsoe_core.timeline import Interval, utc
from tests.unit.conftest import NOW, make_service

NL = AREAS.get("NL").code
BE = AREAS.get("BE").code
PERIOD = Interval(utc(2024, 1, 1), utc(2024, 1, 4))
EVERYTHING = Interval(utc(2015, 1, 1), utc(2031, 1, 1))


class CraftedSource(ScriptedMarketDataSource):
    """The scripted source, answering the chunks that start at given instants as told."""

    def __init__(self, clock: FakeClock, crafted: Mapping[tuple[str, datetime], SourceAnswer]):
        super().__init__(clock)
        self.crafted = crafted

    async def fetch(self, chunk: Chunk) -> SourceAnswer:
        answer = await super().fetch(chunk)
        return self.crafted.get((chunk.dataset, chunk.interval.start), answer)


def request(*datasets: str) -> BackfillRequest:
    return BackfillRequest.parse(
        ["NL"], datasets, PERIOD.start, PERIOD.end, span=ChunkSpan.DAY, max_years=10
    )


async def stored(
    uow: MemoryUnitOfWorkFactory, dataset: str
) -> dict[tuple[SeriesKey, datetime], float]:
    async with uow() as unit:
        rows = await unit.store.read(dataset, AreaKey(NL), EVERYTHING)
    return {(o.key, o.timestamp): o.value for o in rows}


def hourly(key: SeriesKey, start: datetime, values: list[float]) -> Series:
    return Series(key, tuple(Point(start + timedelta(hours=h), v) for h, v in enumerate(values)))


LOAD = SeriesKey("A65", "A16", "A04", out_domain=NL, resolution="PT60M")


async def test_a_document_fault_fails_its_chunk_and_the_run_goes_on(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    second = utc(2024, 1, 2)
    values = [1.0] * 24
    values[7] = math.nan
    source = CraftedSource(
        clock, {("actual_total_load", second): ChunkData((hourly(LOAD, second, values),))}
    )
    report = await make_service(uow, source, clock).start(request("actual_total_load"))

    assert report.job.status is JobStatus.FAILED
    assert (report.counts[ChunkStatus.DONE], report.counts[ChunkStatus.FAILED]) == (2, 1)
    assert report.counts.requests == 3
    assert report.last_error is not None
    assert report.last_error.startswith("document fault (finite values) in series 1 [A65/A16")
    assert "value nan at 2024-01-02T07:00:00+00:00" in report.last_error
    days = {timestamp.date() for _, timestamp in await stored(uow, "actual_total_load")}
    assert days == {utc(2024, 1, 1).date(), utc(2024, 1, 3).date()}
    async with uow() as unit:
        coverage = await unit.store.coverage("actual_total_load", AreaKey(NL), PERIOD)
    assert second not in {entry.interval.start for entry in coverage.entries}


async def test_an_answer_for_another_area_is_not_filed_under_the_one_asked_for(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    first = PERIOD.start
    belgian = hourly(attrs.evolve(LOAD, out_domain=BE), first, [5.0] * 24)
    source = CraftedSource(clock, {("actual_total_load", first): ChunkData((belgian,))})
    report = await make_service(uow, source, clock).start(request("actual_total_load"))

    assert report.counts[ChunkStatus.FAILED] == 1
    assert report.last_error is not None
    assert "(domain) in series 1" in report.last_error
    assert f"out_Domain {BE}" in report.last_error
    assert all(t >= utc(2024, 1, 2) for _, t in await stored(uow, "actual_total_load"))


async def test_whole_price_days_are_stored_only_inside_their_chunk(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    prices = SeriesKey("A44", "", "A62", in_domain=NL, out_domain=NL, resolution="PT60M")
    second = utc(2024, 1, 2)
    # Delivery days 2024-01-02 and 2024-01-03 (CET), from 23:00Z the day before.
    days = hourly(prices, second - timedelta(hours=1), [float(h) for h in range(48)])
    source = CraftedSource(clock, {("day_ahead_prices", second): ChunkData((days,))})
    report = await make_service(uow, source, clock).start(request("day_ahead_prices"))

    assert report.job.status is JobStatus.COMPLETED
    kept = {t: v for (k, t), v in (await stored(uow, "day_ahead_prices")).items() if k == prices}
    assert sorted(kept) == [second + timedelta(hours=h) for h in range(24)]
    assert kept[second] == 1.0  # the second hour of the answer, the first of the chunk


# -- whatever the source answers -------------------------------------------------------------

DATASET_KEYS = ("actual_total_load", "day_ahead_prices")
CORRECT = {
    "actual_total_load": LOAD,
    "day_ahead_prices": SeriesKey(
        "A44", "", "A62", in_domain=NL, out_domain=NL, resolution="PT60M"
    ),
}

any_value = st.one_of(
    st.floats(-1e5, 1e5, allow_nan=False),
    st.sampled_from([math.nan, math.inf, -math.inf]),
    st.floats(),
)


@st.composite
def answers(draw: st.DrawFn, dataset: str) -> ChunkData:
    """An answer for a chunk starting at offset 0: keys right or wrong, points anywhere from
    three days before to four days after its start, any values."""
    series = []
    for _ in range(draw(st.integers(0, 3))):
        key = CORRECT[dataset]
        if draw(st.booleans()):
            key = attrs.evolve(
                key,
                document_type=draw(st.sampled_from(["A65", "A44"])),
                process_type=draw(st.sampled_from(["A16", "A01", ""])),
                in_domain=draw(st.sampled_from(["", NL, BE])),
                out_domain=draw(st.sampled_from(["", NL, BE])),
                resolution=draw(st.sampled_from(["PT60M", "PT15M", "P1Y"])),
            )
        offsets = draw(st.lists(st.integers(-3 * 96, 4 * 96), max_size=30))
        values = draw(st.lists(any_value, min_size=len(offsets), max_size=len(offsets)))
        points = tuple(
            Point(PERIOD.start + timedelta(minutes=15 * o), v)
            for o, v in zip(offsets, values, strict=True)
        )
        series.append(Series(key, points))
    return ChunkData(tuple(series))


def shifted(answer: ChunkData, by: timedelta) -> ChunkData:
    return ChunkData(
        tuple(
            attrs.evolve(s, points=tuple(Point(p.timestamp + by, p.value) for p in s.points))
            for s in answer.series
        )
    )


@st.composite
def scripts(draw: st.DrawFn) -> dict[tuple[str, datetime], ChunkData]:
    """Crafted answers for some of the chunks of both datasets (the rest answer normally)."""
    script = {}
    for dataset in DATASET_KEYS:
        for day in range(3):
            if draw(st.booleans()):
                answer = draw(answers(dataset))
                script[(dataset, PERIOD.start + timedelta(days=day))] = shifted(
                    answer, timedelta(days=day)
                )
    return script


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=scripts())
def test_no_stored_point_lies_outside_its_chunk_whatever_the_source_answers(
    script: dict[tuple[str, datetime], ChunkData],
) -> None:
    clock = FakeClock(NOW)
    uow = MemoryUnitOfWorkFactory()
    source = CraftedSource(clock, script)
    report = asyncio.run(make_service(uow, source, clock).start(request(*DATASET_KEYS)))

    async def chunks() -> list[tuple[Chunk, ChunkStatus, str | None]]:
        async with uow() as unit:
            found = await unit.progress.get_chunks(report.job.id)
        return [(c.chunk, c.status, c.last_error) for c in found]

    outcome = asyncio.run(chunks())
    assert len(outcome) == 6
    for dataset in DATASET_KEYS:
        held = asyncio.run(stored(uow, dataset))
        expected: dict[tuple[SeriesKey, datetime], float] = {}
        for chunk, status, error in outcome:
            if chunk.dataset != dataset:
                continue
            crafted = script.get((dataset, chunk.interval.start))
            if status is ChunkStatus.FAILED:
                assert crafted is not None
                assert error is not None
                assert error.startswith("document fault ("), error
                continue
            assert status is ChunkStatus.DONE
            answer = crafted or asyncio.run(ScriptedMarketDataSource(clock).fetch(chunk))
            assert isinstance(answer, ChunkData)
            whole_days = DATASETS.get(dataset).whole_days
            for series in answer.series:
                for point in series.points:
                    assert math.isfinite(point.value)
                    inside = chunk.interval.contains(point.timestamp)
                    # Nothing is dropped, but for the days around a whole-day chunk.
                    assert inside or whole_days
                    if inside:
                        expected[(series.key, point.timestamp)] = point.value
        assert held == expected
