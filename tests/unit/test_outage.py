"""Outages are waited out, not failed: the runner under the circuit breaker, on the scripted
source and the fake clock."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from datetime import datetime, timedelta

import pytest

from adapters.fakes import Failure, FakeClock, ScriptedMarketDataSource
from adapters.memory import MemoryRateLimiter, MemorySourceBreaker, MemoryUnitOfWorkFactory
from entsoe_core.breaker import BreakerPolicy
from entsoe_core.plan import ChunkSpan
from entsoe_core.progress import ChunkProgress, ChunkStatus, JobStatus
from entsoe_core.services.backfill import BackfillService, RunLimits
from entsoe_core.services.requests import BackfillRequest
from entsoe_core.services.retry import RetryPolicy
from entsoe_core.timeline import Interval, utc
from tests.unit.conftest import NOW

POLICY = BreakerPolicy(threshold=3, first_probe_seconds=30, max_probe_seconds=1800)
# One request a second: the run meets the outage after its first six chunks.
OUTAGE = Interval(NOW + timedelta(seconds=5.5), NOW + timedelta(hours=1))


def a_year(areas: tuple[str, ...] = ("NL",)) -> BackfillRequest:
    return BackfillRequest.parse(
        list(areas), ["day_ahead_prices"], utc(2023, 1, 1), utc(2024, 1, 1), span=ChunkSpan.MONTH
    )


def service_on(
    source: ScriptedMarketDataSource,
    clock: FakeClock,
    breaker: MemorySourceBreaker | None,
    *,
    lanes: int = 1,
    uow: MemoryUnitOfWorkFactory | None = None,
) -> BackfillService:
    return BackfillService(
        uow or MemoryUnitOfWorkFactory(),
        source,
        clock,
        MemoryRateLimiter(clock, per_minute=60, burst=1),
        retry=RetryPolicy(attempts=3, base_seconds=1, max_seconds=10),
        limits=RunLimits(max_requests_in_flight=lanes, lease=timedelta(hours=2)),
        rng=random.Random(3),
        breaker=breaker,
    )


def probes_after(opened: datetime, sent: list[datetime]) -> list[float]:
    """The gaps between the breaker's opening and each request after it, one to the next."""
    times = [opened, *sorted(t for t in sent if t > opened)]
    return [(b - a).total_seconds() for a, b in itertools.pairwise(times)]


async def chunks_of(
    service: BackfillService, uow: MemoryUnitOfWorkFactory, job_id: str
) -> list[ChunkProgress]:
    async with uow(reading=True) as tx:
        return await tx.progress.get_chunks(job_id)


async def test_an_outage_in_the_middle_of_a_backfill_is_waited_out(clock: FakeClock) -> None:
    source = ScriptedMarketDataSource(clock, outages=[OUTAGE])
    breaker = MemorySourceBreaker(clock, POLICY)
    uow = MemoryUnitOfWorkFactory()
    service = service_on(source, clock, breaker, uow=uow)

    report = await service.start(a_year())

    assert report.job.status is JobStatus.COMPLETED
    assert report.counts[ChunkStatus.DONE] == 12
    assert report.counts[ChunkStatus.FAILED] == 0
    assert report.outage is None
    during = [t for t in source.sent_at if OUTAGE.contains(t)]
    # Three failures in a row open the breaker; then only the probes go out, 30 s after it
    # opened, then at doubling intervals; the seventh comes after the outage and closes it.
    opened = during[2]
    gaps = probes_after(opened, during)
    assert len(during) == 3 + 6
    assert [round(g) for g in gaps] == [30, 60, 120, 240, 480, 960]
    after = [t for t in source.sent_at if t >= OUTAGE.end]
    assert round((after[0] - during[-1]).total_seconds()) == 1800
    # No attempt was burnt on the outage: every chunk took one, and the requests it cost
    # (the failed ones included) are counted.
    chunks = await chunks_of(service, uow, report.job.id)
    assert [c.attempts for c in chunks] == [1] * 12
    assert sum(c.requests for c in chunks) == report.counts.requests == len(source.requests)
    assert breaker.state.is_clean


async def test_lanes_and_areas_together_send_nothing_but_probes_while_open(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    source = ScriptedMarketDataSource(clock, outages=[OUTAGE])
    breaker = MemorySourceBreaker(clock, POLICY)
    service = service_on(source, clock, breaker, lanes=4)

    with caplog.at_level(logging.WARNING, logger="entsoe_core.services.outage"):
        report = await service.start(a_year(("NL", "BE", "FR")))

    assert report.counts[ChunkStatus.DONE] == 36
    assert report.counts[ChunkStatus.FAILED] == 0
    during = sorted(t for t in source.sent_at if OUTAGE.contains(t))
    # At most the three that open it and the other lanes' requests already on their way.
    before_open = [t for t in during if t < during[0] + timedelta(seconds=30)]
    assert 3 <= len(before_open) <= 3 + 3
    gaps = probes_after(before_open[-1], during)
    # Waiting lanes move the fake clock on in turns, so a probe may go a little late.
    assert 1 <= len(gaps) <= 6
    assert all(gap >= 30 * 2**i for i, gap in enumerate(gaps))
    # Once when it opens, once when it closes.
    opened = [r.message for r in caplog.records if "source unavailable since" in r.message]
    closed = [r.message for r in caplog.records if "source available again" in r.message]
    assert len(opened) == 1
    assert "no requests until the next probe at" in opened[0]
    assert "scripted outage: 503 Scheduled maintenance" in opened[0]
    assert len(closed) == 1


async def test_no_chunk_fails_however_long_the_outage(clock: FakeClock) -> None:
    two_days = Interval(NOW, NOW + timedelta(days=2))
    source = ScriptedMarketDataSource(clock, outages=[two_days])
    service = service_on(source, clock, MemorySourceBreaker(clock, POLICY), lanes=2)

    report = await service.start(a_year())

    assert report.counts[ChunkStatus.DONE] == 12
    assert report.counts[ChunkStatus.FAILED] == 0
    during = sorted(t for t in source.sent_at if two_days.contains(t))
    # The probe interval stops growing at the cap: about one probe every 30 minutes.
    assert max(probes_after(during[2], during)) < 1800 + 11
    assert len(during) < 3 + 1 + 2 * 24 * 2 + 8


async def test_a_breaker_already_open_holds_every_request_until_the_probe(
    clock: FakeClock,
) -> None:
    breaker = MemorySourceBreaker(clock, POLICY)
    for _ in range(3):
        await breaker.record_failure("404 page not found")
    source = ScriptedMarketDataSource(clock)
    service = service_on(source, clock, breaker, lanes=4)

    report = await service.start(a_year())

    assert report.counts[ChunkStatus.DONE] == 12
    assert source.sent_at[0] == NOW + timedelta(seconds=30)
    assert breaker.state.is_clean


async def test_one_unavailable_answer_is_retried_like_any_transient_failure(
    clock: FakeClock,
) -> None:
    source = ScriptedMarketDataSource(clock, failures=[Failure("unavailable")])
    breaker = MemorySourceBreaker(clock, POLICY)
    uow = MemoryUnitOfWorkFactory()
    service = service_on(source, clock, breaker, uow=uow)

    report = await service.start(a_year())

    assert report.counts[ChunkStatus.DONE] == 12
    chunks = await chunks_of(service, uow, report.job.id)
    assert [c.attempts for c in chunks] == [2] + [1] * 11
    # The failure, then the success that wiped it; the other successes wrote nothing.
    assert breaker.writes == 2
    assert breaker.state.is_clean
    assert breaker.state.last_success_at is not None


async def test_without_an_outage_a_run_never_writes_the_breaker(clock: FakeClock) -> None:
    breaker = MemorySourceBreaker(clock, POLICY)
    service = service_on(ScriptedMarketDataSource(clock), clock, breaker, lanes=4)

    await service.start(a_year(("NL", "BE")))

    assert breaker.writes == 0


async def test_a_worker_waits_for_the_source_too(clock: FakeClock) -> None:
    source = ScriptedMarketDataSource(clock, outages=[OUTAGE])
    uow = MemoryUnitOfWorkFactory()
    service = service_on(source, clock, MemorySourceBreaker(clock, POLICY), lanes=2, uow=uow)
    job = await service.create(a_year())
    await service.activate(job.id)
    stop = asyncio.Event()
    finished: list[ChunkProgress] = []

    def on_chunk(chunk: ChunkProgress) -> None:
        finished.append(chunk)
        if len(finished) == 12:
            stop.set()

    await service.work(follow=True, on_chunk=on_chunk, stop=stop)

    assert [c.status for c in finished] == [ChunkStatus.DONE] * 12
    assert any(t >= OUTAGE.end for t in source.sent_at)


async def test_the_report_of_a_waiting_job_says_since_when_the_source_is_down(
    clock: FakeClock,
) -> None:
    breaker = MemorySourceBreaker(clock, POLICY)
    service = service_on(ScriptedMarketDataSource(clock), clock, breaker)
    done = await service.start(a_year())
    waiting = await service.create(a_year(("BE",)))
    first = clock.now()
    for _ in range(3):
        await breaker.record_failure("404 page not found")
        clock.advance(5)

    report = await service.status(waiting.id)

    assert report.outage is not None
    assert report.outage.failing_since == first
    assert report.outage.last_failure == "404 page not found"
    assert report.outage.next_probe_at == first + timedelta(seconds=10 + 30)
    assert (await service.status(done.job.id)).outage is None
    assert await service.reports.outage() == report.outage
