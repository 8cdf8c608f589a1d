"""MarketDataSourcePort: the scripted fake and the HTTP source (against the emulator, over
loopback) keep one contract.

Each situation is arranged the way its source allows: the fake is scripted, the emulator is
configured (its data start, its token, its faults, its rate limit). What the port promises is
then asserted the same way for both.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest

from adapters.entsoe_http import EntsoeHttpSource
from adapters.fakes import Failure, FakeClock, ScriptedMarketDataSource
from entrypoints.emulator import EmulatorConfig
from entrypoints.emulator.faults import FaultSettings
from entrypoints.emulator.server import EmulatorServer
from entsoe_core.areas import AREAS, AreaKey
from entsoe_core.datasets import DATASETS
from entsoe_core.errors import PermanentSourceError, RateLimited, TransientSourceError
from entsoe_core.plan import Chunk
from entsoe_core.ports import ChunkData, MarketDataSourcePort, NoData
from entsoe_core.timeline import Interval, utc
from entsoe_core.validation import check_answer

NOW = utc(2024, 6, 15, 12)
TOKEN = "contract-token-5c1f"
NL = AREAS.key("NL")
DAY = Interval(utc(2024, 3, 1), utc(2024, 3, 2))
CHUNKS = [
    Chunk("actual_total_load", NL, DAY),
    Chunk("actual_generation_per_type", NL, DAY),
    Chunk("day_ahead_prices", NL, DAY),
    Chunk("cross_border_physical_flows", AreaKey(NL.code, AREAS.key("BE").code), DAY),
    Chunk("scheduled_exchanges_total", AreaKey(NL.code, AREAS.key("BE").code), DAY),
    Chunk("net_positions_day_ahead", NL, DAY),
]
BEFORE_ANY_DATA = Chunk("actual_total_load", NL, Interval(utc(2014, 1, 1), utc(2014, 1, 2)))

Arrange = Callable[[str], contextlib.AbstractAsyncContextManager[MarketDataSourcePort]]
"""A source in a situation: data, no_data, rate_limited, transient, permanent."""


class _EpochClock:
    """The emulator's clock (epoch seconds), fixed at NOW."""

    def __call__(self) -> float:
        return NOW.timestamp()


@contextlib.asynccontextmanager
async def _scripted(situation: str) -> AsyncIterator[MarketDataSourcePort]:
    clock = FakeClock(NOW)
    failure = {
        "data": None,
        "no_data": Failure("no_data"),
        "rate_limited": Failure("rate_limited", seconds=600),
        "transient": Failure("transient"),
        "permanent": Failure("permanent"),
    }[situation]
    yield ScriptedMarketDataSource(clock, rule=lambda chunk, number: failure)


@contextlib.asynccontextmanager
async def _emulated(situation: str) -> AsyncIterator[MarketDataSourcePort]:
    settings: dict[str, Any] = {"seed": 5, "token": TOKEN, "now": NOW}
    token = TOKEN
    if situation == "transient":
        settings["faults"] = FaultSettings(unavailable=1.0)
    elif situation == "permanent":
        token = "not-the-token"
    elif situation == "rate_limited":
        settings["rate_limit_per_minute"] = 1
    async with (
        EmulatorServer(EmulatorConfig(**settings), clock=_EpochClock()) as server,
        EntsoeHttpSource(server.base_url, token, timeout=30) as source,
    ):
        if situation == "rate_limited":
            await source.fetch(CHUNKS[0])  # the whole budget of the emulator's minute
        yield source


@pytest.fixture(params=["scripted", "http"])
def arrange(request: pytest.FixtureRequest) -> Arrange:
    return _scripted if request.param == "scripted" else _emulated


@pytest.mark.parametrize("chunk", CHUNKS, ids=lambda chunk: chunk.dataset)
async def test_data_answers_hold_series_of_the_dataset_inside_the_chunk(
    arrange: Arrange, chunk: Chunk
) -> None:
    dataset = DATASETS.get(chunk.dataset)
    async with arrange("data") as source:
        answer = await source.fetch(chunk)
    assert isinstance(answer, ChunkData)
    assert answer.series
    for series in answer.series:
        assert series.points
        assert series.key.document_type == dataset.document_type
        assert series.key.process_type == (dataset.process_type or "")
        instants = [point.timestamp for point in series.points]
        assert instants == sorted(set(instants))
        assert all(chunk.interval.start <= instant < chunk.interval.end for instant in instants)
    # Every rule of the request holds: what a backfill stores from either source.
    assert check_answer(chunk, answer) == answer


async def test_nothing_published_is_no_data(arrange: Arrange) -> None:
    async with arrange("no_data") as source:
        assert isinstance(await source.fetch(BEFORE_ANY_DATA), NoData)


async def test_a_refusal_for_too_many_requests_names_when_to_try_again(arrange: Arrange) -> None:
    async with arrange("rate_limited") as source:
        with pytest.raises(RateLimited) as refused:
            await source.fetch(CHUNKS[0])
    assert refused.value.until > NOW
    assert refused.value.until <= NOW + timedelta(hours=1)


async def test_a_failure_worth_retrying_is_transient(arrange: Arrange) -> None:
    async with arrange("transient") as source:
        with pytest.raises(TransientSourceError):
            await source.fetch(CHUNKS[0])


async def test_a_failure_no_retry_can_mend_is_permanent_and_shows_no_token(
    arrange: Arrange,
) -> None:
    async with arrange("permanent") as source:
        with pytest.raises(PermanentSourceError) as refused:
            await source.fetch(CHUNKS[0])
    assert TOKEN not in str(refused.value)
    assert not isinstance(refused.value, TransientSourceError)
