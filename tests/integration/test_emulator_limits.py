"""The emulator's per-dataset request limits over real HTTP on loopback: today's limits by
default, the legacy ones on a switch, overrides at start and through ``/_emulator/limits``
while it runs, "too many instances" through ``/_emulator/instances``, the refusals in the API's
words, and the statistics per dataset."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest

from entrypoints.emulator import EmulatorServer
from entrypoints.emulator.spans import LimitEra, SpanLimits, export_name
from entsoe_core.areas import AreaKey
from entsoe_core.datasets import DATASETS, Dataset
from entsoe_core.limits import RequestSpan
from entsoe_core.timeline import add_months, utc
from tests.integration.test_emulator import DE_LU, NL, acknowledgement, config, params

LOAD = DATASETS.get("actual_total_load")
GENERATION = DATASETS.get("actual_generation_per_type")
PRICES = DATASETS.get("day_ahead_prices")
MONTH, YEAR = RequestSpan(months=1), RequestSpan(months=12)
TEN_DAYS = RequestSpan(days=10)


def area_of(dataset: Dataset) -> AreaKey:
    return AreaKey(NL, DE_LU) if dataset.is_border else AreaKey(NL)


def control_url(server: EmulatorServer, name: str) -> str:
    return f"http://127.0.0.1:{server.port}/_emulator/{name}"


async def ask(
    client: httpx.AsyncClient,
    server: EmulatorServer,
    dataset: Dataset,
    start: datetime,
    end: datetime,
) -> httpx.Response:
    return await client.get(server.base_url, params=params(dataset, area_of(dataset), start, end))


async def stats(client: httpx.AsyncClient, server: EmulatorServer) -> dict[str, object]:
    found: dict[str, object] = (await client.get(server.stats_url)).json()
    return found


def refusal(answer: httpx.Response) -> str:
    assert answer.status_code == 400, answer.text
    code, text = acknowledgement(answer.content)
    assert code == "999"
    return text


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=60) as http:
        yield http


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    async with EmulatorServer(config()) as server:
        yield server


# -- today's limits ---------------------------------------------------------------------------

TODAY = {
    dataset.key: MONTH
    if dataset.key in ("actual_total_load", "actual_generation_per_type", "total_imbalance_volumes")
    else TEN_DAYS
    if dataset.key in ("imbalance_prices", "current_balancing_state")
    else YEAR
    for dataset in DATASETS
}


# Generation per unit refuses more than a day as too many instances, before its span: see
# test_more_than_a_day_of_generation_per_unit_is_too_many_instances.
@pytest.mark.parametrize(
    "dataset",
    [dataset for dataset in DATASETS if dataset.key != "actual_generation_per_unit"],
    ids=lambda d: d.key,
)
async def test_each_dataset_answers_its_span_and_refuses_a_day_more(
    emulator: EmulatorServer, client: httpx.AsyncClient, dataset: Dataset
) -> None:
    span = TODAY[dataset.key]
    start = utc(2024, 1, 1)
    end = span.end_from(start)
    assert (await ask(client, emulator, dataset, start, end)).status_code == 200
    longer = end + timedelta(days=1)
    text = refusal(await ask(client, emulator, dataset, start, longer))
    assert text == (
        f"Provided time interval ({start:%Y-%m-%dT%H:%M:%SZ} - {longer:%Y-%m-%dT%H:%M:%SZ}) is "
        f"larger than maximum allowed period '{span}' for '{export_name(dataset)}' export."
    )
    counted = (await stats(client, emulator))["datasets"]
    assert counted == {
        dataset.key: {
            "requests": 2,
            "served": 1,
            "too_long": 1,
            "too_many_instances": 0,
            "responses_by_status": {"200": 1, "400": 1},
        }
    }


async def test_the_refusals_name_the_exports_users_saw(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    start, end = utc(2022, 2, 28, 23), utc(2022, 5, 30, 22)
    load = refusal(await ask(client, emulator, LOAD, start, end))
    assert load == (
        "Provided time interval (2022-02-28T23:00:00Z - 2022-05-30T22:00:00Z) is larger than "
        "maximum allowed period 'P1M' for 'ACTUAL_TOTAL_LOAD_R3:XML' export."
    )
    generation = refusal(await ask(client, emulator, GENERATION, utc(2023, 1, 1), utc(2024, 1, 1)))
    assert "'P1M' for 'AGGREGATED_GENERATION_PER_TYPE_R3:XML' export." in generation
    prices = refusal(await ask(client, emulator, PRICES, utc(2021, 12, 30, 23), utc(2023, 1, 1)))
    assert "'P1Y' for 'ENERGY_PRICES:XML' export." in prices


async def test_one_month_is_counted_from_the_start_as_a_utc_calendar_month(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    # A UTC calendar month passes; the local-time month of Brussels is a UTC month and a day.
    utc_month = await ask(client, emulator, LOAD, utc(2025, 5, 1), utc(2025, 6, 1))
    assert utc_month.status_code == 200
    local_month = await ask(client, emulator, LOAD, utc(2025, 4, 30, 22), utc(2025, 5, 31, 22))
    assert "is larger than maximum allowed period 'P1M'" in refusal(local_month)
    february = await ask(client, emulator, GENERATION, utc(2024, 2, 10), utc(2024, 3, 10))
    assert february.status_code == 200
    assert add_months(utc(2024, 1, 31), 1) == utc(2024, 2, 29)
    past_the_end = await ask(client, emulator, GENERATION, utc(2024, 1, 31), utc(2024, 3, 1))
    assert "'P1M'" in refusal(past_the_end)


# -- the legacy limits ------------------------------------------------------------------------


async def test_the_legacy_limits_allow_a_year_everywhere_in_the_wording_of_2024(
    client: httpx.AsyncClient,
) -> None:
    async with EmulatorServer(config(limits=SpanLimits(LimitEra.LEGACY))) as server:
        year = await ask(client, server, LOAD, utc(2023, 1, 1), utc(2024, 1, 1))
        assert year.status_code == 200
        text = refusal(
            await ask(client, server, PRICES, utc(2021, 12, 30, 23), utc(2023, 1, 1, 23))
        )
        limits = (await client.get(control_url(server, "limits"))).json()
    assert text == (
        "Provided time interval (2021-12-30T23:00Z[UTC] - 2023-01-01T23:00Z[UTC]) is larger "
        "than maximum allowed period 'P1Y' for 'ENERGY_PRICES:XML' export."
    )
    assert limits["era"] == "legacy"
    # Imbalance prices and the current balancing state have always been answered ten days at
    # most.
    ten_days = ("imbalance_prices", "current_balancing_state")
    assert limits["limits"] == {
        dataset.key: "P10D" if dataset.key in ten_days else "P1Y" for dataset in DATASETS
    }


# -- overrides --------------------------------------------------------------------------------


async def test_an_override_at_start_makes_a_dataset_stricter_than_the_catalogue(
    client: httpx.AsyncClient,
) -> None:
    strict = SpanLimits(overrides=[("day_ahead_prices", RequestSpan(days=10))])
    async with EmulatorServer(config(limits=strict)) as server:
        ten_days = await ask(client, server, PRICES, utc(2024, 1, 1), utc(2024, 1, 11))
        eleven = await ask(client, server, PRICES, utc(2024, 1, 1), utc(2024, 1, 12))
        load = await ask(client, server, LOAD, utc(2024, 1, 1), utc(2024, 2, 1))
    assert ten_days.status_code == 200
    assert "maximum allowed period 'P10D' for 'ENERGY_PRICES:XML'" in refusal(eleven)
    assert load.status_code == 200


async def test_limits_change_while_the_emulator_runs_and_delete_restores_them(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    two_months = (utc(2024, 1, 1), utc(2024, 3, 1))
    assert (await ask(client, emulator, PRICES, *two_months)).status_code == 200

    posted = await client.post(
        control_url(emulator, "limits"), params={"day_ahead_prices": "P1M", "era": "legacy"}
    )
    assert posted.status_code == 204
    stricter = await ask(client, emulator, PRICES, *two_months)
    assert "maximum allowed period 'P1M' for 'ENERGY_PRICES:XML'" in refusal(stricter)
    # The legacy era lets a year of load through again.
    assert (await ask(client, emulator, LOAD, utc(2023, 1, 1), utc(2024, 1, 1))).status_code == 200
    shown = (await client.get(control_url(emulator, "limits"))).json()
    assert shown["overrides"] == {"day_ahead_prices": "P1M"}
    assert shown["limits"]["day_ahead_prices"] == "P1M"
    assert shown["limits"]["actual_total_load"] == "P1Y"

    assert (await client.delete(control_url(emulator, "limits"))).status_code == 204
    assert (await ask(client, emulator, PRICES, *two_months)).status_code == 200
    assert (await client.get(control_url(emulator, "limits"))).json() == {
        "era": "current",
        "limits": {key: str(span) for key, span in TODAY.items()},
        "overrides": {},
        "too_many_instances_after": {},
    }
    counted = (await stats(client, emulator))["datasets"]
    assert isinstance(counted, dict)
    assert counted["day_ahead_prices"]["too_long"] == 1
    assert counted["day_ahead_prices"]["served"] == 2


@pytest.mark.parametrize(
    ("query", "said"),
    [
        # A good assignment beside a bad one is not applied either.
        ({"actual_total_load": "P1Y", "day_ahead_prices": "P1X"}, "'P1X' is not a period"),
        (
            {"actual_total_load": "P1Y", "day_ahead_price": "P1M"},
            "unknown dataset 'day_ahead_price' (did you mean",
        ),
        ({"day_ahead_prices": "P1M10D"}, "mixes months and days"),
        ({"actual_total_load": "P1Y", "era": "2024"}, "era '2024' is not one of current, legacy"),
        ({}, "give DATASET=PERIOD"),
    ],
)
async def test_a_bad_limit_is_refused_by_name_and_changes_nothing(
    emulator: EmulatorServer, client: httpx.AsyncClient, query: dict[str, str], said: str
) -> None:
    before = (await client.get(control_url(emulator, "limits"))).json()
    answer = await client.post(control_url(emulator, "limits"), params=query)
    assert answer.status_code == 400
    assert said in answer.text
    assert (await client.get(control_url(emulator, "limits"))).json() == before
    wrong_method = await client.put(control_url(emulator, "limits"))
    assert wrong_method.status_code == 405


# -- too many instances -----------------------------------------------------------------------


async def test_too_many_instances_past_a_span_switched_on_and_off(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    week, more = (utc(2024, 6, 1), utc(2024, 6, 8)), (utc(2024, 6, 1), utc(2024, 6, 15))
    assert (await ask(client, emulator, GENERATION, *more)).status_code == 200
    posted = await client.post(
        control_url(emulator, "instances"), params={"actual_generation_per_type": "P7D"}
    )
    assert posted.status_code == 204
    assert (await ask(client, emulator, GENERATION, *week)).status_code == 200
    text = refusal(await ask(client, emulator, GENERATION, *more))
    assert text == "The number of instances (200) exceeds the allowed maximum (100)."
    # Too long is said first: the month limit still holds.
    too_long = await ask(client, emulator, GENERATION, utc(2024, 6, 1), utc(2024, 8, 1))
    assert "maximum allowed period 'P1M'" in refusal(too_long)
    shown = (await client.get(control_url(emulator, "limits"))).json()
    assert shown["too_many_instances_after"] == {"actual_generation_per_type": "P7D"}

    assert (await client.delete(control_url(emulator, "instances"))).status_code == 204
    assert (await ask(client, emulator, GENERATION, *more)).status_code == 200
    counted = (await stats(client, emulator))["datasets"]
    assert counted == {
        "actual_generation_per_type": {
            "requests": 5,
            "served": 3,
            "too_long": 1,
            "too_many_instances": 1,
            "responses_by_status": {"200": 3, "400": 2},
        }
    }
    bad = await client.post(control_url(emulator, "instances"), params={"nothing": "P1D"})
    assert bad.status_code == 400


# -- statistics -------------------------------------------------------------------------------


async def test_statistics_count_each_dataset_apart(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    day = (utc(2024, 3, 1), utc(2024, 3, 2))
    for _ in range(3):
        await ask(client, emulator, LOAD, *day)
    await ask(client, emulator, PRICES, *day)
    await ask(client, emulator, PRICES, utc(2014, 1, 1), utc(2014, 1, 2))  # no matching data
    await client.get(
        emulator.base_url, params={**params(LOAD, AreaKey(NL), *day), "securityToken": "x"}
    )
    await client.get(emulator.base_url, params={"documentType": "A99", "securityToken": "x"})
    counted = (await stats(client, emulator))["datasets"]
    assert counted == {
        "actual_total_load": {
            "requests": 4,
            "served": 3,
            "too_long": 0,
            "too_many_instances": 0,
            "responses_by_status": {"200": 3, "401": 1},
        },
        "day_ahead_prices": {
            "requests": 2,
            "served": 2,
            "too_long": 0,
            "too_many_instances": 0,
            "responses_by_status": {"200": 2},
        },
        "unknown": {
            "requests": 1,
            "served": 0,
            "too_long": 0,
            "too_many_instances": 0,
            "responses_by_status": {"401": 1},
        },
    }
    assert (
        await client.post(f"http://127.0.0.1:{emulator.port}/_emulator/reset")
    ).status_code == 204
    assert (await stats(client, emulator))["datasets"] == {}


async def test_more_than_a_day_of_generation_per_unit_is_too_many_instances(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    # Every unit's day is an instance: a day is answered, three days are not, unless the
    # instances of the dataset are set otherwise.
    per_unit = DATASETS.get("actual_generation_per_unit")
    day, three_days = (utc(2024, 6, 1), utc(2024, 6, 2)), (utc(2024, 6, 1), utc(2024, 6, 4))
    assert (await ask(client, emulator, per_unit, *day)).status_code == 200
    text = refusal(await ask(client, emulator, per_unit, *three_days))
    assert text == "The number of instances (300) exceeds the allowed maximum (100)."

    posted = await client.post(
        control_url(emulator, "instances"), params={"actual_generation_per_unit": "P7D"}
    )
    assert posted.status_code == 204
    assert (await ask(client, emulator, per_unit, *three_days)).status_code == 200
