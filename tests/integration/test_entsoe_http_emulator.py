"""How EntsoeHttpSource classifies the emulator's refusals and outages, over real HTTP on
loopback: too long (with the limit the refusal names), too many instances, source unavailable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from adapters.entsoe_http import EntsoeHttpSource
from entrypoints.emulator import EmulatorServer
from entrypoints.emulator.spans import LimitEra, SpanLimits
from entsoe_core.areas import AreaKey
from entsoe_core.errors import (
    RequestTooLong,
    SourceError,
    SourceUnavailable,
    TooManyInstances,
    TransientSourceError,
)
from entsoe_core.limits import RequestSpan
from entsoe_core.plan import Chunk
from entsoe_core.ports import ChunkData
from entsoe_core.timeline import Interval, utc
from tests.integration.test_emulator import NL, TOKEN, config

TWO_MONTHS = Chunk("day_ahead_prices", AreaKey(NL), Interval(utc(2024, 1, 1), utc(2024, 3, 1)))
ONE_MONTH = Chunk("day_ahead_prices", AreaKey(NL), Interval(utc(2024, 1, 1), utc(2024, 2, 1)))
TWO_WEEKS = Chunk(
    "actual_generation_per_type", AreaKey(NL), Interval(utc(2024, 6, 1), utc(2024, 6, 15))
)
THREE_DAYS = Chunk(
    "actual_total_load", AreaKey(NL), Interval(utc(2024, 9, 1, 22), utc(2024, 9, 4, 22))
)


def control_url(server: EmulatorServer, name: str) -> str:
    return f"http://127.0.0.1:{server.port}/_emulator/{name}"


def assert_no_token(error: BaseException) -> None:
    assert TOKEN not in str(error)
    assert TOKEN not in repr(error)


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    async with EmulatorServer(config()) as server:
        yield server


@pytest.fixture
async def source(emulator: EmulatorServer) -> AsyncIterator[EntsoeHttpSource]:
    async with EntsoeHttpSource(emulator.base_url, TOKEN, timeout=30) as made:
        yield made


@pytest.fixture
async def control() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as http:
        yield http


async def test_an_api_stricter_than_the_catalogue_is_request_too_long_with_its_limit(
    emulator: EmulatorServer, source: EntsoeHttpSource, control: httpx.AsyncClient
) -> None:
    assert isinstance(await source.fetch(TWO_MONTHS), ChunkData)
    await control.post(control_url(emulator, "limits"), params={"day_ahead_prices": "P1M"})

    with pytest.raises(RequestTooLong) as refused:
        await source.fetch(TWO_MONTHS)
    assert refused.value.limit == RequestSpan(months=1)
    assert "HTTP 400" in str(refused.value)
    assert "maximum allowed period 'P1M' for 'ENERGY_PRICES:XML' export" in str(refused.value)
    assert_no_token(refused.value)
    assert isinstance(await source.fetch(ONE_MONTH), ChunkData)


async def test_the_legacy_wording_names_its_limit_too(control: httpx.AsyncClient) -> None:
    limits = SpanLimits(LimitEra.LEGACY, [("day_ahead_prices", RequestSpan(days=10))])
    async with (
        EmulatorServer(config(limits=limits)) as server,
        EntsoeHttpSource(server.base_url, TOKEN, timeout=30) as legacy,
    ):
        with pytest.raises(RequestTooLong, match=r"\[UTC\]") as refused:
            await legacy.fetch(ONE_MONTH)
    assert refused.value.limit == RequestSpan(days=10)


async def test_too_many_instances_is_classified(
    emulator: EmulatorServer, source: EntsoeHttpSource, control: httpx.AsyncClient
) -> None:
    await control.post(
        control_url(emulator, "instances"), params={"actual_generation_per_type": "P7D"}
    )
    with pytest.raises(TooManyInstances, match="exceeds the allowed maximum") as refused:
        await source.fetch(TWO_WEEKS)
    assert_no_token(refused.value)


@pytest.mark.parametrize(
    ("kind", "said"),
    [("maintenance", r"HTTP 503.*Scheduled maintenance"), ("not-found", "HTTP 404")],
)
async def test_an_outage_is_source_unavailable_and_its_end_is_seen(
    emulator: EmulatorServer,
    source: EntsoeHttpSource,
    control: httpx.AsyncClient,
    kind: str,
    said: str,
) -> None:
    await control.post(control_url(emulator, "outage"), params={"kind": kind})
    errors: list[SourceError] = []
    for chunk in (THREE_DAYS, ONE_MONTH, TWO_WEEKS):
        with pytest.raises(SourceUnavailable, match=said) as down:
            await source.fetch(chunk)
        errors.append(down.value)
    assert all(isinstance(error, TransientSourceError) for error in errors)
    for error in errors:
        assert_no_token(error)
    await control.delete(control_url(emulator, "outage"))
    assert isinstance(await source.fetch(THREE_DAYS), ChunkData)


async def test_cut_series_arrive_as_data_that_stops_early(
    emulator: EmulatorServer, source: EntsoeHttpSource, control: httpx.AsyncClient
) -> None:
    await control.post(control_url(emulator, "cut"), params={"points": "100"})
    answer = await source.fetch(THREE_DAYS)
    assert isinstance(answer, ChunkData)
    # One series per Period (local day) as the parser gives them: the first 100 quarter hours.
    instants = sorted(point.timestamp for series in answer.series for point in series.points)
    assert instants == [THREE_DAYS.interval.start + k * timedelta(minutes=15) for k in range(100)]
