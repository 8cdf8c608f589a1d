"""The rules every answer keeps before it is stored (entsoe_core.validation)."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest

from adapters.entsoe_xml.parser import Acknowledgement, parse_document
from entrypoints.emulator.model import SyntheticModel
from entsoe_core.areas import AREAS, AreaKey
from entsoe_core.datasets import DATASETS
from entsoe_core.errors import DocumentFault, PermanentSourceError
from entsoe_core.observations import Point, Series, SeriesKey
from entsoe_core.plan import Chunk
from entsoe_core.ports import ChunkData, NoData
from entsoe_core.timeline import Interval, utc
from entsoe_core.validation import accepted_interval, check_answer, check_series, file_series
from tests.unit.entsoe_documents import FIXTURES, fixture_documents

NL = AREAS.get("NL").code
BE = AREAS.get("BE").code
DE_LU = AREAS.get("DE_LU").code
DAY = Interval(utc(2024, 1, 1), utc(2024, 1, 2))
LOAD = SeriesKey("A65", "A16", "A04", out_domain=NL, resolution="PT60M")
HOURS = tuple(Point(DAY.start + timedelta(hours=h), 1000.0 + h) for h in range(24))


def load(**changes: Any) -> Series:
    """A day of hourly actual total load for NL, with ``changes`` to its key or fields."""
    key_fields = {k: v for k, v in changes.items() if k in attrs.fields_dict(SeriesKey)}
    rest = {k: v for k, v in changes.items() if k not in key_fields}
    return Series(attrs.evolve(LOAD, **key_fields), rest.pop("points", HOURS), **rest)


def fault(chunk: Chunk, *series: Series) -> str:
    with pytest.raises(DocumentFault) as caught:
        check_answer(chunk, ChunkData(series))
    assert isinstance(caught.value, PermanentSourceError)
    return str(caught.value)


NL_LOAD = Chunk("actual_total_load", AreaKey(NL), DAY)


def test_a_well_formed_answer_is_kept_whole() -> None:
    answer = ChunkData((load(), load(business_type="A05")))
    assert check_answer(NL_LOAD, answer) == answer


def test_no_data_passes_untouched() -> None:
    assert check_answer(NL_LOAD, NoData("nothing")) == NoData("nothing")


@pytest.mark.parametrize(
    ("series", "fragments"),
    [
        (
            load(document_type="A44"),
            ("(document type)", "document type A44", "actual_total_load", "A65"),
        ),
        (
            load(process_type="A01"),
            ("(process type)", "process type A01", "process type A16"),
        ),
        (
            load(out_domain=BE),
            ("(domain)", f"out_Domain {BE}", f"outBiddingZone_Domain {NL}"),
        ),
        (
            load(in_domain=BE),
            ("(domain)", f"in_Domain {BE}", f"out_Domain {NL}"),
        ),
        (
            load(out_domain="", in_domain=NL),
            ("(domain)", f"in_Domain {NL} and out_Domain (none)"),
        ),
        (
            load(resolution="P1Y", points=(Point(DAY.start, 1.0),)),
            ("(resolution)", "resolution P1Y", "PT15M, PT30M, PT60M"),
        ),
        (
            load(points=(*HOURS[:5], Point(HOURS[5].timestamp, float("nan")), *HOURS[6:])),
            ("(finite values)", "value nan at 2024-01-01T05:00:00+00:00", "finite number"),
        ),
        (
            load(points=(Point(DAY.start, float("inf")),)),
            ("(finite values)", "value inf at 2024-01-01T00:00:00+00:00"),
        ),
        (
            load(points=(Point(DAY.start, float("-inf")),)),
            ("(finite values)", "value -inf"),
        ),
        (
            load(points=(*HOURS, Point(DAY.end, 1.0))),
            (
                "(inside the request)",
                "a point at 2024-01-02T00:00:00+00:00",
                str(DAY),
            ),
        ),
        (
            load(points=(Point(utc(2020, 1, 1), 1.0), *HOURS)),
            ("(inside the request)", "a point at 2020-01-01T00:00:00+00:00"),
        ),
        (
            load(points=(Point(DAY.start - timedelta(hours=1), 1.0), *HOURS)),
            ("(inside the request)", "a point at 2023-12-31T23:00:00+00:00"),
        ),
    ],
    ids=[
        "prices for load",
        "forecast for actual",
        "BE for NL",
        "in domain of another area",
        "in domain instead of out",
        "P1Y for hourly",
        "NaN",
        "Infinity",
        "minus Infinity",
        "point at the chunk's end",
        "point years before",
        "point an hour before",
    ],
)
def test_each_broken_rule_is_a_document_fault_naming_rule_value_and_place(
    series: Series, fragments: tuple[str, ...]
) -> None:
    message = fault(NL_LOAD, load(), series)
    assert message.startswith("document fault (")
    assert "in series 2 [" in message, message
    for fragment in fragments:
        assert fragment in message, message


def test_the_first_broken_rule_of_the_first_bad_series_is_named() -> None:
    message = fault(
        NL_LOAD, load(), load(out_domain=BE, resolution="P1D"), load(document_type="A44")
    )
    assert message.startswith("document fault (domain) in series 2 [A65/A16, business type A04")


def test_points_out_of_time_order_are_still_found_outside() -> None:
    late = Point(DAY.end + timedelta(days=400), 5.0)
    message = fault(NL_LOAD, load(points=(HOURS[0], late, *HOURS[1:])))
    assert f"a point at {late.timestamp.isoformat()}" in message


BORDER = Chunk("cross_border_physical_flows", AreaKey(NL, DE_LU), DAY)
FLOW = SeriesKey("A11", "", "A66", in_domain=DE_LU, out_domain=NL, resolution="PT15M")
QUARTERS = tuple(Point(DAY.start + timedelta(minutes=15 * q), 10.0) for q in range(96))


def test_a_border_is_asked_for_in_one_direction_and_the_other_is_refused() -> None:
    ours = Series(FLOW, QUARTERS)
    assert check_answer(BORDER, ChunkData((ours,))) == ChunkData((ours,))
    reverse = Series(attrs.evolve(FLOW, in_domain=NL, out_domain=DE_LU), QUARTERS)
    message = fault(BORDER, reverse)
    assert "(domain)" in message
    assert f"in_Domain {NL} and out_Domain {DE_LU}" in message
    assert f"the border {NL}>{DE_LU}" in message


def test_generation_may_file_consumption_under_its_out_domain_only() -> None:
    chunk = Chunk("actual_generation_per_type", AreaKey(NL), DAY)
    generation = SeriesKey("A75", "A16", "A01", "B10", in_domain=NL, resolution="PT60M")
    consumption = attrs.evolve(generation, in_domain="", out_domain=NL)
    answer = ChunkData((Series(generation, HOURS), Series(consumption, HOURS)))
    assert check_answer(chunk, answer) == answer
    other = attrs.evolve(generation, in_domain="", out_domain=BE)
    assert "(domain)" in fault(chunk, Series(other, HOURS))


def test_a_dataset_without_process_type_takes_any() -> None:
    prices = SeriesKey("A44", "", "A62", in_domain=NL, out_domain=NL, resolution="PT60M")
    chunk = Chunk("day_ahead_prices", AreaKey(NL), DAY)
    answer = ChunkData((Series(attrs.evolve(prices, process_type="A01"), HOURS),))
    assert check_answer(chunk, answer) == answer
    assert "(domain)" in fault(chunk, Series(attrs.evolve(prices, out_domain=BE), HOURS))


PRICES = SeriesKey("A44", "", "A62", in_domain=NL, out_domain=NL, resolution="PT60M")
PRICE_CHUNK = Chunk("day_ahead_prices", AreaKey(NL), Interval(utc(2024, 1, 1, 6), utc(2024, 1, 2)))


def test_whole_delivery_days_of_prices_are_trimmed_to_the_chunk(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # NL delivery days 2024-01-01 and 2024-01-02 (CET): 23:00Z to 23:00Z.
    days = tuple(Point(utc(2023, 12, 31, 23) + timedelta(hours=h), float(h)) for h in range(48))
    with caplog.at_level(logging.DEBUG, logger="entsoe_core.validation"):
        answer = check_answer(PRICE_CHUNK, ChunkData((Series(PRICES, days),)))
    assert f"left out 30 points of the whole days answering {PRICE_CHUNK}" in caplog.text
    assert isinstance(answer, ChunkData)
    (kept,) = answer.series
    assert [p.timestamp for p in kept.points] == [
        utc(2024, 1, 1, 6) + timedelta(hours=h) for h in range(18)
    ]
    assert kept.points == tuple(p for p in days if PRICE_CHUNK.interval.contains(p.timestamp))
    assert attrs.evolve(kept, points=()) == Series(PRICES, ())


def test_a_price_series_wholly_outside_the_chunk_but_inside_its_days_is_dropped() -> None:
    before = tuple(Point(utc(2023, 12, 31, 23) + timedelta(hours=h), 1.0) for h in range(7))
    inside = Series(PRICES, (Point(utc(2024, 1, 1, 12), 2.0),))
    answer = check_answer(PRICE_CHUNK, ChunkData((Series(PRICES, before), inside)))
    assert answer == ChunkData((inside,))


def test_prices_outside_the_widened_days_are_a_fault() -> None:
    far = Series(PRICES, (Point(utc(2024, 1, 4), 1.0),))
    message = fault(PRICE_CHUNK, far)
    assert "(inside the request)" in message
    assert "whole delivery days: [2023-12-31T00:00:00+00:00, 2024-01-03T00:00:00+00:00)" in message


@pytest.mark.parametrize(
    ("start", "end", "widened"),
    [
        (utc(2024, 1, 1), utc(2024, 1, 2), (utc(2023, 12, 31), utc(2024, 1, 3))),
        (utc(2024, 1, 1, 6), utc(2024, 1, 1, 7), (utc(2023, 12, 31), utc(2024, 1, 3))),
        (utc(2024, 1, 1), utc(2024, 2, 1), (utc(2023, 12, 31), utc(2024, 2, 2))),
    ],
)
def test_only_whole_day_datasets_are_widened(
    start: datetime, end: datetime, widened: tuple[datetime, datetime]
) -> None:
    interval = Interval(start, end)
    assert accepted_interval(DATASETS.get("day_ahead_prices"), interval) == Interval(*widened)
    whole_day = [d.key for d in DATASETS if accepted_interval(d, interval) != interval]
    # Prices of both markets come from one export, which answers whole delivery days.
    assert whole_day == ["day_ahead_prices", "intraday_auction_prices"]


def test_the_widening_holds_every_delivery_day_of_every_area_that_touches_the_chunk() -> None:
    prices = DATASETS.get("day_ahead_prices")
    for area in AREAS:
        zone = ZoneInfo(area.timezone)
        for start in (utc(2024, 3, 31), utc(2024, 10, 27, 23, 30), utc(2024, 6, 1, 21)):
            interval = Interval(start, start + timedelta(hours=1))
            first = datetime.combine(start.astimezone(zone).date(), datetime.min.time(), zone)
            last = datetime.combine(
                (interval.end - timedelta(seconds=1)).astimezone(zone).date() + timedelta(days=1),
                datetime.min.time(),
                zone,
            )
            accepted = accepted_interval(prices, interval)
            assert accepted.start <= first.astimezone(UTC), area
            assert last.astimezone(UTC) <= accepted.end, area


# -- the recorded real answers and the emulator keep every rule ------------------------------


def _requested(document: str) -> Interval | None:
    meta = FIXTURES / document.replace(".xml", ".meta.json")
    if not meta.is_file():
        return None
    found = re.search(r"(\d{12})-(\d{12})", json.loads(meta.read_text())["content_disposition"])
    if found is None:
        return None
    start, end = (
        datetime.strptime(text, "%Y%m%d%H%M").replace(tzinfo=UTC) for text in found.groups()
    )
    return Interval(start, end)


@pytest.mark.parametrize("document", fixture_documents(), ids=lambda p: p.stem)
def test_every_recorded_answer_keeps_the_rules_of_its_request(document: Path) -> None:
    parsed = parse_document(document)
    if isinstance(parsed, Acknowledgement):
        return
    filed = check_series(parsed)
    assert len({(f.dataset.key, f.area) for f in filed}) == 1
    requested = _requested(document.name)
    if requested is None:
        return
    chunk = Chunk(filed[0].dataset.key, filed[0].area, requested)
    assert check_answer(chunk, ChunkData(parsed)) == ChunkData(parsed)


@pytest.mark.parametrize("dataset", DATASETS.keys)
def test_the_emulator_answers_keep_every_rule(dataset: str) -> None:
    model = SyntheticModel(5)
    known = DATASETS.get(dataset)
    areas = ["NL>DE_LU", "DE_LU>NL"] if known.is_border else ["NL", "DE_LU", "CZ", "FI"]
    intervals = [
        Interval(utc(2024, 10, 27), utc(2024, 10, 28)),
        Interval(utc(2025, 9, 30, 7), utc(2025, 10, 3, 5)),
        Interval(utc(2024, 1, 1), utc(2024, 2, 1)),
    ]
    for name in areas:
        area = AREAS.key(name)
        for interval in intervals:
            series = model.published_series(known, area, interval, now=utc(2026, 1, 1))
            answer = ChunkData(tuple(series))
            assert check_answer(Chunk(dataset, area, interval), answer) == answer


# -- the rules that need no request ----------------------------------------------------------


def test_file_series_names_dataset_and_area() -> None:
    filed = file_series(load(), 1)
    assert (filed.dataset.key, filed.area, filed.series) == (
        "actual_total_load",
        AreaKey(NL),
        load(),
    )


@pytest.mark.parametrize(
    ("series", "fragments"),
    [
        (load(document_type="A99"), ("(known dataset)", "document type 'A99'")),
        (load(out_domain=""), ("(known dataset)", "names no domain")),
        (load(resolution="PT1000000H"), ("(resolution)", "resolution PT1000000H")),
        (load(resolution="P1Y"), ("(resolution)", "resolution P1Y")),
        (load(points=(Point(DAY.start, float("nan")),)), ("(finite values)", "value nan")),
    ],
    ids=["unknown document type", "no domain", "PT1000000H", "P1Y load", "NaN"],
)
def test_rules_without_a_request(series: Series, fragments: tuple[str, ...]) -> None:
    with pytest.raises(DocumentFault) as caught:
        check_series([load(), series])
    message = str(caught.value)
    assert "in series 2 [" in message
    for fragment in fragments:
        assert fragment in message, message


def test_rules_without_a_request_do_not_look_at_the_interval_or_area() -> None:
    far = load(out_domain=BE, points=(Point(utc(2030, 1, 1), 1.0),))
    assert check_series([far])[0].area == AreaKey(BE)


def test_two_values_at_one_instant_under_one_key_are_a_fault() -> None:
    # A document holding two values per instant under one key tells them apart by something
    # the key does not read: storing both would drop one of them without a word.
    morning, evening = HOURS[:12], HOURS[12:]
    separate = ChunkData((load(points=morning), load(points=evening)))
    assert check_answer(NL_LOAD, separate) == separate
    second_value = tuple(Point(p.timestamp, p.value + 1) for p in HOURS[11:13])
    message = fault(NL_LOAD, load(points=morning), load(points=evening), load(points=second_value))
    assert "(one value per instant) in series 3" in message
    assert "series 1 has a value at the same instant" in message
    assert "2024-01-01T11:00:00+00:00" in message
    # Another key at the same instants is another series.
    other = ChunkData((load(), load(business_type="A05", points=HOURS)))
    assert check_answer(NL_LOAD, other) == other
