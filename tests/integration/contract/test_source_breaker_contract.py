"""SourceBreakerPort: the in-memory breaker and the SQL one (SQLite, PostgreSQL) keep one contract.

Several breakers made by one fixture share one state, as the lanes of one process share the
memory breaker and every worker on a database shares the SQL one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from adapters.fakes import FakeClock
from adapters.memory import MemorySourceBreaker
from adapters.sqlalchemy import SqlSourceBreaker
from adapters.sqlalchemy.tables import source_state
from entsoe_core.breaker import BreakerPolicy, SourceState
from tests.integration.contract.builders import NOW
from tests.integration.databases import open_engine, sqlite_url

Breaker = MemorySourceBreaker | SqlSourceBreaker
MakeBreaker = Callable[[], Breaker]
"""Another user of the one shared breaker."""

POLICY = BreakerPolicy(threshold=3, first_probe_seconds=30, max_probe_seconds=100)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def make_breaker(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[MakeBreaker]:
    if request.param == "memory":
        shared = MemorySourceBreaker(clock, POLICY)
        yield lambda: shared
        return
    url = (
        sqlite_url(tmp_path)
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    async with open_engine(url) as engine:
        yield lambda: SqlSourceBreaker(engine, clock, POLICY)


async def open_it(breaker: Breaker, clock: FakeClock) -> None:
    for _ in range(POLICY.threshold):
        await breaker.record_failure("503 Scheduled maintenance")
        clock.advance(1)


async def test_nothing_recorded_reads_closed_and_clean(make_breaker: MakeBreaker) -> None:
    assert await make_breaker().read() == SourceState()


async def test_failures_in_a_row_open_it_for_every_user(
    make_breaker: MakeBreaker, clock: FakeClock
) -> None:
    one, other = make_breaker(), make_breaker()
    changes = []
    for _ in range(POLICY.threshold):
        changes.append(await one.record_failure("404 page not found"))
        clock.advance(1)

    assert [c.opened for c in changes] == [False, False, True]
    state = await other.read()
    assert state.is_open
    assert state.failures == 3
    assert state.failing_since == NOW
    assert state.last_failure == "404 page not found"
    assert state.last_failure_at == NOW + timedelta(seconds=2)
    assert state.next_probe_at == NOW + timedelta(seconds=2 + 30)
    assert state.probe_seconds == 30


async def test_a_success_closes_it_and_resets_everything(
    make_breaker: MakeBreaker, clock: FakeClock
) -> None:
    one, other = make_breaker(), make_breaker()
    await open_it(one, clock)

    change = await other.record_success()

    assert change.closed
    assert change.before.failures == 3
    assert await one.read() == SourceState(last_success_at=clock.now())
    again = await one.record_success()
    assert not again.closed
    assert again.after == again.before


async def test_a_success_in_between_starts_the_count_again(
    make_breaker: MakeBreaker, clock: FakeClock
) -> None:
    breaker = make_breaker()
    await breaker.record_failure("503")
    await breaker.record_failure("503")
    await breaker.record_success()
    await breaker.record_failure("503")
    await breaker.record_failure("503")

    state = await breaker.read()
    assert not state.is_open
    assert state.failures == 2


async def test_the_probe_is_taken_only_when_due_at_growing_intervals(
    make_breaker: MakeBreaker, clock: FakeClock
) -> None:
    breaker = make_breaker()
    assert not await breaker.take_probe()  # closed: there is no probe to take
    await open_it(breaker, clock)
    opened = NOW + timedelta(seconds=2)
    clock.advance(26)  # 29 s after it opened
    assert not await breaker.take_probe()

    due = opened
    for interval in (30, 60, 100, 100):
        due += timedelta(seconds=interval)
        clock.advance((due - clock.now()).total_seconds())
        assert await breaker.take_probe()
        assert not await breaker.take_probe()
        await breaker.record_failure("503")  # the probe failed; the schedule stands
    state = await breaker.read()
    assert state.next_probe_at == due + timedelta(seconds=100)
    assert state.failures == 3 + 4


async def test_of_workers_racing_for_one_due_probe_exactly_one_wins(
    make_breaker: MakeBreaker, clock: FakeClock
) -> None:
    await open_it(make_breaker(), clock)
    for _ in range(5):
        clock.advance(200)
        won = await asyncio.gather(*(make_breaker().take_probe() for _ in range(4)))
        assert sorted(won) == [False, False, False, True]


async def test_failures_from_many_workers_at_once_are_all_counted(
    make_breaker: MakeBreaker,
) -> None:
    await asyncio.gather(*(make_breaker().record_failure("503") for _ in range(6)))

    state = await make_breaker().read()
    assert state.failures == 6
    assert state.is_open


@pytest.mark.parametrize(
    "dialect", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_a_success_on_a_clean_state_writes_no_row(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock, dialect: str
) -> None:
    url = sqlite_url(tmp_path) if dialect == "sqlite" else request.getfixturevalue("postgres_url")
    async with open_engine(url) as engine:
        breaker = SqlSourceBreaker(engine, clock, POLICY)
        await breaker.record_success()
        async with engine.connect() as conn:
            rows = (
                await conn.execute(sa.select(sa.func.count()).select_from(source_state))
            ).scalar()

    assert rows == 0
