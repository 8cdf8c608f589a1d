"""RateLimiterPort: the in-memory limiter and the SQL one (SQLite, PostgreSQL) keep one contract.

Several limiters made by one fixture share one budget, as the lanes of one process share the
memory limiter and every worker on a database shares the SQL one.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.fakes import FakeClock
from adapters.memory import MemoryRateLimiter
from adapters.sqlalchemy import SqlRateLimiter
from entsoe_core.budget import RequestBudget
from entsoe_core.errors import ConfigurationError
from tests.integration.contract.builders import NOW
from tests.integration.databases import open_engine, sqlite_url

Limiter = MemoryRateLimiter | SqlRateLimiter
MakeLimiter = Callable[[FakeClock, float, int], Limiter]
"""A limiter on the shared budget, with this clock, rate per minute and burst."""


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def new_budget(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Callable[[], MakeLimiter]]:
    """Makes a fresh budget (no request admitted yet) and returns its limiter maker."""
    if request.param == "memory":

        def memory_budget() -> MakeLimiter:
            made: list[MemoryRateLimiter] = []

            def memory(clock: FakeClock, per_minute: float, burst: int) -> Limiter:
                # One process has one limiter; its lanes share it.
                if not made:
                    made.append(MemoryRateLimiter(clock, per_minute, burst))
                return made[0]

            return memory

        yield memory_budget
        return
    url = (
        sqlite_url(tmp_path)
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    async with AsyncExitStack() as stack:
        engine = await stack.enter_async_context(open_engine(url))
        names = itertools.count()

        def sql_budget() -> MakeLimiter:
            name = f"budget-{next(names)}"

            def sql(clock: FakeClock, per_minute: float, burst: int) -> Limiter:
                return SqlRateLimiter(engine, clock, per_minute, burst, name=name)

            return sql

        yield sql_budget


@pytest.fixture
def make_limiter(new_budget: Callable[[], MakeLimiter]) -> MakeLimiter:
    return new_budget()


def busiest_excess(admissions: list[datetime], per_minute: float, burst: int) -> float:
    """How far the busiest window exceeds ``burst + refill * window`` (<= 0 when within)."""
    times = sorted(admissions)
    rate = RequestBudget(per_minute, burst).refill_per_second
    worst = float("-inf")
    for i, first in enumerate(times):
        for j in range(i, len(times)):
            window = (times[j] - first).total_seconds()
            worst = max(worst, (j - i + 1) - (burst + rate * window))
    return worst


async def test_a_burst_goes_at_once_and_the_rest_at_the_rate(make_limiter: MakeLimiter) -> None:
    clock = FakeClock(NOW)
    # 64 a minute, 3 at once and 1 kept back: the bucket refills one a second.
    limiter = make_limiter(clock, 64, 3)
    admitted = []
    for _ in range(6):
        await limiter.acquire()
        admitted.append(clock.now())

    assert admitted[:3] == [NOW] * 3
    assert admitted[3:] == [NOW + timedelta(seconds=s) for s in (1, 2, 3)]
    assert limiter.admitted == 6
    assert limiter.last_admitted_at == admitted[-1]


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    per_minute=st.integers(14, 400),
    burst=st.integers(1, 12),
    gaps=st.lists(st.floats(0, 5), min_size=1, max_size=30),
    lanes=st.integers(1, 4),
)
async def test_lanes_never_exceed_the_budget_in_any_window(
    new_budget: Callable[[], MakeLimiter],
    per_minute: int,
    burst: int,
    gaps: list[float],
    lanes: int,
) -> None:
    make_limiter = new_budget()
    clock = FakeClock(NOW)
    admitted: list[datetime] = []

    async def lane(part: list[float]) -> None:
        limiter = make_limiter(clock, per_minute, burst)
        for gap in part:
            clock.advance(gap)
            await limiter.acquire()
            # The instant of admission, not of return: the fake clock jumps forward while
            # other lanes wait, and a SQL limiter commits before it returns.
            assert limiter.last_admitted_at is not None
            admitted.append(limiter.last_admitted_at)

    await asyncio.gather(*(lane(gaps[i::lanes]) for i in range(lanes)))

    assert len(admitted) == len(gaps)
    assert busiest_excess(admitted, per_minute, burst) <= 1e-6


async def test_a_ban_stops_every_request_until_it_ends(make_limiter: MakeLimiter) -> None:
    clock = FakeClock(NOW)
    banned, other = make_limiter(clock, 64, 3), make_limiter(clock, 64, 3)
    await banned.acquire()
    until = NOW + timedelta(minutes=10)

    await banned.ban_until(until)
    await banned.ban_until(until - timedelta(minutes=5))  # an earlier end shortens nothing
    await other.acquire()

    # The ban empties the bucket: the first request after it waits for one refill.
    assert other.last_admitted_at == until + timedelta(seconds=1)


@pytest.mark.parametrize(
    ("per_minute", "burst", "named"),
    [(0, 10, "per_minute"), (60, 0, "burst"), (11, 10, r"above burst \+ 1 \(11\)")],
)
async def test_a_budget_needs_a_rate_and_a_burst(
    make_limiter: MakeLimiter, per_minute: float, burst: int, named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named):
        make_limiter(FakeClock(NOW), per_minute, burst)
