"""The ENTSO-E API emulator over real HTTP on loopback, and as the ``entsoe emulator`` command."""

from __future__ import annotations

import asyncio
import io
import os
import re
import signal
import sys
import zipfile
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import httpx
import pytest
from lxml import etree

from adapters.entsoe_xml.parser import parse_document
from entrypoints.emulator import (
    EmulatorConfig,
    EmulatorServer,
    FaultSettings,
    SyntheticModel,
    emulator_in_thread,
    expected_value,
    running_emulator,
)
from entrypoints.emulator.faults import Fault, FaultPlan
from entrypoints.emulator.spans import LimitEra, SpanLimits
from entsoe_core.areas import AREAS, AreaKey
from entsoe_core.datasets import DATASETS, Dataset
from entsoe_core.observations import Series, SeriesKey
from entsoe_core.timeline import Interval, utc

TOKEN = "test-token"
SEED = 20240331
NOW = utc(2026, 1, 15, 12)
FIXTURES = Path(
    os.environ.get(
        "ENTSOE_FIXTURES", Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "entsoe"
    )
)
NL, DE_LU, ES = (AREAS.get(alias).code for alias in ("NL", "DE_LU", "ES"))

Flat = dict[tuple[SeriesKey, datetime], float]


class FakeClock:
    """Epoch seconds that move only when a test says so."""

    def __init__(self, start: datetime = NOW) -> None:
        self.now = start.timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def config(**changes: object) -> EmulatorConfig:
    settings: dict[str, object] = {"seed": SEED, "token": TOKEN, "now": NOW}
    settings.update(changes)
    return EmulatorConfig(**settings)  # type: ignore[arg-type]


def stamp(instant: datetime) -> str:
    return instant.strftime("%Y%m%d%H%M")


def params(
    dataset: Dataset, area: AreaKey, start: datetime, end: datetime, token: str | None = TOKEN
) -> dict[str, str]:
    query = {
        "documentType": dataset.document_type,
        "periodStart": stamp(start),
        "periodEnd": stamp(end),
    }
    if token is not None:
        query["securityToken"] = token
    if dataset.process_type:
        query["processType"] = dataset.process_type
    if dataset.business_type:
        query["businessType"] = dataset.business_type
    if dataset.contract_type:
        query["contract_MarketAgreement.Type"] = dataset.contract_type
    domain = dataset.domain.value
    if domain == "outBiddingZone_Domain":
        query["outBiddingZone_Domain"] = area.code
    elif domain == "in_Domain":
        query["in_Domain"] = area.code
    elif domain in ("controlArea_Domain", "area_Domain"):
        query[domain] = area.code
    elif area.to_code is None:
        query["in_Domain"] = query["out_Domain"] = area.code
    else:
        query["out_Domain"], query["in_Domain"] = area.code, area.to_code
    return query


def local(element: etree._Element) -> str:
    return etree.QName(element).localname


def child(element: etree._Element, name: str) -> etree._Element:
    found = [c for c in element if local(c) == name]
    assert len(found) == 1, f"expected one {name} in {local(element)}, found {len(found)}"
    return found[0]


def text(element: etree._Element, name: str) -> str:
    return (child(element, name).text or "").strip()


def instant(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)


STEPS = {
    "PT1M": timedelta(minutes=1),
    "PT15M": timedelta(minutes=15),
    "PT60M": timedelta(hours=1),
}
KEY_FIELDS = {
    "businessType": "business_type",
    "inBiddingZone_Domain.mRID": "in_domain",
    "outBiddingZone_Domain.mRID": "out_domain",
    "in_Domain.mRID": "in_domain",
    "out_Domain.mRID": "out_domain",
    "classificationSequence_AttributeInstanceComponent.position": "classification_position",
    "flowDirection.direction": "flow_direction",
    "standard_MarketProduct.marketProductType": "market_product",
    "registeredResource.mRID": "registered_resource",
}
# The values a Point may hold beside its first (an aggregated bid's), each a series of its own.
FURTHER_VALUES = ("secondaryQuantity", "unavailable_Quantity.quantity")


def periods(root: etree._Element) -> Iterable[tuple[etree._Element, etree._Element]]:
    for series in root:
        if local(series) == "TimeSeries":
            for period in series:
                if local(period) == "Period":
                    yield series, period


def expand(content: bytes) -> Flat:
    """Read a document with lxml alone, filling in the points A03 leaves out."""
    root = etree.fromstring(content)
    document = text(root, "type")
    process = next((c.text or "" for c in root if local(c) == "process.processType"), "")
    # A balancing document names its area once, for every series.
    area = next(
        (
            (c.text or "").strip()
            for c in root
            if local(c) in ("area_Domain.mRID", "controlArea_Domain.mRID")
        ),
        "",
    )
    values: Flat = {}
    fields: dict[str, str] = {}
    psr: list[str] = []
    current = None
    for series, period in periods(root):
        if series is not current:
            current = series
            fields = {"in_domain": area} if area else {}
            fields |= {
                KEY_FIELDS[local(c)]: (c.text or "").strip()
                for c in series
                if local(c) in KEY_FIELDS
            }
            psr = [(p.text or "").strip() for c in series if local(c) == "MktPSRType" for p in c]
        interval = child(period, "timeInterval")
        start, end = instant(text(interval, "start")), instant(text(interval, "end"))
        resolution = text(period, "resolution")
        categories = {
            (c.text or "").strip()
            for p in period
            if local(p) == "Point"
            for c in p
            if local(c) == "imbalance_Price.category"
        }
        assert len(categories) <= 1, "the emulator gives each price category its own TimeSeries"
        key = SeriesKey(
            document,
            process,
            psr_type=psr[0] if psr else "",
            resolution=resolution,
            price_category=categories.pop() if categories else "",
            **fields,
        )
        by_kind: dict[str, dict[int, float]] = {}
        for p in period:
            if local(p) == "Point":
                by_kind.setdefault("", {})[int(text(p, "position"))] = float(p[1].text or "")
                for c in p:
                    if local(c) in FURTHER_VALUES:
                        by_kind.setdefault(local(c), {})[int(text(p, "position"))] = float(
                            c.text or ""
                        )
        count = (end - start) // STEPS[resolution] if resolution in STEPS else 1
        assert text(series, "curveType") == "A03"
        for kind, given in by_kind.items():
            assert 1 in given
            assert max(given) <= count
            value = given[1]
            for position in range(1, count + 1):
                value = given.get(position, value)
                step = STEPS.get(resolution, timedelta(0))
                values[(attrs.evolve(key, quantity_kind=kind), start + step * (position - 1))] = (
                    value
                )
    return values


def flatten(series: Iterable[Series]) -> Flat:
    return {(one.key, point.timestamp): point.value for one in series for point in one.points}


def model_points(dataset: Dataset, area: AreaKey, start: datetime, end: datetime) -> Flat:
    return flatten(SyntheticModel(SEED).series_for(dataset, area, Interval(start, end)))


def parsed(content: bytes) -> Flat:
    result = parse_document(content)
    assert isinstance(result, tuple), f"expected series, got {result}"
    return flatten(result)


def unzipped(content: bytes) -> bytes:
    """The one document a ZIP answer holds."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        (member,) = archive.namelist()
        return archive.read(member)


def acknowledgement(content: bytes) -> tuple[str, str]:
    root = etree.fromstring(content)
    assert local(root) == "Acknowledgement_MarketDocument"
    assert etree.QName(root).namespace == (
        "urn:iec62325.351:tc57wg16:451-1:acknowledgementdocument:7:0"
    )
    reason = child(root, "Reason")
    return text(reason, "code"), text(reason, "text")


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    async with EmulatorServer(config()) as server:
        yield server


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=60) as http:
        yield http


# -- refusals ---------------------------------------------------------------------------------

LOAD = DATASETS.get("actual_total_load")
PRICES = DATASETS.get("day_ahead_prices")
GENERATION = DATASETS.get("actual_generation_per_type")
FLOWS = DATASETS.get("cross_border_physical_flows")


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
async def test_a_missing_or_wrong_token_is_401_with_an_html_body(
    emulator: EmulatorServer, client: httpx.AsyncClient, token: str | None
) -> None:
    query = params(LOAD, AreaKey(NL), utc(2024, 1, 1), utc(2024, 1, 2), token=token)
    answer = await client.get(emulator.base_url, params=query)
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("text/html")
    assert "Unauthorized" in answer.text
    assert TOKEN not in answer.text


async def test_more_than_a_year_is_400_with_an_acknowledgement(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    query = params(PRICES, AreaKey(NL), utc(2023, 1, 1), utc(2024, 1, 1, 0, 15))
    answer = await client.get(emulator.base_url, params=query)
    assert answer.status_code == 400
    code, reason = acknowledgement(answer.content)
    assert code == "999"
    assert reason == (
        "Provided time interval (2023-01-01T00:00:00Z - 2024-01-01T00:15:00Z) is larger than "
        "maximum allowed period 'P1Y' for 'ENERGY_PRICES:XML' export."
    )
    exactly_a_year = params(PRICES, AreaKey(NL), utc(2023, 1, 1), utc(2024, 1, 1))
    assert (await client.get(emulator.base_url, params=exactly_a_year)).status_code == 200


async def test_bad_parameters_are_400_acknowledgements(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    query = params(LOAD, AreaKey(NL), utc(2024, 1, 1), utc(2024, 1, 2))
    del query["outBiddingZone_Domain"]
    answer = await client.get(emulator.base_url, params=query)
    assert answer.status_code == 400
    assert "outBiddingZone_Domain" in acknowledgement(answer.content)[1]


async def test_requests_name_time_frame_and_business_type_and_time_frames_differ(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    day_ahead = DATASETS.get("scheduled_exchanges_day_ahead")
    total = DATASETS.get("scheduled_exchanges_total")
    span = (utc(2024, 6, 1), utc(2024, 6, 3))
    query = params(day_ahead, AreaKey(NL, DE_LU), *span)
    del query["contract_MarketAgreement.Type"]
    missing = await client.get(emulator.base_url, params=query)
    assert missing.status_code == 400
    assert "contract_MarketAgreement.Type is missing" in acknowledgement(missing.content)[1]
    query["contract_MarketAgreement.Type"] = "A07"
    unknown = await client.get(emulator.base_url, params=query)
    assert unknown.status_code == 400
    assert "contract_MarketAgreement.Type A07 is not valid" in acknowledgement(unknown.content)[1]

    net_positions = params(DATASETS.get("net_positions_day_ahead"), AreaKey(NL), *span)
    del net_positions["businessType"]
    no_business = await client.get(emulator.base_url, params=net_positions)
    assert no_business.status_code == 400
    assert "businessType must be B09" in acknowledgement(no_business.content)[1]

    answers = {}
    for dataset in (day_ahead, total):
        answer = await client.get(
            emulator.base_url, params=params(dataset, AreaKey(NL, DE_LU), *span)
        )
        assert f"<contract_MarketAgreement.type>{dataset.contract_type}<" in answer.text
        answers[dataset.contract_type] = {t: v for (_, t), v in parsed(answer.content).items()}
    assert answers["A01"].keys() == answers["A05"].keys()
    # The total holds the day-ahead schedule and more.
    assert all(answers["A05"][t] >= v for t, v in answers["A01"].items())
    assert answers["A05"] != answers["A01"]


async def test_a_price_request_without_a_contract_type_is_answered_day_ahead_prices(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    day_ahead = DATASETS.get("day_ahead_prices")
    intraday = DATASETS.get("intraday_auction_prices")
    span = (utc(2025, 3, 1), utc(2025, 3, 2))
    query = params(day_ahead, AreaKey(NL), *span)
    del query["contract_MarketAgreement.Type"]

    unnamed = await client.get(emulator.base_url, params=query)

    assert unnamed.status_code == 200
    assert parsed(unnamed.content) == model_points(day_ahead, AreaKey(NL), *span)
    auctions = await client.get(emulator.base_url, params=params(intraday, AreaKey(NL), *span))
    assert "<contract_MarketAgreement.type>A07<" in auctions.text
    by_auction: dict[str, int] = {}
    for key, _ in parsed(auctions.content):
        by_auction[key.classification_position] = by_auction.get(key.classification_position, 0) + 1
    # IDA1 and IDA2 trade the whole delivery day, IDA3 its second half.
    assert by_auction == {"1": 96, "2": 96, "3": 48}


async def test_before_the_data_start_there_is_no_matching_data(
    client: httpx.AsyncClient,
) -> None:
    async with running_emulator(config(data_start=utc(2016, 1, 1))) as base_url:
        before = params(LOAD, AreaKey(NL), utc(2015, 6, 1), utc(2015, 7, 1))
        answer = await client.get(base_url, params=before)
        assert answer.status_code == 200
        code, reason = acknowledgement(answer.content)
        assert code == "999"
        assert reason.startswith("No matching data found")
        straddling = params(LOAD, AreaKey(NL), utc(2015, 12, 31), utc(2016, 1, 2))
        values = parsed((await client.get(base_url, params=straddling)).content)
        assert min(t for _, t in values) == utc(2016, 1, 1)
        assert values == flatten(
            SyntheticModel(SEED).published_series(
                LOAD,
                AreaKey(NL),
                Interval(utc(2015, 12, 31), utc(2016, 1, 2)),
                now=NOW,
                data_start=utc(2016, 1, 1),
            )
        )


async def test_actuals_stop_at_now_and_forecasts_are_published_ahead(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    tomorrow = (NOW + timedelta(days=1), NOW + timedelta(days=2))
    load = await client.get(emulator.base_url, params=params(LOAD, AreaKey(NL), *tomorrow))
    assert acknowledgement(load.content)[1].startswith("No matching data found")
    prices = await client.get(emulator.base_url, params=params(PRICES, AreaKey(NL), *tomorrow))
    assert parsed(prices.content) == model_points(PRICES, AreaKey(NL), *tomorrow)
    today = Interval(NOW - timedelta(hours=6), NOW + timedelta(hours=6))
    answer = await client.get(
        emulator.base_url, params=params(LOAD, AreaKey(NL), today.start, today.end)
    )
    values = parsed(answer.content)
    assert max(t for _, t in values) == NOW - timedelta(minutes=15)
    assert values == flatten(
        SyntheticModel(SEED).published_series(LOAD, AreaKey(NL), today, now=NOW)
    )


# -- documents --------------------------------------------------------------------------------

FIXTURE_OF = {
    "actual_total_load": "load_61a_actual_total_load_NL.xml",
    "day_ahead_total_load_forecast": "load_61b_day_ahead_forecast_NL.xml",
    "week_ahead_total_load_forecast": "load61_c_week_ahead_total_load_forecast.xml",
    "month_ahead_total_load_forecast": "load_61d_month_ahead_forecast_NL.xml",
    "year_ahead_total_load_forecast": "load61_e_year_ahead_total_load_forecast.xml",
    "year_ahead_forecast_margin": "load81_year_ahead_forecast_margin.xml",
    "actual_generation_per_type": "FI_production.xml",
    "day_ahead_generation_forecast": "generation_141c_forecast_day_ahead_NL.xml",
    "wind_solar_forecast": "generation_141d_wind_solar_forecast_NL.xml",
    # No recording of either: their documents have the day-ahead forecast's shape.
    "wind_solar_forecast_intraday": "generation_141d_wind_solar_forecast_NL.xml",
    "wind_solar_forecast_current": "generation_141d_wind_solar_forecast_NL.xml",
    "day_ahead_prices": "market_121d_day_ahead_prices_NL.xml",
    # No recording: the day-ahead prices' shape, each series naming its auction (below).
    "intraday_auction_prices": "ES_day_ahead_price.xml",
    "cross_border_physical_flows": "transmission_121g_cross_border_NL_DE.xml",
    "installed_capacity_per_type": (
        "more/generation141_a_installed_capacity_per_production_type.xml"
    ),
    "water_reservoirs": "more/generation161_d_water_reservoirs_and_hydro_storage_plants.xml",
    "imbalance_prices": "more/balancing171_g_imbalance_prices.zip",
    "total_imbalance_volumes": "more/balancing171_h_total_imbalance_volumes.zip",
    "current_balancing_state": "more/balancing123_a_current_balancing_state_gl_eb.xml",
    "aggregated_bids_afrr": "more/tut_aggregated_bids_AT_2023.xml",
    # No recording: the shape of generation per type, each series naming its unit (below).
    "actual_generation_per_unit": "FI_production.xml",
    "scheduled_exchanges_day_ahead": "more/transmission121_f_commercial_schedules.xml",
    "net_positions_day_ahead": "more/market121_e_implicit_auction_net_positions.xml",
    "net_positions_intraday": "more/market121_e_implicit_auction_net_positions.xml",
    "scheduled_exchanges_total": "more/transmission121_f_commercial_schedules.xml",
    **{
        f"forecast_transfer_capacity_{horizon}_ahead": (
            "more/transmission111_a_forecasted_transfer_capacities.xml"
        )
        for horizon in ("day", "week", "month", "year")
    },
}


# Intraday prices name their auction in each series, after the price unit.
AUCTION_OF = {
    "intraday_auction_prices": (
        "price_Measure_Unit.name",
        "classificationSequence_AttributeInstanceComponent.position",
    ),
    "actual_generation_per_unit": ("inBiddingZone_Domain.mRID", "registeredResource.mRID"),
}


def shape(root: etree._Element, beside: tuple[str, str] | None = None) -> tuple[object, ...]:
    """Root name and namespace, header names, and the names inside a series, period, point;
    ``beside`` = (name, added) adds a series element after the named one."""
    series, period = next(iter(periods(root)))
    point = next(p for p in period if local(p) == "Point")
    names = []
    for child in series:
        if local(child) != "Period":
            names.append(local(child))
        if beside is not None and local(child) == beside[0]:
            names.append(beside[1])
    return (
        root.tag,
        [local(c) for c in root if local(c) != "TimeSeries"],
        names,
        [local(c) for c in period if local(c) != "Point"],
        [local(c) for c in point],
    )


def units(root: etree._Element) -> set[str | None]:
    """The quantity units a document gives (MAW for power, MWH for stored energy)."""
    return {e.text for e in root.iter() if local(e) == "quantity_Measure_Unit.name"}


@pytest.mark.parametrize("dataset", list(DATASETS), ids=lambda d: d.key)
async def test_documents_have_the_shape_of_the_real_ones_and_hold_the_model_values(
    emulator: EmulatorServer, client: httpx.AsyncClient, dataset: Dataset
) -> None:
    area = AreaKey(NL, DE_LU) if dataset.is_border else AreaKey(NL)
    start, end = utc(2024, 1, 1), utc(2025, 1, 1)
    if (
        dataset.process_type in ("A01", "A16")
        or dataset.document_type == "A44"
        or dataset.is_border
        or dataset.document_type == "A24"
        or not dataset.within_request_limit(Interval(start, end))
    ):
        start, end = utc(2024, 9, 1, 22), utc(2024, 9, 5, 22)
    if not dataset.within_request_limit(Interval(start, end)):
        # Generation per unit: one day.
        end = start + timedelta(days=1)
    answer = await client.get(emulator.base_url, params=params(dataset, area, start, end))
    assert answer.status_code == 200
    recording = (FIXTURES / FIXTURE_OF[dataset.key]).read_bytes()
    content = answer.content
    # The API serves some datasets as a ZIP archive holding the document; so does the emulator.
    if recording.startswith(b"PK"):
        assert answer.headers["content-type"] == "application/zip"
        assert answer.headers["content-disposition"].startswith("attachment; ")
        content, recording = unzipped(content), unzipped(recording)
    else:
        assert answer.headers["content-type"] == "text/xml"
    root = etree.fromstring(content)
    real = etree.fromstring(recording)
    assert shape(root) == shape(real, beside=AUCTION_OF.get(dataset.key))
    assert units(root) == units(real)
    expected = model_points(dataset, area, start, end)
    assert expected
    assert expand(content) == expected
    assert parsed(answer.content) == expected


async def test_values_do_not_depend_on_the_requested_span(client: httpx.AsyncClient) -> None:
    area = AreaKey(NL)
    async with running_emulator(config(limits=SpanLimits(LimitEra.LEGACY))) as base_url:
        for dataset, long in (
            (LOAD, (utc(2023, 1, 1), utc(2024, 1, 1))),
            (GENERATION, (utc(2023, 7, 1), utc(2023, 8, 1))),
        ):
            whole = parsed(
                (await client.get(base_url, params=params(dataset, area, *long))).content
            )
            day = parsed(
                (
                    await client.get(
                        base_url,
                        params=params(dataset, area, utc(2023, 7, 9, 22), utc(2023, 7, 10, 22)),
                    )
                ).content
            )
            assert len(day) == 96 * len({key for key, _ in day})
            assert {k: whole[k] for k in day} == day
            for (key, timestamp), value in day.items():
                assert expected_value(SEED, dataset.key, key, timestamp) == value


async def test_series_identity_keeps_generation_and_consumption_and_both_border_directions(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    pumped = next(
        code
        for code in (a.code for a in AREAS)
        if any(
            key.out_domain
            for key in SyntheticModel(SEED).series_keys(
                GENERATION, AreaKey(code), utc(2024, 1, 1).date()
            )
        )
    )
    span = (utc(2024, 6, 1), utc(2024, 6, 2))
    document = (
        await client.get(emulator.base_url, params=params(GENERATION, AreaKey(pumped), *span))
    ).content
    keys = {key for key, _ in parsed(document)}
    assert {k.psr_type for k in keys if k.out_domain == pumped} == {"B10"}
    assert any(k.psr_type == "B10" and k.in_domain == pumped for k in keys)
    both_ways = []
    for area in (AreaKey(NL, DE_LU), AreaKey(DE_LU, NL)):
        flows = parsed(
            (await client.get(emulator.base_url, params=params(FLOWS, area, *span))).content
        )
        assert {(k.out_domain, k.in_domain) for k, _ in flows} == {(area.code, area.to_code)}
        assert min(flows.values()) >= 0
        both_ways.append(flows)
    # Flow goes one way at a time: at every instant at most one direction carries power.
    for (_, timestamp), value in both_ways[0].items():
        reverse = [v for (_, t), v in both_ways[1].items() if t == timestamp]
        assert value == 0 or reverse == [0]


async def test_local_days_of_23_and_25_hours_at_dst_changes(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    for start, end, hours in (
        (utc(2024, 3, 30, 23), utc(2024, 3, 31, 22), 23),
        (utc(2024, 10, 26, 22), utc(2024, 10, 27, 23), 25),
    ):
        answer = await client.get(emulator.base_url, params=params(LOAD, AreaKey(NL), start, end))
        root = etree.fromstring(answer.content)
        spans = [child(period, "timeInterval") for _, period in periods(root)]
        assert [(instant(text(s, "start")), instant(text(s, "end"))) for s in spans] == [
            (start, end)
        ]
        assert end - start == timedelta(hours=hours)
        values = expand(answer.content)
        assert len(values) == hours * 4
        assert values == model_points(LOAD, AreaKey(NL), start, end)


async def test_periods_follow_local_days_over_several_days(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    start, end = utc(2024, 3, 29, 23), utc(2024, 4, 1, 22)
    answer = await client.get(emulator.base_url, params=params(PRICES, AreaKey(NL), start, end))
    root = etree.fromstring(answer.content)
    lengths = [
        instant(text(child(p, "timeInterval"), "end"))
        - instant(text(child(p, "timeInterval"), "start"))
        for _, p in periods(root)
    ]
    assert lengths == [timedelta(hours=24), timedelta(hours=23), timedelta(hours=24)]
    # Prices come one TimeSeries per delivery day, as the real 7:3 documents do.
    assert [local(c) for c in root].count("TimeSeries") == 3


async def test_prices_mix_pt15m_and_pt60m(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    span = (utc(2024, 6, 3, 22), utc(2024, 6, 4, 22))
    both = parsed(
        (await client.get(emulator.base_url, params=params(PRICES, AreaKey(DE_LU), *span))).content
    )
    counts: dict[tuple[str, str], int] = {}
    for key, _ in both:
        counts[(key.resolution, key.classification_position)] = (
            counts.get((key.resolution, key.classification_position), 0) + 1
        )
    assert counts == {("PT60M", "1"): 24, ("PT15M", "2"): 96}
    switch = (utc(2025, 9, 29, 22), utc(2025, 10, 2, 22))
    spain = parsed(
        (await client.get(emulator.base_url, params=params(PRICES, AreaKey(ES), *switch))).content
    )
    by_resolution = {key.resolution: [t for k, t in spain if k == key] for key, _ in spain}
    assert max(by_resolution["PT60M"]) < utc(2025, 9, 30, 22) <= min(by_resolution["PT15M"])
    assert len(by_resolution["PT60M"]) == 24
    assert len(by_resolution["PT15M"]) == 2 * 96
    assert spain == model_points(PRICES, AreaKey(ES), *switch)
    assert any(
        value < 0
        for value in model_points(PRICES, AreaKey(DE_LU), utc(2024, 5, 1), utc(2024, 8, 1)).values()
    )


async def test_curves_are_a03_compressed(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    start, end = utc(2024, 6, 1, 22), utc(2024, 6, 2, 22)
    answer = await client.get(emulator.base_url, params=params(GENERATION, AreaKey(NL), start, end))
    root = etree.fromstring(answer.content)
    omitted = 0
    for _, period in periods(root):
        given = {
            int(text(p, "position")): float(text(p, "quantity"))
            for p in period
            if local(p) == "Point"
        }
        assert text(period, "resolution") == "PT15M"
        full, value = [], given[1]
        for position in range(1, 97):
            value = given.get(position, value)
            full.append(value)
        omitted += 96 - len(given)
        # A position is left out exactly when its value repeats the one before it.
        assert set(given) == {1} | {i + 1 for i in range(1, 96) if full[i] != full[i - 1]}
    assert omitted > 0
    assert expand(answer.content) == model_points(GENERATION, AreaKey(NL), start, end)


# -- rate limit, ban, statistics --------------------------------------------------------------


def small_query(token: str = TOKEN) -> dict[str, str]:
    margin = DATASETS.get("year_ahead_forecast_margin")
    return params(margin, AreaKey(NL), utc(2022, 12, 31, 23), utc(2023, 12, 31, 23), token)


async def test_going_past_the_budget_bans_and_while_banned_only_429_is_answered(
    client: httpx.AsyncClient,
) -> None:
    clock = FakeClock()
    async with EmulatorServer(
        config(rate_limit_per_minute=5, ban_seconds=600), clock=clock
    ) as server:
        for _ in range(5):
            assert (await client.get(server.base_url, params=small_query())).status_code == 200
            clock.advance(1)
        refused = await client.get(server.base_url, params=small_query())
        assert refused.status_code == 429
        until = re.search(r"Requester banned until '([^']+)'", refused.text)
        assert until is not None
        assert datetime.fromisoformat(until.group(1)) == datetime.fromtimestamp(
            clock.now + 600, UTC
        )
        statuses = []
        for token in (TOKEN, "wrong", TOKEN):
            for _ in range(10):
                clock.advance(19)
                statuses.append(
                    (await client.get(server.base_url, params=small_query(token))).status_code
                )
        assert set(statuses) == {429}
        clock.now = datetime.fromisoformat(until.group(1)).timestamp()
        assert (await client.get(server.base_url, params=small_query())).status_code == 200
        stats = (await client.get(server.stats_url)).json()
        assert stats["responses_by_status"] == {"200": 6, "429": 31}
        assert stats["total_requests"] == 37


async def test_statistics_report_the_busiest_sliding_minute(client: httpx.AsyncClient) -> None:
    clock = FakeClock()
    async with EmulatorServer(config(rate_limit_per_minute=6), clock=clock) as server:
        for at, count in ((0, 3), (30, 2), (61, 1)):
            clock.now = NOW.timestamp() + at
            for _ in range(count):
                await client.get(server.base_url, params=small_query())
        await client.get(server.base_url, params=small_query("wrong"))
        stats = (await client.get(server.stats_url)).json()
        assert stats["max_requests_in_60s"] == 5
        assert stats["total_requests"] == 7
        assert stats["responses_by_status"] == {"200": 6, "401": 1}
        assert stats["banned_until"] is None
        for _ in range(3):
            await client.get(server.base_url, params=small_query())
        stats = (await client.get(server.stats_url)).json()
        assert stats["max_requests_in_60s"] == 7
        assert stats["responses_by_status"] == {"200": 8, "401": 1, "429": 1}
        assert datetime.fromisoformat(stats["banned_until"]) == datetime.fromtimestamp(
            clock.now + 600, UTC
        )


# -- faults -----------------------------------------------------------------------------------


async def outcomes(base_url: str, count: int) -> list[str]:
    seen = []
    async with httpx.AsyncClient(timeout=30) as http:
        for _ in range(count):
            try:
                answer = await http.get(base_url, params=small_query())
            except httpx.RemoteProtocolError as error:
                seen.append("truncated" if "complete message body" in str(error) else "dropped")
            else:
                seen.append(str(answer.status_code))
    return seen


async def test_fault_shares_follow_the_settings_and_the_seed() -> None:
    faults = FaultSettings(unavailable=0.2, drop=0.1, truncate=0.1)
    runs = []
    for _ in range(2):
        async with running_emulator(config(faults=faults, rate_limit_per_minute=10_000)) as url:
            runs.append(await outcomes(url, 400))
    assert runs[0] == runs[1]
    shares = {name: runs[0].count(name) / 400 for name in set(runs[0])}
    assert set(shares) == {"200", "503", "dropped", "truncated"}
    assert abs(shares["503"] - 0.2) < 0.06
    assert abs(shares["dropped"] - 0.1) < 0.05
    assert abs(shares["truncated"] - 0.1) < 0.05
    plan = FaultPlan(SEED, faults)
    names = {
        Fault.NONE: "200",
        Fault.UNAVAILABLE: "503",
        Fault.DROP: "dropped",
        Fault.TRUNCATE: "truncated",
    }
    assert runs[0] == [names[plan.fault(n)] for n in range(1, 401)]


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("truncate", "complete message body"),
        ("drop", "without sending a response"),
    ],
)
async def test_truncated_bodies_and_dropped_connections_reach_the_client_as_errors(
    fault: str, message: str
) -> None:
    async with (
        running_emulator(config(faults=FaultSettings(**{fault: 1.0}))) as url,
        httpx.AsyncClient(timeout=30) as http,
    ):
        with pytest.raises(httpx.RemoteProtocolError, match=message):
            await http.get(url, params=small_query())


async def test_slow_answers_run_into_client_timeouts() -> None:
    settings = FaultSettings(slow=1.0, slow_seconds=30)
    async with (
        running_emulator(config(faults=settings)) as url,
        httpx.AsyncClient(timeout=0.2) as http,
    ):
        with pytest.raises(httpx.ReadTimeout):
            await http.get(url, params=small_query())


def test_the_emulator_runs_in_a_background_thread_for_synchronous_code() -> None:
    with emulator_in_thread(config()) as url:
        answer = httpx.get(url, params=small_query(), timeout=30)
    assert answer.status_code == 200
    assert parsed(answer.content) == model_points(
        DATASETS.get("year_ahead_forecast_margin"),
        AreaKey(NL),
        utc(2022, 12, 31, 23),
        utc(2023, 12, 31, 23),
    )
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, params=small_query(), timeout=5)


# -- the command ------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
async def test_the_emulator_command_prints_its_url_answers_and_stops_on_a_signal(
    stop_signal: signal.Signals,
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from entrypoints.cli import main; main(prog_name='entsoe')",
        "emulator",
        "--port",
        "0",
        "--seed",
        str(SEED),
        "--token",
        TOKEN,
        "--now",
        "2026-01-15T12:00",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api", line), line
        async with httpx.AsyncClient(timeout=30) as http:
            answer = await http.get(line, params=small_query())
        assert answer.status_code == 200
        assert parsed(answer.content) == model_points(
            DATASETS.get("year_ahead_forecast_margin"),
            AreaKey(NL),
            utc(2022, 12, 31, 23),
            utc(2023, 12, 31, 23),
        )
        process.send_signal(stop_signal)
        _, errors = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, errors.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
