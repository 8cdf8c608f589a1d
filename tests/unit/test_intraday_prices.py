"""Intraday auction prices (A44, contract type A07; the auction IDA1 to IDA3 is the series'
classification position 1 to 3).

There is no recording of an intraday price document. The API serves it in the shape of the
day-ahead one (Publication_MarketDocument 7:3, business type A62, in_Domain = out_Domain) with
``contract_MarketAgreement.type`` A07 and a ``classificationSequence_AttributeInstanceComponent
.position`` per auction. The documents here are *derived* from the recorded Spanish day-ahead
prices: its two quarter-hourly TimeSeries with their contract type changed to A07 and the
position of IDA1, and the second again as IDA3; the values are the recording's.
"""

from __future__ import annotations

import copy
import json

import attrs
import pytest
from lxml import etree

from adapters.entsoe_xml import Acknowledgement, parse_document
from entrypoints.wire import iter_rows
from entsoe_core.areas import AREAS
from entsoe_core.datasets import DATASETS
from entsoe_core.errors import DocumentFault, InvalidRequest
from entsoe_core.observations import Series
from entsoe_core.plan import Chunk
from entsoe_core.ports import ChunkData
from entsoe_core.timeline import Interval, utc
from entsoe_core.validation import check_answer, check_series
from tests.unit.entsoe_documents import FIXTURES

RECORDED = "ES_day_ahead_price"
POSITION = "classificationSequence_AttributeInstanceComponent.position"


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _child(parent: etree._Element, name: str) -> etree._Element:
    return next(c for c in parent if _local(c) == name)


def derived_document() -> bytes:
    """The recording's PT15M TimeSeries as IDA1, and its last one again as IDA3."""
    root = etree.parse(FIXTURES / f"{RECORDED}.xml").getroot()
    series = [c for c in root if _local(c) == "TimeSeries"]
    kept = []
    for one in series:
        if _child(_child(one, "Period"), "resolution").text == "PT15M":
            kept.append(one)
        else:
            root.remove(one)
    assert len(kept) == 2
    third = copy.deepcopy(kept[-1])
    kept[-1].addnext(third)
    for one, auction in zip((*kept, third), ("1", "1", "3"), strict=True):
        _child(one, "contract_MarketAgreement.type").text = "A07"
        position = etree.Element(etree.QName(one, POSITION))
        position.text = auction
        _child(one, "price_Measure_Unit.name").addnext(position)
    return etree.tostring(root)


def derived_series() -> tuple[Series, ...]:
    result = parse_document(derived_document())
    assert not isinstance(result, Acknowledgement), result
    return result


def asked(series: tuple[Series, ...], dataset: str = "intraday_auction_prices") -> Chunk:
    periods = [s.period for s in series if s.period is not None]
    interval = Interval(min(p.start for p in periods), max(p.end for p in periods))
    return Chunk(dataset, AREAS.key("ES"), interval)


def test_a_derived_document_parses_to_the_recorded_prices_of_each_auction() -> None:
    recorded = [
        json.loads(line)
        for line in (FIXTURES / "expected" / f"{RECORDED}.jsonl").read_text().splitlines()
    ]
    quarter_hours = [row for row in recorded if row["resolution"] == "PT15M"]
    last_day = [row for row in quarter_hours if row["timestamp"] >= "2025-10-01T22:00:00Z"]
    assert len(quarter_hours) == 192
    assert len(last_day) == 96
    expected = [{**row, "classification_position": "1"} for row in quarter_hours] + [
        {**row, "classification_position": "3"} for row in last_day
    ]

    rows = list(iter_rows(derived_series()))

    assert sorted(rows, key=json.dumps) == sorted(expected, key=json.dumps)
    assert {s.contract_type for s in derived_series()} == {"A07"}


def test_two_auctions_at_one_instant_are_two_series_of_the_intraday_dataset() -> None:
    series = derived_series()

    filed = check_series(series)

    assert {(f.dataset.key, f.area) for f in filed} == {
        ("intraday_auction_prices", AREAS.key("ES"))
    }
    answer = ChunkData(series)
    assert check_answer(asked(series), answer) == answer
    slots = [(s.key, p.timestamp) for s in series for p in s.points]
    assert len(slots) == len(set(slots))
    instants = [p.timestamp for s in series for p in s.points]
    assert len(set(instants)) < len(instants), "IDA1 and IDA3 share the last day's instants"


def test_intraday_prices_in_a_day_ahead_answer_are_refused() -> None:
    series = derived_series()

    with pytest.raises(DocumentFault, match=r"\(contract type\).*A07.*day_ahead_prices.*A01"):
        check_answer(asked(series, "day_ahead_prices"), ChunkData(series))


def test_day_ahead_prices_in_an_intraday_answer_are_refused() -> None:
    recorded = parse_document(FIXTURES / f"{RECORDED}.xml")
    assert not isinstance(recorded, Acknowledgement)
    quarter_hours = tuple(s for s in recorded if s.key.resolution == "PT15M")

    with pytest.raises(DocumentFault, match=r"\(contract type\).*A01.*A07"):
        check_answer(asked(quarter_hours), ChunkData(quarter_hours))


def test_a_saved_price_document_that_names_no_contract_type_is_day_ahead() -> None:
    # Older price documents name no contract type: they predate the intraday auctions.
    recorded = parse_document(FIXTURES / "FR_prices.xml")
    assert not isinstance(recorded, Acknowledgement)
    assert {s.contract_type for s in recorded} == {""}

    filed = check_series(recorded)

    assert {f.dataset.key for f in filed} == {"day_ahead_prices"}


def test_an_hourly_intraday_price_is_refused() -> None:
    series = derived_series()
    hourly = attrs.evolve(series[0], key=attrs.evolve(series[0].key, resolution="PT60M"))

    with pytest.raises(DocumentFault, match=r"\(resolution\).*PT60M.*PT15M"):
        check_series((hourly,))


def test_a_period_before_the_intraday_auctions_began_is_refused() -> None:
    dataset = DATASETS.get("intraday_auction_prices")
    # The first delivery day of the auctions, 13 June 2024 (CEST), began at 22:00Z.
    dataset.check_period(Interval(utc(2024, 6, 12, 22), utc(2024, 7, 1)))

    with pytest.raises(InvalidRequest, match="intraday_auction_prices is published from 2024-06"):
        dataset.check_period(Interval(utc(2024, 6, 1), utc(2024, 7, 1)))
