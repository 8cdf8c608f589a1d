"""Faults switched on and off while the emulator runs, over real HTTP on loopback: series cut
at N points (``/_emulator/cut``) and outages (``/_emulator/outage``), and every switch of the
``entsoe emulator`` command."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest
from lxml import etree

from entrypoints.emulator import EmulatorServer, SyntheticModel
from entrypoints.emulator.switches import OutageKind
from entsoe_core.areas import AreaKey
from entsoe_core.datasets import DATASETS
from entsoe_core.observations import Series
from entsoe_core.timeline import Interval, utc
from tests.integration.test_emulator import (
    NL,
    NOW,
    SEED,
    TOKEN,
    FakeClock,
    child,
    config,
    instant,
    local,
    params,
    parsed,
    text,
)

LOAD = DATASETS.get("actual_total_load")
PRICES = DATASETS.get("day_ahead_prices")
THREE_DAYS = (utc(2024, 9, 1, 22), utc(2024, 9, 4, 22))


def control_url(server: EmulatorServer, name: str) -> str:
    return f"http://127.0.0.1:{server.port}/_emulator/{name}"


def load_query() -> dict[str, str]:
    return params(LOAD, AreaKey(NL), *THREE_DAYS)


def model_series() -> list[Series]:
    return SyntheticModel(SEED).series_for(LOAD, AreaKey(NL), Interval(*THREE_DAYS))


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=60) as http:
        yield http


# -- series cut at N points -------------------------------------------------------------------


async def test_cut_series_stop_after_n_points_with_200_and_the_rest_missing(
    client: httpx.AsyncClient,
) -> None:
    async with EmulatorServer(config()) as server:
        whole = await client.get(server.base_url, params=load_query())
        assert (
            await client.post(control_url(server, "cut"), params={"points": "100"})
        ).status_code == 204
        cut = await client.get(server.base_url, params=load_query())
        assert (await client.delete(control_url(server, "cut"))).status_code == 204
        again = await client.get(server.base_url, params=load_query())
        stats = (await client.get(server.stats_url)).json()

    (series,) = model_series()
    assert len(series.points) == 3 * 96
    first_hundred = {(series.key, p.timestamp): p.value for p in series.points[:100]}
    assert cut.status_code == 200
    assert parsed(cut.content) == first_hundred
    assert parsed(whole.content) == parsed(again.content)
    assert len(parsed(again.content)) == 3 * 96
    # The document still says it covers the three days; its last Period ends at the cut.
    root = etree.fromstring(cut.content)
    covered = child(root, "time_Period.timeInterval")
    assert (instant(text(covered, "start")), instant(text(covered, "end"))) == THREE_DAYS
    last = [p for s in root if local(s) == "TimeSeries" for p in s if local(p) == "Period"][-1]
    assert instant(text(child(last, "timeInterval"), "end")) == THREE_DAYS[0] + timedelta(
        minutes=15 * 100
    )
    assert stats["faults"] == {"cut_series": 1}
    assert stats["cut_series_at"] is None
    assert stats["datasets"]["actual_total_load"]["served"] == 3


async def test_series_shorter_than_the_cut_are_whole_and_not_counted_as_cut(
    client: httpx.AsyncClient,
) -> None:
    async with EmulatorServer(config(cut_series=1000)) as server:
        answer = await client.get(server.base_url, params=load_query())
        stats = (await client.get(server.stats_url)).json()
    assert len(parsed(answer.content)) == 3 * 96
    assert stats["faults"] == {}
    assert stats["cut_series_at"] == 1000


async def test_each_series_of_a_document_is_cut(client: httpx.AsyncClient) -> None:
    generation = DATASETS.get("actual_generation_per_type")
    span = (utc(2024, 6, 1, 22), utc(2024, 6, 3, 22))
    async with EmulatorServer(config(cut_series=10)) as server:
        answer = await client.get(server.base_url, params=params(generation, AreaKey(NL), *span))
    points = parsed(answer.content)
    model = SyntheticModel(SEED).series_for(generation, AreaKey(NL), Interval(*span))
    assert len(model) > 3
    assert points == {(one.key, p.timestamp): p.value for one in model for p in one.points[:10]}


@pytest.mark.parametrize("points", ["0", "-5", "ten", ""])
async def test_a_bad_cut_is_refused_by_name(client: httpx.AsyncClient, points: str) -> None:
    async with EmulatorServer(config()) as server:
        answer = await client.post(control_url(server, "cut"), params={"points": points})
        whole = await client.get(server.base_url, params=load_query())
    assert answer.status_code == 400
    assert f"points {points!r} must be a whole number from 1" in answer.text
    assert len(parsed(whole.content)) == 3 * 96


# -- outages ----------------------------------------------------------------------------------


async def test_a_maintenance_outage_answers_503_pages_for_its_seconds(
    client: httpx.AsyncClient,
) -> None:
    clock = FakeClock()
    async with EmulatorServer(config(), clock=clock) as server:
        posted = await client.post(
            control_url(server, "outage"), params={"kind": "maintenance", "seconds": "30"}
        )
        assert posted.status_code == 204
        down = [await client.get(server.base_url, params=load_query()) for _ in range(2)]
        clock.advance(10)
        prices = await client.get(server.base_url, params=params(PRICES, AreaKey(NL), *THREE_DAYS))
        during = (await client.get(server.stats_url)).json()
        clock.advance(21)
        up = await client.get(server.base_url, params=load_query())
        stats = (await client.get(server.stats_url)).json()

    for answer in [*down, prices]:
        assert answer.status_code == 503
        assert answer.headers["content-type"] == "text/html"
        assert "<title>Scheduled maintenance</title>" in answer.text
    assert during["outage"] == {
        "kind": "maintenance",
        "until": datetime.fromtimestamp(NOW.timestamp() + 30, NOW.tzinfo).isoformat(),
    }
    assert up.status_code == 200
    assert stats["outage"] is None
    assert stats["faults"] == {"outage": 3}
    assert stats["responses_by_status"] == {"200": 1, "503": 3}
    assert stats["datasets"]["actual_total_load"]["responses_by_status"] == {"200": 1, "503": 2}
    assert stats["datasets"]["day_ahead_prices"]["responses_by_status"] == {"503": 1}


async def test_a_not_found_outage_lasts_until_switched_off(client: httpx.AsyncClient) -> None:
    clock = FakeClock()
    async with EmulatorServer(config(), clock=clock) as server:
        await client.post(control_url(server, "outage"), params={"kind": "not-found"})
        clock.advance(86_400)
        down = await client.get(server.base_url, params=load_query())
        # The control routes and the statistics keep answering.
        assert (await client.get(control_url(server, "limits"))).status_code == 200
        assert (await client.delete(control_url(server, "outage"))).status_code == 204
        up = await client.get(server.base_url, params=load_query())
    assert down.status_code == 404
    assert down.headers["content-type"] == "text/plain; charset=utf-8"
    assert down.content == b"404 page not found\n"
    assert up.status_code == 200


async def test_an_outage_at_start_ends_after_its_seconds(client: httpx.AsyncClient) -> None:
    clock = FakeClock()
    settings = config(outage=OutageKind.NOT_FOUND, outage_seconds=60)
    async with EmulatorServer(settings, clock=clock) as server:
        down = await client.get(server.base_url, params=load_query())
        clock.advance(60)
        up = await client.get(server.base_url, params=load_query())
    assert (down.status_code, up.status_code) == (404, 200)


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ({"kind": "down"}, "kind 'down' is not one of maintenance, not-found"),
        ({"seconds": "0"}, "seconds '0' must be a positive number"),
        ({"seconds": "soon"}, "seconds 'soon' must be a positive number"),
        ({"seconds": "inf"}, "seconds 'inf' must be a positive number"),
    ],
)
async def test_a_bad_outage_is_refused_by_name(
    client: httpx.AsyncClient, query: dict[str, str], said: str
) -> None:
    async with EmulatorServer(config()) as server:
        answer = await client.post(control_url(server, "outage"), params=query)
        up = await client.get(server.base_url, params=load_query())
        wrong_method = await client.get(control_url(server, "outage"))
    assert answer.status_code == 400
    assert said in answer.text
    assert up.status_code == 200
    assert wrong_method.status_code == 405


# -- the command ------------------------------------------------------------------------------


@pytest.mark.slow
async def test_the_emulator_command_takes_every_switch(client: httpx.AsyncClient) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from entrypoints.cli import main; main(prog_name='entsoe')",
        "emulator",
        "--seed",
        str(SEED),
        "--token",
        TOKEN,
        "--now",
        "2026-01-15T12:00",
        "--limits",
        "legacy",
        "--limit",
        "day_ahead_prices=P1M",
        "--too-many-instances",
        "actual_generation_per_type=P7D",
        "--cut-series",
        "100",
        "--outage",
        "not-found",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        api = (await asyncio.wait_for(process.stdout.readline(), 60)).decode().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api", api), api
        control = api.removesuffix("/api") + "/_emulator"
        down = await client.get(api, params=load_query())
        limits = (await client.get(f"{control}/limits")).json()
        await client.delete(f"{control}/outage")
        cut = await client.get(api, params=load_query())
        year = await client.get(
            api, params=params(LOAD, AreaKey(NL), utc(2023, 1, 1), utc(2024, 1, 1))
        )
        process.terminate()
        _, errors = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, errors.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert down.status_code == 404
    assert limits["era"] == "legacy"
    assert limits["overrides"] == {"day_ahead_prices": "P1M"}
    assert limits["too_many_instances_after"] == {"actual_generation_per_type": "P7D"}
    assert len(parsed(cut.content)) == 100
    assert year.status_code == 200


@pytest.mark.slow
@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--limit", "prices=P1M"], "limit prices=P1M: unknown dataset 'prices'"),
        (["--limit", "day_ahead_prices"], "is not DATASET=PERIOD"),
        (["--too-many-instances", "actual_total_load=1M"], "'1M' is not a period"),
        (["--outage-seconds", "5"], "--outage-seconds needs --outage"),
        (["--cut-series", "0"], "--cut-series"),
        (["--limits", "2024"], "--limits"),
    ],
)
async def test_the_emulator_command_refuses_bad_switches_by_name(
    options: list[str], said: str
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from entrypoints.cli import main; main(prog_name='entsoe')",
        "emulator",
        *options,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, errors = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert out == b""
    assert said in errors.decode()


# -- the emulator's "now" moved ---------------------------------------------------------------


async def test_moving_now_publishes_the_new_day_and_moving_back_hides_it(
    client: httpx.AsyncClient,
) -> None:
    day = (NOW - timedelta(hours=12), NOW + timedelta(days=1, hours=12))
    query = params(LOAD, AreaKey(NL), *day)
    async with EmulatorServer(config(), clock=FakeClock()) as server:
        before = parsed((await client.get(server.base_url, params=query)).content)
        moved = await client.post(control_url(server, "now"), params={"at": "2026-01-16T06:00"})
        later = parsed((await client.get(server.base_url, params=query)).content)
        stats = (await client.get(server.stats_url)).json()
        reset = await client.delete(control_url(server, "now"))
        again = parsed((await client.get(server.base_url, params=query)).content)

    assert moved.status_code == 204
    assert reset.status_code == 204
    assert max(ts for _, ts in before) < NOW
    assert max(ts for _, ts in later) == utc(2026, 1, 16, 5, 45)
    assert set(before.items()) < set(later.items())
    assert again == before
    assert stats["now"] == "2026-01-16T06:00:00+00:00"


@pytest.mark.parametrize("at", ["", "tomorrow", "2026-13-01T00:00"])
async def test_a_bad_now_is_refused_by_name(client: httpx.AsyncClient, at: str) -> None:
    async with EmulatorServer(config(), clock=FakeClock()) as server:
        answer = await client.post(control_url(server, "now"), params={"at": at})
        stats = (await client.get(server.stats_url)).json()
    assert answer.status_code == 400
    assert f"at {at!r} is not an ISO 8601 instant" in answer.text
    assert stats["now"] is None
