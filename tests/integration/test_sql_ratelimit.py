"""The request budget in the database: limiters of separate processes share one budget.

What every limiter promises is in the contract suite (tests/integration/contract); this is
what only a budget kept in the database can do.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fakes import FakeClock
from adapters.sqlalchemy import SqlRateLimiter, upgrade
from adapters.system import SystemClock
from entsoe_core.budget import RequestBudget
from tests.integration.contract.builders import NOW
from tests.integration.contract.test_rate_limiter_contract import busiest_excess
from tests.integration.databases import open_engine, sqlite_url

PER_MINUTE = 64.0
BURST = 3
LIMITERS = 4
REQUESTS_EACH = 8


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def engines(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[list[AsyncEngine]]:
    """One engine per limiter on one database, as separate worker processes would have."""
    url = (
        sqlite_url(tmp_path)
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    # The schema first, as `entsoe db upgrade` makes it: what is under test is the budget the
    # limiters share, not several processes creating a fresh SQLite file at the same moment.
    await upgrade(url)
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(open_engine(url)) for _ in range(LIMITERS)]


async def test_limiters_sharing_a_database_stay_within_one_budget(
    engines: list[AsyncEngine],
) -> None:
    clock = FakeClock(NOW)
    limiters = [SqlRateLimiter(engine, clock, PER_MINUTE, BURST) for engine in engines]
    admissions: list[datetime] = []

    async def send(limiter: SqlRateLimiter) -> None:
        for _ in range(REQUESTS_EACH):
            await limiter.acquire()
            assert limiter.last_admitted_at is not None
            admissions.append(limiter.last_admitted_at)

    await asyncio.gather(*(send(limiter) for limiter in limiters))

    total = LIMITERS * REQUESTS_EACH
    assert len(admissions) == total
    assert sum(limiter.admitted for limiter in limiters) == total
    assert busiest_excess(admissions, PER_MINUTE, BURST) <= 1e-9
    # One shared bucket: everything beyond the burst waits for the refill.
    refill = RequestBudget(PER_MINUTE, BURST).refill_per_minute
    assert max(admissions) - NOW >= timedelta(seconds=(total - BURST) * 60 / refill)


async def test_the_check_catches_limiters_that_do_not_share(engines: list[AsyncEngine]) -> None:
    clock = FakeClock(NOW)
    apart = [
        SqlRateLimiter(engine, clock, PER_MINUTE, BURST, name=f"budget-{n}")
        for n, engine in enumerate(engines)
    ]
    admissions = []
    for limiter in apart:
        for _ in range(BURST):
            await limiter.acquire()
            assert limiter.last_admitted_at is not None
            admissions.append(limiter.last_admitted_at)

    assert busiest_excess(admissions, PER_MINUTE, BURST) > 0


async def test_lanes_of_one_process_ask_the_database_one_at_a_time(
    engines: list[AsyncEngine],
) -> None:
    # A real clock and a fast budget: while one lane waits for the next token, the others
    # queue in the process instead of each asking the database again.
    limiter = SqlRateLimiter(engines[0], SystemClock(), per_minute=3000, burst=1)
    lanes, each = 8, 4

    async def lane() -> None:
        for _ in range(each):
            await limiter.acquire()

    await asyncio.gather(*(lane() for _ in range(lanes)))

    assert limiter.admitted == lanes * each
    # A token is taken at once, or after one wait: at most two questions per token.
    assert limiter.polls <= 2 * limiter.admitted + 1
