"""The emulator's crafted answers over real HTTP on loopback: ``POST /_emulator/answers`` makes
the next matching API requests get given bytes, the way a broken or hostile server answers."""

from __future__ import annotations

import httpx

from entrypoints.emulator import EmulatorConfig, running_emulator
from entsoe_core.timeline import utc

TOKEN = "test-token"
QUERY = {
    "documentType": "A65",
    "processType": "A16",
    "outBiddingZone_Domain": "10YNL----------L",
    "periodStart": "202401020000",
    "periodEnd": "202401030000",
    "securityToken": TOKEN,
}
CRAFTED = b"<crafted>not what the model says</crafted>"


def config() -> EmulatorConfig:
    return EmulatorConfig(seed=1, token=TOKEN, now=utc(2026, 1, 1))


def answers_url(api: str) -> str:
    return api.removesuffix("/api") + "/_emulator/answers"


async def test_the_next_matching_request_gets_the_crafted_bytes_once() -> None:
    async with running_emulator(config()) as api, httpx.AsyncClient(timeout=30) as http:
        posted = await http.post(
            answers_url(api),
            params={"periodStart": "202401020000", "documentType": "A65"},
            content=CRAFTED,
            headers={"Content-Type": "application/zip"},
        )
        assert posted.status_code == 204
        other_day = await http.get(api, params={**QUERY, "periodStart": "202401010000"})
        crafted = await http.get(api, params=QUERY)
        again = await http.get(api, params=QUERY)
        stats = (await http.get(api.removesuffix("/api") + "/_emulator/stats")).json()

    assert other_day.status_code == 200
    assert other_day.content != CRAFTED
    assert (crafted.status_code, crafted.content) == (200, CRAFTED)
    assert crafted.headers["content-type"] == "application/zip"
    assert again.status_code == 200
    assert b"GL_MarketDocument" in again.content
    assert stats["faults"] == {"crafted": 1}


async def test_times_serves_it_that_often_and_delete_forgets_it() -> None:
    async with running_emulator(config()) as api, httpx.AsyncClient(timeout=30) as http:
        craft = {"periodstart": "202401020000", "times": "2"}
        assert (await http.post(answers_url(api), params=craft, content=CRAFTED)).status_code == 204
        first = await http.get(api, params=QUERY)
        second = await http.get(api, params=QUERY)
        third = await http.get(api, params=QUERY)
        assert (await http.post(answers_url(api), params=craft, content=CRAFTED)).status_code == 204
        assert (await http.delete(answers_url(api))).status_code == 204
        after_delete = await http.get(api, params=QUERY)

    assert first.content == second.content == CRAFTED
    assert first.headers["content-type"] == "text/xml"
    assert third.content != CRAFTED
    assert after_delete.content != CRAFTED


async def test_a_request_without_the_token_is_refused_and_leaves_the_answer_waiting() -> None:
    async with running_emulator(config()) as api, httpx.AsyncClient(timeout=30) as http:
        await http.post(answers_url(api), params={"periodStart": "202401020000"}, content=CRAFTED)
        refused = await http.get(api, params={**QUERY, "securityToken": "wrong"})
        served = await http.get(api, params=QUERY)

    assert refused.status_code == 401
    assert served.content == CRAFTED


async def test_a_crafted_answer_needs_parameters_to_match_and_a_count() -> None:
    async with running_emulator(config()) as api, httpx.AsyncClient(timeout=30) as http:
        nothing = await http.post(answers_url(api), content=CRAFTED)
        zero = await http.post(
            answers_url(api), params={"periodStart": "202401020000", "times": "0"}, content=b""
        )
        wrong_method = await http.get(answers_url(api))
        served = await http.get(api, params=QUERY)

    assert (nothing.status_code, zero.status_code, wrong_method.status_code) == (400, 400, 405)
    assert b"times as a whole number" in nothing.content
    assert b"GL_MarketDocument" in served.content
