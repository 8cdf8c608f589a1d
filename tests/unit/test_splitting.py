"""Refusals teach: refused chunks are split into chunks that fit, in one unit of work."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from adapters.fakes import Failure, FakeClock, ScriptedMarketDataSource, refuse_longer_than
from adapters.memory import MemoryDatabase, MemoryUnitOfWork, MemoryUnitOfWorkFactory
from entsoe_core.areas import AREAS, AreaKey
from entsoe_core.datasets import DATASETS
from entsoe_core.errors import IllegalTransition
from entsoe_core.limits import LearnedLimit, RequestSpan, tighter
from entsoe_core.plan import Chunk, ChunkPolicy, ChunkSpan
from entsoe_core.ports import SourceAnswer
from entsoe_core.progress import ChunkProgress, ChunkStatus, JobStatus, split_children
from entsoe_core.services.requests import BackfillRequest
from entsoe_core.services.splitting import halve
from entsoe_core.timeline import Interval, utc
from tests.unit.conftest import NOW, make_service

PRICES = "day_ahead_prices"
NL = AREAS.key("NL")
MONTH = RequestSpan(months=1)
WHOLE = Interval(utc(2015, 1, 1), utc(2030, 1, 1))


def year_of_prices(*areas: str, span: ChunkSpan | None = None) -> BackfillRequest:
    return BackfillRequest.parse(
        areas or ("NL",), [PRICES], utc(2023, 1, 1), utc(2024, 1, 1), span=span
    )


async def stored(uow: MemoryUnitOfWorkFactory, area: AreaKey = NL) -> list[tuple[object, ...]]:
    async with uow(reading=True) as unit:
        rows = await unit.store.read(PRICES, area, WHOLE)
    return [(o.key, o.timestamp, o.value) for o in rows]


async def monthly_run(*areas: str) -> dict[AreaKey, list[tuple[object, ...]]]:
    clock = FakeClock(NOW)
    uow = MemoryUnitOfWorkFactory()
    report = await make_service(uow, ScriptedMarketDataSource(clock), clock).start(
        year_of_prices(*areas, span=ChunkSpan.MONTH)
    )
    assert report.counts[ChunkStatus.DONE] == 12 * len(areas or ("NL",))
    return {AREAS.key(a): await stored(uow, AREAS.key(a)) for a in areas or ("NL",)}


async def test_a_year_refused_with_p1m_becomes_twelve_months_with_the_points_of_a_monthly_plan(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    source = ScriptedMarketDataSource(clock, rule=refuse_longer_than("P1M"))
    service = make_service(uow, source, clock)

    report = await service.start(year_of_prices())

    assert report.job.status is JobStatus.COMPLETED
    assert report.counts.split == 1
    assert report.counts.total == report.counts[ChunkStatus.DONE] == 12
    assert report.counts.requests == len(source.requests) == 13
    assert report.last_error is None
    assert [r.interval for r in source.requests[1:]] == list(
        ChunkPolicy(ChunkSpan.MONTH).cut(
            DATASETS.get(PRICES),
            Interval(utc(2023, 1, 1), utc(2024, 1, 1)),
        )
    )
    assert await stored(uow) == (await monthly_run())[NL]
    assert [(limit.dataset, limit.span) for limit in report.limits] == [(PRICES, MONTH)]
    async with uow(reading=True) as unit:
        chunks = await unit.progress.get_chunks(report.job.id)
    parent = chunks[0]
    assert parent.status is ChunkStatus.SPLIT
    assert parent.requests == 1
    assert parent.last_error is not None
    assert "P1M" in parent.last_error
    assert [c.id for c in chunks[1:]] == [f"{parent.id}.{n}" for n in range(1, 13)]
    assert {c.parent_id for c in chunks[1:]} == {parent.id}


async def test_the_second_chunk_of_the_dataset_is_split_without_a_request(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    source = ScriptedMarketDataSource(clock, rule=refuse_longer_than("P1M"))
    service = make_service(uow, source, clock, max_requests_in_flight=1)

    report = await service.start(year_of_prices("NL", "BE"))

    refused = [r for r in source.requests if not MONTH.fits(r.interval)]
    assert len(refused) == 1
    assert report.job.status is JobStatus.COMPLETED
    assert report.counts.split == 2
    assert report.counts[ChunkStatus.DONE] == report.counts.total == 24
    assert report.counts.requests == len(source.requests) == 25
    expected = await monthly_run("NL", "BE")
    for area in expected:
        assert await stored(uow, area) == expected[area]


async def test_a_later_plan_fits_what_was_learned_and_sends_no_refused_request(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    source = ScriptedMarketDataSource(clock, rule=refuse_longer_than("P1M"))
    await make_service(uow, source, clock).start(year_of_prices())
    sent = len(source.requests)

    later = BackfillRequest.parse(["BE"], [PRICES], utc(2022, 1, 1), utc(2023, 1, 1))
    report = await make_service(uow, source, clock).start(later)

    assert all(MONTH.fits(r.interval) for r in source.requests[sent:])
    assert report.counts.split == 0
    assert report.counts.total == 12


async def test_a_refusal_naming_no_limit_halves_at_a_day_and_learns_nothing(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    def rule(chunk: Chunk, _: int) -> Failure | None:
        too_long = chunk.interval.end - chunk.interval.start > timedelta(days=100)
        return Failure("too_long") if too_long else None

    source = ScriptedMarketDataSource(clock, rule=rule)
    report = await make_service(uow, source, clock).start(year_of_prices())

    assert report.job.status is JobStatus.COMPLETED
    assert report.limits == ()
    assert report.counts.split == 3
    assert report.counts.total == 4
    assert await stored(uow) == (await monthly_run())[NL]
    for request in source.requests[1:]:
        assert request.interval.start.hour == request.interval.end.hour == 0


async def test_too_many_instances_halves_down_to_a_day_then_fails_naming_the_limit(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    source = ScriptedMarketDataSource(clock, rule=lambda chunk, _: Failure("too_many"))
    four_days = BackfillRequest.parse(["NL"], [PRICES], utc(2023, 1, 1), utc(2023, 1, 5))

    report = await make_service(uow, source, clock).start(four_days)

    assert report.job.status is JobStatus.FAILED
    assert report.limits == ()
    assert report.counts.split == 3
    assert report.counts[ChunkStatus.FAILED] == report.counts.total == 4
    assert report.counts.requests == len(source.requests) == 7
    assert report.last_error is not None
    assert "exceeds the allowed maximum (100)" in report.last_error
    assert "one day" in report.last_error
    one_day = timedelta(days=1)
    assert sorted(r.interval.end - r.interval.start for r in source.requests)[:4] == [one_day] * 4


async def test_too_many_instances_for_a_week_completes_in_days(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    def rule(chunk: Chunk, _: int) -> Failure | None:
        return (
            Failure("too_many")
            if chunk.interval.end - chunk.interval.start > timedelta(days=2)
            else None
        )

    source = ScriptedMarketDataSource(clock, rule=rule)
    week = BackfillRequest.parse(["NL"], [PRICES], utc(2023, 1, 1), utc(2023, 1, 8))

    report = await make_service(uow, source, clock).start(week)

    assert report.job.status is JobStatus.COMPLETED
    assert report.counts.points_written == 2 * 7 * 24
    assert report.counts[ChunkStatus.DONE] == report.counts.total


async def test_a_one_day_chunk_refused_as_too_long_fails_with_the_refusal(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    source = ScriptedMarketDataSource(clock, failures=[Failure("too_long")])
    one_day = BackfillRequest.parse(["NL"], [PRICES], utc(2023, 1, 1), utc(2023, 1, 2))

    report = await make_service(uow, source, clock).start(one_day)

    assert report.job.status is JobStatus.FAILED
    assert report.counts.split == 0
    assert report.last_error is not None
    assert report.last_error.startswith("scripted refusal (400): the time interval is too long")


async def test_a_tighter_limit_learned_elsewhere_splits_a_planned_chunk_before_sending(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    source = ScriptedMarketDataSource(clock)
    service = make_service(uow, source, clock)
    job = await service.create(year_of_prices())
    async with uow() as unit:
        await unit.limits.learn(LearnedLimit(PRICES, RequestSpan(months=3), NOW, "P3M, elsewhere"))
        await unit.commit()

    report = await service.run(job.id)

    assert report.job.status is JobStatus.COMPLETED
    assert all(RequestSpan(months=3).fits(r.interval) for r in source.requests)
    assert len(source.requests) == report.counts.requests == report.counts.total == 4
    assert report.counts.split == 1


class Crash(BaseException):
    """The process dies."""


class CrashingOnSplit(MemoryUnitOfWork):
    """Dies at the commit of the unit of work that adds chunks (a split), once."""

    crashed = False

    async def commit(self) -> None:
        chunks = self._tables[3]
        if not CrashingOnSplit.crashed and len(chunks) > len(self.database.chunks):
            CrashingOnSplit.crashed = True
            raise Crash
        await super().commit()


async def test_a_crash_in_the_middle_of_a_split_leaves_it_wholly_undone_and_resume_finishes(
    clock: FakeClock,
) -> None:
    database = MemoryDatabase()
    uow = MemoryUnitOfWorkFactory(database)

    def crashing(*, reading: bool = False) -> MemoryUnitOfWork:
        return CrashingOnSplit(database, reading=reading)

    source = ScriptedMarketDataSource(clock, rule=refuse_longer_than("P1M"))
    job = await make_service(uow, source, clock).create(year_of_prices())
    with pytest.raises(Crash):
        await make_service(crashing, source, clock).run(job.id)

    assert database.dataset_limits == {}
    assert [c.status for c in database.chunks.values()] == [ChunkStatus.IN_FLIGHT]
    clock.advance(timedelta(minutes=3).total_seconds())

    report = await make_service(uow, source, clock).resume(job.id)

    assert report.job.status is JobStatus.COMPLETED
    assert report.counts.split == 1
    assert report.counts[ChunkStatus.DONE] == report.counts.total == 12
    assert await stored(uow) == (await monthly_run())[NL]
    fetched = [r.interval for r in source.requests if MONTH.fits(r.interval)]
    assert len(fetched) == len(set(fetched)) == 12


@pytest.mark.parametrize(
    ("interval", "pieces"),
    [
        (
            Interval(utc(2023, 1, 1), utc(2023, 1, 5)),
            [
                Interval(utc(2023, 1, 1), utc(2023, 1, 3)),
                Interval(utc(2023, 1, 3), utc(2023, 1, 5)),
            ],
        ),
        (
            Interval(utc(2023, 1, 1, 12), utc(2023, 1, 2, 18)),
            [
                Interval(utc(2023, 1, 1, 12), utc(2023, 1, 2)),
                Interval(utc(2023, 1, 2), utc(2023, 1, 2, 18)),
            ],
        ),
        (Interval(utc(2023, 1, 1), utc(2023, 1, 2)), None),
        (Interval(utc(2023, 1, 1, 6), utc(2023, 1, 2, 6)), None),
    ],
)
def test_halving_cuts_at_the_day_boundary_nearest_the_middle(
    interval: Interval, pieces: list[Interval] | None
) -> None:
    assert halve(interval) == pieces


@pytest.mark.parametrize(
    ("first", "second", "stricter"),
    [
        ("P1Y", "P1M", "P1M"),
        ("P3M", "P2M", "P2M"),
        ("P10D", "P1M", "P10D"),
        ("P28D", "P1M", "P28D"),
        ("P40D", "P1M", "P1M"),
        ("P1M", "P1M", "P1M"),
    ],
)
def test_the_tighter_of_two_limits_is_the_one_that_can_last_less(
    first: str, second: str, stricter: str
) -> None:
    one, other = RequestSpan.parse(first), RequestSpan.parse(second)
    assert tighter(one, other) == tighter(other, one) == RequestSpan.parse(stricter)


def test_children_must_cover_their_parent_exactly_in_more_than_one_piece() -> None:
    parent = ChunkProgress("c", "j", Chunk(PRICES, NL, Interval(utc(2023, 1, 1), utc(2023, 1, 5))))
    with pytest.raises(IllegalTransition):
        split_children(parent, [parent.chunk.interval], NOW)
    with pytest.raises(IllegalTransition):
        split_children(
            parent,
            [
                Interval(utc(2023, 1, 1), utc(2023, 1, 2)),
                Interval(utc(2023, 1, 3), utc(2023, 1, 5)),
            ],
            NOW,
        )
    with pytest.raises(IllegalTransition):
        split_children(
            parent,
            [
                Interval(utc(2023, 1, 1), utc(2023, 1, 2)),
                Interval(utc(2023, 1, 2), utc(2023, 1, 4)),
            ],
            NOW,
        )


class SlowSource(ScriptedMarketDataSource):
    """Answers after giving the other lanes their turn, as a real request does."""

    async def fetch(self, chunk: Chunk) -> SourceAnswer:
        for _ in range(5):
            await asyncio.sleep(0)
        return await super().fetch(chunk)


async def test_a_new_limit_is_met_by_one_refused_request_however_many_lanes_run(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    source = SlowSource(clock, rule=refuse_longer_than("P1M"))
    service = make_service(uow, source, clock, max_requests_in_flight=4)

    report = await service.start(year_of_prices("NL", "BE", "FR", "AT"))

    assert report.job.status is JobStatus.COMPLETED
    refused = [r for r in source.requests if not MONTH.fits(r.interval)]
    assert len(refused) == 1
    assert report.counts.split == 4
    assert report.counts[ChunkStatus.DONE] == 4 * 12
    assert len(source.requests) == 1 + 4 * 12


class CountingUnitOfWorkFactory(MemoryUnitOfWorkFactory):
    """Counts the reading units of work it makes."""

    def __init__(self) -> None:
        super().__init__()
        self.reading = 0

    def __call__(self, *, reading: bool = False) -> MemoryUnitOfWork:
        self.reading += reading
        return super().__call__(reading=reading)


async def test_whether_a_claimed_chunk_fits_is_read_with_its_claim_once_its_dataset_answered(
    clock: FakeClock,
) -> None:
    uow = CountingUnitOfWorkFactory()
    service = make_service(uow, ScriptedMarketDataSource(clock), clock, max_requests_in_flight=1)
    job = await service.create(year_of_prices("NL", "BE", span=ChunkSpan.MONTH))
    before = uow.reading

    report = await service.run(job.id)

    assert report.counts[ChunkStatus.DONE] == 24
    # One read of its own for the first chunk (its dataset not answered yet), then every chunk
    # is fitted with what its claim read; the rest are the run's own reads (status and such),
    # whatever the number of chunks.
    others = uow.reading - before - 1
    assert others < 5, others
