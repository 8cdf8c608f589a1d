"""The emulator's record of arrivals and bans (``GET /_emulator/arrivals``) and bans imposed
from outside (``POST /_emulator/ban``), over real HTTP on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from entrypoints.emulator import EmulatorServer
from tests.integration.test_emulator import NOW, FakeClock, config
from tests.integration.test_emulator_switches import control_url, load_query


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=60) as http:
        yield http


async def test_arrivals_record_each_request_and_each_ban_with_its_cause(
    client: httpx.AsyncClient,
) -> None:
    clock = FakeClock()
    start = NOW.timestamp()
    async with EmulatorServer(
        config(rate_limit_per_minute=2, ban_seconds=30), clock=clock
    ) as server:
        answers = []
        for _ in range(4):
            answers.append(await client.get(server.base_url, params=load_query()))
            clock.advance(1)
        clock.advance(60)
        imposed = await client.post(control_url(server, "ban"), params={"seconds": "20"})
        during = await client.get(server.base_url, params=load_query())
        clock.advance(20)
        after = await client.get(server.base_url, params=load_query())
        record = (await client.get(control_url(server, "arrivals"))).json()

    assert [a.status_code for a in answers] == [200, 200, 429, 429]
    assert imposed.status_code == 204
    assert "Requester banned until" in during.text
    assert (during.status_code, after.status_code) == (429, 200)
    assert record["arrivals"] == [
        [start, "served"],
        [start + 1, "served"],
        [start + 2, "tripped"],
        [start + 3, "banned"],
        [start + 64, "banned"],
        [start + 84, "served"],
    ]
    assert record["bans"] == [
        {"start": start + 2, "until": start + 32, "cause": "budget"},
        {"start": start + 64, "until": start + 84, "cause": "imposed"},
    ]


async def test_an_imposed_ban_never_shortens_one_in_force(client: httpx.AsyncClient) -> None:
    clock = FakeClock()
    async with EmulatorServer(
        config(rate_limit_per_minute=1, ban_seconds=100), clock=clock
    ) as server:
        await client.get(server.base_url, params=load_query())
        await client.get(server.base_url, params=load_query())
        await client.post(control_url(server, "ban"), params={"seconds": "5"})
        clock.advance(50)
        still = await client.get(server.base_url, params=load_query())
    assert still.status_code == 429


@pytest.mark.parametrize("seconds", ["0", "-3", "soon", "inf", ""])
async def test_a_bad_ban_is_refused_by_name(client: httpx.AsyncClient, seconds: str) -> None:
    async with EmulatorServer(config(), clock=FakeClock()) as server:
        refused = await client.post(control_url(server, "ban"), params={"seconds": seconds})
        served = await client.get(server.base_url, params=load_query())
    assert refused.status_code == 400
    assert f"seconds {seconds!r} must be a positive number" in refused.text
    assert served.status_code == 200


async def test_a_ban_is_only_posted(client: httpx.AsyncClient) -> None:
    async with EmulatorServer(config(), clock=FakeClock()) as server:
        answer = await client.get(control_url(server, "ban"), params={"seconds": "5"})
    assert answer.status_code == 405
