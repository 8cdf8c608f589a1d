"""Fixtures for the unit tests: a fake clock, in-memory units of work, a scripted source."""

from __future__ import annotations

import random

import pytest

from adapters.fakes import FakeClock, ScriptedMarketDataSource
from adapters.memory import MemoryRateLimiter, MemoryUnitOfWorkFactory
from entsoe_core.ports import UnitOfWorkFactory
from entsoe_core.services.backfill import BackfillService, RunLimits
from entsoe_core.services.retry import RetryPolicy
from entsoe_core.timeline import utc

NOW = utc(2024, 6, 15, 12)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def uow() -> MemoryUnitOfWorkFactory:
    return MemoryUnitOfWorkFactory()


@pytest.fixture
def source(clock: FakeClock) -> ScriptedMarketDataSource:
    return ScriptedMarketDataSource(clock)


def make_service(
    uow: UnitOfWorkFactory,
    source: ScriptedMarketDataSource,
    clock: FakeClock,
    max_requests_in_flight: int = 4,
    max_concurrent_areas: int = 4,
) -> BackfillService:
    return BackfillService(
        uow,
        source,
        clock,
        MemoryRateLimiter(clock),
        retry=RetryPolicy(attempts=3, base_seconds=1, max_seconds=10),
        limits=RunLimits(
            max_requests_in_flight=max_requests_in_flight,
            max_concurrent_areas=max_concurrent_areas,
        ),
        rng=random.Random(7),
        owner="test-worker",
    )


@pytest.fixture
def service(
    uow: MemoryUnitOfWorkFactory, source: ScriptedMarketDataSource, clock: FakeClock
) -> BackfillService:
    return make_service(uow, source, clock)
