"""Two values at one instant: price categories and flow directions are series of their own.

A Balancing_MarketDocument gives each Point of an imbalance price its category (A04 excess
balance, A05 insufficient balance), and each TimeSeries of imbalance volumes and of the
current balancing state its flow direction (A01 up, A02 down). Whether the API writes the two
categories in two TimeSeries (as it does) or interleaved in one Period, and whatever the two
directions hold at one instant, both values of every instant are parsed, pass the answer's
rules, are stored and are exported, each under its own category or direction. An aggregated
balancing energy bid holds three values in every Point (offered, activated, unavailable), in a
TimeSeries per flow direction and market product: all of them are kept, each its own series.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.entsoe_xml import parse_document
from adapters.memory import MemoryDatabase, MemoryUnitOfWork
from entrypoints.wire import EXPORT_FIELDS, observation_rows, row_writer
from entsoe_core.areas import AREAS
from entsoe_core.errors import DocumentFault
from entsoe_core.observations import Observation, Series
from entsoe_core.plan import Chunk
from entsoe_core.ports import ChunkData
from entsoe_core.timeline import Interval, utc
from entsoe_core.validation import check_answer

AT = AREAS.get("AT").code
START = utc(2024, 1, 1)
QUARTER = timedelta(minutes=15)
CATEGORIES = ("A04", "A05")
DIRECTIONS = ("A01", "A02")

Prices = dict[str, list[float]]


def render(prices: Prices, *, together: bool, extra: str = "") -> bytes:
    """An A85 document of ``prices`` (category → one value per quarter hour), with the two
    categories in two TimeSeries or interleaved in one Period; ``extra`` goes into every
    Point."""
    steps = len(prices["A04"])
    end = START + steps * QUARTER

    def period(points: Sequence[tuple[int, float, str]]) -> str:
        body = "".join(
            f"<Point><position>{position}</position>"
            f"<imbalance_Price.amount>{value!r}</imbalance_Price.amount>"
            f"<imbalance_Price.category>{category}</imbalance_Price.category>{extra}</Point>"
            for position, value, category in points
        )
        return (
            f"<Period><timeInterval><start>{START:%Y-%m-%dT%H:%MZ}</start>"
            f"<end>{end:%Y-%m-%dT%H:%MZ}</end></timeInterval>"
            f"<resolution>PT15M</resolution>{body}</Period>"
        )

    def time_series(number: int, points: Sequence[tuple[int, float, str]]) -> str:
        return (
            f"<TimeSeries><mRID>{number}</mRID><businessType>A19</businessType>"
            "<currency_Unit.name>EUR</currency_Unit.name>"
            "<price_Measure_Unit.name>MWH</price_Measure_Unit.name>"
            f"<curveType>A01</curveType>{period(points)}</TimeSeries>"
        )

    by_category = {
        category: [(n, value, category) for n, value in enumerate(values, 1)]
        for category, values in prices.items()
    }
    if together:
        interleaved = [p for pair in zip(*by_category.values(), strict=True) for p in pair]
        series = time_series(1, interleaved)
    else:
        series = "".join(
            time_series(number, points) for number, points in enumerate(by_category.values(), 1)
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Balancing_MarketDocument xmlns="urn:iec62325.351:tc57wg16:451-6:balancingdocument:4:4">'
        "<mRID>test</mRID><revisionNumber>1</revisionNumber><type>A85</type>"
        "<process.processType>A16</process.processType>"
        "<createdDateTime>2024-01-06T10:00:00Z</createdDateTime>"
        f'<area_Domain.mRID codingScheme="A01">{AT}</area_Domain.mRID>'
        f"<period.timeInterval><start>{START:%Y-%m-%dT%H:%MZ}</start>"
        f"<end>{end:%Y-%m-%dT%H:%MZ}</end></period.timeInterval>"
        f"{series}</Balancing_MarketDocument>"
    ).encode()


async def store_and_read(
    dataset: str, series: tuple[Series, ...], interval: Interval
) -> list[Observation]:
    database = MemoryDatabase()
    area = AREAS.key("AT")
    async with MemoryUnitOfWork(database) as uow:
        await uow.store.upsert(dataset, area, series)
        await uow.commit()
    async with MemoryUnitOfWork(database, reading=True) as uow:
        return await uow.store.read(dataset, area, interval)


def stored_and_exported(
    dataset: str, document: bytes, steps: int, field: str, step: timedelta = QUARTER
) -> tuple[list[Observation], dict[tuple[str, str], float], list[str]]:
    """What a chunk of ``steps`` steps stores of ``document``; its JSON rows by (``field``,
    timestamp); its CSV rows' ``field`` column."""
    interval = Interval(START, START + steps * step)
    parsed = parse_document(document)
    assert isinstance(parsed, tuple)
    answer = check_answer(Chunk(dataset, AREAS.key("AT"), interval), ChunkData(parsed))
    assert isinstance(answer, ChunkData)
    stored = asyncio.run(store_and_read(dataset, answer.series, interval))
    rows = [json.loads(line) for line in exported(stored, "jsonl").splitlines()]
    header, *csv_rows = csv.reader(io.StringIO(exported(stored, "csv")))
    column = header.index(field)
    return (
        stored,
        # A sparse field is left out of a JSON row where it is empty.
        {(r.get(field, ""), r["timestamp"]): r["value"] for r in rows},
        [r[column] for r in csv_rows],
    )


def by_instant(values: Prices, step: timedelta = QUARTER) -> dict[tuple[str, str], float]:
    return {
        (name, f"{START + n * step:%Y-%m-%dT%H:%M:%SZ}"): value
        for name, series in values.items()
        for n, value in enumerate(series)
    }


def exported(observations: list[Observation], row_format: str) -> str:
    out = io.StringIO()
    row_writer(out, row_format, EXPORT_FIELDS)(observation_rows(observations))
    return out.getvalue()


price = st.integers(-50_000, 50_000).map(lambda cents: cents / 100)


@st.composite
def two_values_per_instant(draw: st.DrawFn, names: tuple[str, str]) -> Prices:
    steps = draw(st.integers(1, 24))
    return {name: draw(st.lists(price, min_size=steps, max_size=steps)) for name in names}


@dataclass(frozen=True)
class Directed:
    """An A86 dataset whose series go up and down: how its documents look."""

    dataset: str
    business_type: str
    area_tag: str
    unit: str
    resolution: str
    step: timedelta


DIRECTED = (
    Directed("total_imbalance_volumes", "A19", "controlArea_Domain.mRID", "MWH", "PT15M", QUARTER),
    Directed(
        "current_balancing_state", "B33", "area_Domain.mRID", "MAW", "PT1M", timedelta(minutes=1)
    ),
)


def render_directed(kind: Directed, volumes: Prices) -> bytes:
    """An A86 document of ``volumes`` (direction → one value per step), one TimeSeries per
    direction, the area at document level."""
    steps = len(volumes["A01"])
    end = START + steps * kind.step
    bounds = f"<start>{START:%Y-%m-%dT%H:%MZ}</start><end>{end:%Y-%m-%dT%H:%MZ}</end>"
    series = "".join(
        f"<TimeSeries><mRID>{number}</mRID><businessType>{kind.business_type}</businessType>"
        f"<flowDirection.direction>{direction}</flowDirection.direction>"
        f"<quantity_Measure_Unit.name>{kind.unit}</quantity_Measure_Unit.name>"
        "<curveType>A01</curveType>"
        f"<Period><timeInterval>{bounds}</timeInterval>"
        f"<resolution>{kind.resolution}</resolution>"
        + "".join(
            f"<Point><position>{n}</position><quantity>{value!r}</quantity></Point>"
            for n, value in enumerate(values, 1)
        )
        + "</Period></TimeSeries>"
        for number, (direction, values) in enumerate(volumes.items(), 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Balancing_MarketDocument xmlns="urn:iec62325.351:tc57wg16:451-6:balancingdocument:3:0">'
        "<mRID>test</mRID><revisionNumber>1</revisionNumber><type>A86</type>"
        "<process.processType>A16</process.processType>"
        "<createdDateTime>2024-01-06T10:00:00Z</createdDateTime>"
        f'<{kind.area_tag} codingScheme="A01">{AT}</{kind.area_tag}>'
        f"<period.timeInterval>{bounds}</period.timeInterval>"
        f"{series}</Balancing_MarketDocument>"
    ).encode()


@settings(max_examples=60, deadline=None)
@given(prices=two_values_per_instant(CATEGORIES), together=st.booleans())
def test_both_prices_of_every_instant_are_stored_and_exported(
    prices: Prices, together: bool
) -> None:
    steps = len(prices["A04"])
    stored, rows, column = stored_and_exported(
        "imbalance_prices", render(prices, together=together), steps, "price_category"
    )

    assert len(stored) == 2 * steps
    assert {o.key.price_category for o in stored} == set(CATEGORIES)
    assert rows == by_instant(prices)
    assert sorted(column) == sorted([*CATEGORIES] * steps)


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(DIRECTED), volumes=two_values_per_instant(DIRECTIONS))
def test_both_directions_of_every_instant_are_stored_and_exported(
    kind: Directed, volumes: Prices
) -> None:
    steps = len(volumes["A01"])
    stored, rows, column = stored_and_exported(
        kind.dataset, render_directed(kind, volumes), steps, "flow_direction", kind.step
    )

    assert len(stored) == 2 * steps
    assert {o.key.flow_direction for o in stored} == set(DIRECTIONS)
    assert rows == by_instant(volumes, kind.step)
    assert sorted(column) == sorted([*DIRECTIONS] * steps)


def test_without_its_category_a_second_price_at_one_instant_is_a_fault() -> None:
    # The same document with the categories taken away: two values at each instant under one
    # key, which the answer's rules refuse rather than keep one of them.
    document = render({"A04": [1.0], "A05": [2.0]}, together=False)
    stripped = document.replace(b"<imbalance_Price.category>A04</imbalance_Price.category>", b"")
    stripped = stripped.replace(b"<imbalance_Price.category>A05</imbalance_Price.category>", b"")
    parsed = parse_document(stripped)
    assert isinstance(parsed, tuple)
    interval = Interval(START, START + QUARTER)
    with pytest.raises(DocumentFault, match="one value per instant"):
        check_answer(Chunk("imbalance_prices", AREAS.key("AT"), interval), ChunkData(parsed))


def test_an_unread_element_inside_a_point_is_a_fault_naming_it() -> None:
    document = render(
        {"A04": [1.0], "A05": [2.0]}, together=True, extra="<flowDirection>A01</flowDirection>"
    )
    with pytest.raises(DocumentFault, match=r"holds flowDirection 'A01', which this parser"):
        parse_document(document)


KINDS = ("", "secondaryQuantity", "unavailable_Quantity.quantity")
Bids = dict[tuple[str, str], list[tuple[float, float, float]]]
"""(flow direction, market product) → one (offered, activated, unavailable) a quarter hour."""


def render_bids(bids: Bids) -> bytes:
    """An A24 document of ``bids``: one TimeSeries per direction and product, the area at
    document level, every Point holding its three values."""
    steps = len(next(iter(bids.values())))
    end = START + steps * QUARTER
    bounds = f"<start>{START:%Y-%m-%dT%H:%MZ}</start><end>{end:%Y-%m-%dT%H:%MZ}</end>"
    series = "".join(
        f"<TimeSeries><mRID>{number}</mRID><businessType>A14</businessType>"
        "<standard_MarketProduct.marketProductType>"
        f"{product}</standard_MarketProduct.marketProductType>"
        f"<flowDirection.direction>{direction}</flowDirection.direction>"
        "<quantity_Measure_Unit.name>MAW</quantity_Measure_Unit.name>"
        "<curveType>A01</curveType>"
        f"<Period><timeInterval>{bounds}</timeInterval><resolution>PT15M</resolution>"
        + "".join(
            f"<Point><position>{n}</position><quantity>{offered!r}</quantity>"
            f"<secondaryQuantity>{activated!r}</secondaryQuantity>"
            f"<unavailable_Quantity.quantity>{unavailable!r}</unavailable_Quantity.quantity>"
            "</Point>"
            for n, (offered, activated, unavailable) in enumerate(values, 1)
        )
        + "</Period></TimeSeries>"
        for number, ((direction, product), values) in enumerate(bids.items(), 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Balancing_MarketDocument xmlns="urn:iec62325.351:tc57wg16:451-6:balancingdocument:4:1">'
        "<mRID>test</mRID><revisionNumber>1</revisionNumber><type>A24</type>"
        "<process.processType>A51</process.processType>"
        "<createdDateTime>2024-01-06T10:00:00Z</createdDateTime>"
        f'<area_Domain.mRID codingScheme="A01">{AT}</area_Domain.mRID>'
        f"<period.timeInterval>{bounds}</period.timeInterval>"
        f"{series}</Balancing_MarketDocument>"
    ).encode()


@st.composite
def bids_of_both_directions(draw: st.DrawFn) -> Bids:
    steps = draw(st.integers(1, 12))
    products = draw(st.sampled_from([("A01",), ("A01", "A02")]))
    bid = st.tuples(price, price, price)
    return {
        (direction, product): draw(st.lists(bid, min_size=steps, max_size=steps))
        for direction in DIRECTIONS
        for product in products
    }


@settings(max_examples=40, deadline=None)
@given(bids=bids_of_both_directions())
def test_every_value_of_every_bid_is_stored_and_exported(bids: Bids) -> None:
    steps = len(next(iter(bids.values())))
    stored, _, column = stored_and_exported(
        "aggregated_bids_afrr", render_bids(bids), steps, "quantity_kind"
    )

    assert len(stored) == len(bids) * len(KINDS) * steps
    rows = [json.loads(line) for line in exported(stored, "jsonl").splitlines()]
    assert {
        (r["flow_direction"], r["market_product"], r.get("quantity_kind", ""), r["timestamp"]): r[
            "value"
        ]
        for r in rows
    } == {
        (direction, product, kind, f"{START + n * QUARTER:%Y-%m-%dT%H:%M:%SZ}"): values[index]
        for (direction, product), series in bids.items()
        for n, values in enumerate(series)
        for index, kind in enumerate(KINDS)
    }
    assert sorted(column) == sorted([*KINDS] * len(bids) * steps)


def test_without_its_direction_a_second_bid_at_one_instant_is_a_fault() -> None:
    # Both directions' series with their directions taken away: two offered quantities (and
    # two of each other value) at each instant under one key, refused rather than one kept.
    document = render_bids({("A01", "A01"): [(1.0, 0.5, 0.0)], ("A02", "A01"): [(2.0, 0.0, 1.0)]})
    for direction in DIRECTIONS:
        document = document.replace(
            f"<flowDirection.direction>{direction}</flowDirection.direction>".encode(), b""
        )
    parsed = parse_document(document)
    assert isinstance(parsed, tuple)
    interval = Interval(START, START + QUARTER)
    with pytest.raises(DocumentFault, match="one value per instant"):
        check_answer(Chunk("aggregated_bids_afrr", AREAS.key("AT"), interval), ChunkData(parsed))
