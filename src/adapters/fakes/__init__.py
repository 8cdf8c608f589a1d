"""Fakes for tests and demos: a fake clock, a scripted market data source, and units of work
whose database connection is lost on demand."""

from adapters.fakes.clock import FakeClock
from adapters.fakes.market_data import (
    Failure,
    ScriptedMarketDataSource,
    refuse_longer_than,
    synthetic_value,
)
from adapters.fakes.unit_of_work import FlakyUnitOfWork, FlakyUnitOfWorkFactory, Moment

__all__ = [
    "Failure",
    "FakeClock",
    "FlakyUnitOfWork",
    "FlakyUnitOfWorkFactory",
    "Moment",
    "ScriptedMarketDataSource",
    "refuse_longer_than",
    "synthetic_value",
]
