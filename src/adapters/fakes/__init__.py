"""Fakes for tests and demos: a fake clock and a scripted market data source."""

from adapters.fakes.clock import FakeClock
from adapters.fakes.market_data import Failure, ScriptedMarketDataSource, synthetic_value

__all__ = ["Failure", "FakeClock", "ScriptedMarketDataSource", "synthetic_value"]
