"""Documents that are well-formed but break a structural rule: each is a DocumentFault.

Each case is a recorded real answer with one small edit, so everything around the fault is
what the API really sends. A fault is permanent (retrying fetches the same document) and its
message names the rule, the offending value and where it stands in the document.
"""

from __future__ import annotations

import re
import tracemalloc
from datetime import timedelta

import pytest

from adapters.entsoe_xml import Acknowledgement, BodyTooLarge, parse_document
from adapters.entsoe_xml.parser import MAX_PERIOD_STEPS
from entsoe_core.errors import DocumentFault, PermanentSourceError, TransientSourceError
from entsoe_core.observations import Point
from entsoe_core.timeline import utc
from tests.unit.entsoe_documents import FIXTURES, DocumentSpec, PeriodSpec, SeriesSpec, render

# A03, one PT60M Period 2024-09-01T22:00Z/2024-09-02T22:00Z, positions 1 to 24, mRID 1.
PRICES_A03 = "market_121d_day_ahead_prices_NL.xml"
# A01, two PT60M Periods of 24 positions each, in two TimeSeries.
PRICES_A01 = "FR_prices.xml"
NL_PERIOD = "Period 2024-09-01T22:00:00Z/2024-09-02T22:00:00Z"


def edited(name: str, old: str, new: str, count: int = 1) -> bytes:
    """The recorded document with ``old`` replaced by ``new`` (``count`` times, checked)."""
    text = (FIXTURES / name).read_text()
    assert text.count(old) >= count, f"{name} holds {old!r} fewer than {count} times"
    return text.replace(old, new, count).encode()


def fault_of(body: bytes) -> DocumentFault:
    with pytest.raises(DocumentFault) as caught:
        parse_document(body, label="answer.xml")
    fault = caught.value
    assert isinstance(fault, PermanentSourceError)
    assert not isinstance(fault, TransientSourceError)
    assert str(fault).startswith("answer.xml, ")
    return fault


# -- positions ---------------------------------------------------------------------------


@pytest.mark.parametrize("position", [25, 30, 20_000_000, 10**9, 10**39])
def test_a03_position_past_the_period_end_is_a_fault_naming_it(position: int) -> None:
    body = edited(PRICES_A03, "<position>24</position>", f"<position>{position}</position>")
    message = str(fault_of(body))
    assert f"TimeSeries 1 (mRID 1), {NL_PERIOD}: Point position {position} (line 123)" in message
    assert "past the Period's end" in message
    assert "24 step(s) of PT60M, so positions 1 to 24" in message


@pytest.mark.parametrize("position", [25, 10**9])
def test_a01_position_past_the_period_end_is_a_fault_naming_it(position: int) -> None:
    # The first TimeSeries' last Point moves past its Period; the second is untouched.
    body = edited(PRICES_A01, "<position>24</position>", f"<position>{position}</position>")
    message = str(fault_of(body))
    assert "TimeSeries 1 (mRID 1), Period 2023-05-06T22:00:00Z/2023-05-07T22:00:00Z" in message
    assert f"Point position {position} (line " in message


def test_the_second_series_is_named_by_its_index_and_mrid() -> None:
    body = edited(PRICES_A01, "<position>24</position>", "<position>99</position>", count=2)
    # Only the second occurrence matters once the first is back: restore the first.
    body = body.replace(b"<position>99</position>", b"<position>24</position>", 1)
    message = str(fault_of(body))
    assert "TimeSeries 2 (mRID 2), Period 2023-05-07T22:00:00Z/2023-05-08T22:00:00Z" in message
    assert "Point position 99" in message


def test_a_huge_position_is_refused_before_any_point_is_built() -> None:
    # Before positions were bounded, this 1 KB-sized edit expanded into 2*10^7 points.
    body = edited(PRICES_A03, "<position>24</position>", "<position>20000000</position>")
    tracemalloc.start()
    try:
        fault_of(body)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5 * 2**20, f"peak {peak:,} bytes"


def test_positions_given_before_the_interval_are_still_bounded_at_the_period_end() -> None:
    # The resolution after the points (out of schema order): bounded once the Period is read.
    moved = edited(PRICES_A03, "<resolution>PT60M</resolution>", "").decode()
    moved = moved.replace("</Period>", "<resolution>PT60M</resolution></Period>", 1)
    assert isinstance(parse_document(moved.encode()), tuple)
    message = str(
        fault_of(moved.replace("<position>24</position>", "<position>31</position>").encode())
    )
    assert "Point position 31 (line " in message
    assert "lies past the Period's end: the Period holds 24 step(s) of PT60M" in message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0", "needs a position >= 1"),
        ("-3", "needs a position >= 1"),
        ("1.5", "has position '1.5', not a whole number"),
        ("", "has position '', not a whole number"),
        ("1" * 5000, "not a whole number"),
    ],
)
def test_a_position_that_is_not_a_whole_number_from_one_is_a_fault(text: str, message: str) -> None:
    body = edited(PRICES_A03, "<position>24</position>", f"<position>{text}</position>")
    assert message in str(fault_of(body))


def test_a_position_given_twice_is_a_fault_naming_both_values() -> None:
    body = edited(PRICES_A03, "<position>24</position>", "<position>23</position>")
    message = str(fault_of(body))
    assert f"TimeSeries 1 (mRID 1), {NL_PERIOD}: Point position 23 appears twice" in message
    assert "values 104.0 and 114.71" in message


# -- the Period's interval and resolution --------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [("2024-09-02T22:00Z", "2024-09-01T22:00Z"), ("2024-09-01T22:00Z", "2024-09-01T22:00Z")],
    ids=["reversed", "empty"],
)
def test_a_period_that_does_not_start_before_it_ends_is_a_fault(start: str, end: str) -> None:
    body = edited(
        PRICES_A03,
        "<start>2024-09-01T22:00Z</start>\n              <end>2024-09-02T22:00Z</end>",
        f"<start>{start}</start>\n              <end>{end}</end>",
    )
    message = str(fault_of(body))
    assert "TimeSeries 1 (mRID 1): a Period's timeInterval (line 26)" in message
    assert "not before its end" in message
    assert start.replace("Z", ":00Z") in message


def test_a_period_over_centuries_is_a_fault_not_an_expansion() -> None:
    # A03 would repeat the last price every hour until the year 9999.
    body = edited(PRICES_A03, "<end>2024-09-02T22:00Z</end>", "<end>9999-12-31T23:00Z</end>", 2)
    message = str(fault_of(body))
    assert "Period 2024-09-01T22:00:00Z/9999-12-31T23:00:00Z" in message
    hours = (utc(9999, 12, 31, 23) - utc(2024, 9, 1, 22)) // timedelta(hours=1)
    assert f"the Period holds {hours:,} steps of PT60M" in message
    assert f"more than the {MAX_PERIOD_STEPS:,}" in message


def test_positions_past_a_period_at_the_end_of_year_9999_are_a_fault_not_an_overflow() -> None:
    body = edited(
        PRICES_A03,
        "<start>2024-09-01T22:00Z</start>\n              <end>2024-09-02T22:00Z</end>",
        "<start>9999-12-31T00:00Z</start>\n              <end>9999-12-31T23:00Z</end>",
    )
    message = str(fault_of(body))
    assert "Period 9999-12-31T00:00:00Z/9999-12-31T23:00:00Z: Point position 24" in message
    assert "positions 1 to 23" in message


@pytest.mark.parametrize("instant", ["9999-12-31T23:30-01:00", "0001-01-01T00:30+01:00"])
def test_an_instant_outside_the_calendar_in_utc_is_a_fault(instant: str) -> None:
    body = edited(PRICES_A03, "<end>2024-09-02T22:00Z</end>", f"<end>{instant}</end>", 2)
    message = str(fault_of(body))
    assert f"instant {instant!r} lies outside the years 1 to 9999" in message


@pytest.mark.parametrize(
    ("resolution", "message"),
    [
        ("PT1000000H", "the Period is shorter than one step of PT1000000H"),
        ("P100Y", "the Period is shorter than one step of P100Y"),
        ("PT99999999999999999999H", "'PT99999999999999999999H' is longer than any period"),
        ("PT0M", "'PT0M' must be either whole months/years or a fixed duration"),
        ("every hour", "'every hour' is not an ISO 8601 duration"),
        ("-PT60M", "'-PT60M' is not an ISO 8601 duration"),
    ],
)
def test_a_resolution_we_cannot_step_by_is_a_fault(resolution: str, message: str) -> None:
    body = edited(
        PRICES_A03, "<resolution>PT60M</resolution>", f"<resolution>{resolution}</resolution>"
    )
    fault = str(fault_of(body))
    assert message in fault
    assert f"TimeSeries 1 (mRID 1), {NL_PERIOD}:" in fault


def test_a_resolution_finer_than_a_minute_over_a_year_is_a_fault() -> None:
    body = edited(PRICES_A03, "<resolution>PT60M</resolution>", "<resolution>PT1S</resolution>")
    assert isinstance(parse_document(body), tuple)  # a day of seconds: 86,400 steps
    year = body.replace(b"<end>2024-09-02T22:00Z</end>", b"<end>2025-09-02T22:00Z</end>")
    assert "31,622,400 steps of PT1S" in str(fault_of(year))


# -- values ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["NaN", "nan", "inf", "-inf", "Infinity", "-Infinity", "1e400"])
def test_a_value_that_is_not_finite_is_a_fault_naming_value_and_position(text: str) -> None:
    body = edited(
        PRICES_A03,
        "<position>7</position>\n                  <price.amount>113.2</price.amount>",
        f"<position>7</position>\n                  <price.amount>{text}</price.amount>",
    )
    message = str(fault_of(body))
    assert f"{NL_PERIOD}: Point position 7 (line " in message
    assert f"has price.amount {text!r}; a value must be a finite number" in message


def test_a_position_of_thousands_of_digits_is_shown_cut_short() -> None:
    position = "9" * 4000
    body = edited(PRICES_A03, "<position>24</position>", f"<position>{position}</position>")
    message = str(fault_of(body))
    assert f"Point position {'9' * 40}… (a number) (line 123) lies past the Period's end" in message
    assert len(message) < 400


def test_a_point_with_two_values_is_a_fault_naming_both() -> None:
    # Neither value may be chosen over the other: which one the Point means is not known.
    body = edited(
        PRICES_A03,
        "<price.amount>113.2</price.amount>",
        "<price.amount>113.2</price.amount><quantity>12</quantity>",
    )
    message = str(fault_of(body))
    assert f"{NL_PERIOD}: a Point (line " in message
    assert "holds quantity after price.amount; each is given once a Point" in message


def test_a_point_with_two_positions_is_a_fault() -> None:
    body = edited(
        PRICES_A03, "<position>7</position>", "<position>7</position><position>8</position>"
    )
    assert "holds position after position; each is given once a Point" in str(fault_of(body))


@pytest.mark.parametrize(
    ("inside", "named"),
    [
        ("<!-- 1 -->", "a comment"),
        ("<?pi 1?>", "a processing instruction"),
        ("<b/>", "an element <b>"),
    ],
)
def test_a_point_element_holding_more_than_its_text_is_a_fault(inside: str, named: str) -> None:
    # Read whole, "1<!-- 1 -->3" would be position 1 (the text before the comment) or 13.
    body = edited(PRICES_A03, "<position>13</position>", f"<position>1{inside}3</position>")
    message = str(fault_of(body))
    assert "a Point (line " in message
    assert f"has position holding {named} beside its text" in message


def test_a_quantity_that_is_not_finite_is_a_fault() -> None:
    text = (FIXTURES / "load_61a_actual_total_load_NL.xml").read_text()
    body = re.sub(r"<quantity>[^<]*</quantity>", "<quantity>-inf</quantity>", text, count=1)
    message = str(fault_of(body.encode()))
    assert "Point position 1 (line " in message
    assert "has quantity '-inf'; a value must be a finite number" in message


# -- amplification -------------------------------------------------------------------------


def year_of_one_point(series: int) -> bytes:
    """``series`` A03 series, each one PT15M Period of 2023 giving only position 1."""
    period = PeriodSpec(utc(2023, 1, 1), utc(2024, 1, 1), "PT15M", [(1, 5.0)])
    return render(DocumentSpec([SeriesSpec([period], psr_type=f"B{n:02d}") for n in range(series)]))


def test_curves_that_leave_out_more_points_than_the_cap_holds_are_refused() -> None:
    # 140 bytes a point: a cap of 7,000,000 bytes fills in 50,000 points, one year and a half.
    cap = 7_000_000
    one = parse_document(year_of_one_point(1), max_member_bytes=cap)
    assert isinstance(one, tuple)
    assert len(one[0].points) == 35_040
    with pytest.raises(BodyTooLarge) as caught:
        parse_document(year_of_one_point(2), max_member_bytes=cap)
    message = str(caught.value)
    assert message.startswith("the document, TimeSeries 2 (mRID 2), Period 2023-01-01T00:00:00Z")
    assert "would make more than 50,000 points, more than the cap of 7,000,000 bytes" in message
    assert isinstance(caught.value, PermanentSourceError)


def test_the_default_cap_fills_in_a_year_for_many_series() -> None:
    parsed = parse_document(year_of_one_point(40))
    assert isinstance(parsed, tuple)
    assert sum(len(s.points) for s in parsed) == 40 * 35_040


# -- what stays valid --------------------------------------------------------------------


def test_the_last_position_of_a_period_is_inside_it() -> None:
    parsed = parse_document(FIXTURES / PRICES_A03)
    assert not isinstance(parsed, Acknowledgement)
    assert parsed[0].points[-1].timestamp == utc(2024, 9, 2, 21)


def test_a_local_week_of_days_across_the_spring_change_holds_seven_days() -> None:
    # 2024-03-24T23:00Z to 2024-03-31T22:00Z is a local week of 167 hours.
    start = utc(2024, 3, 24, 23)
    spec = SeriesSpec(
        [PeriodSpec(start, utc(2024, 3, 31, 22), "P1D", [(1, 1.0), (7, 7.0)])], curve_type="A01"
    )
    parsed = parse_document(render(DocumentSpec([spec])))
    assert not isinstance(parsed, Acknowledgement)
    assert parsed[0].points == (Point(start, 1.0), Point(start + timedelta(days=6), 7.0))


def test_local_months_across_the_spring_change_hold_every_month() -> None:
    # February and March 2023 in local time: an hour short of two calendar months in UTC.
    start = utc(2023, 1, 31, 23)
    spec = SeriesSpec([PeriodSpec(start, utc(2023, 3, 31, 22), "P1M", [(1, 1.0), (2, 2.0)])])
    parsed = parse_document(render(DocumentSpec([spec])))
    assert not isinstance(parsed, Acknowledgement)
    assert [p.value for p in parsed[0].points] == [1.0, 2.0]


def test_hours_get_no_daylight_saving_slack() -> None:
    start = utc(2024, 1, 1)
    spec = SeriesSpec(
        [PeriodSpec(start, start + timedelta(hours=23, minutes=30), "PT60M", [(24, 1.0)])]
    )
    message = str(fault_of(render(DocumentSpec([spec]))))
    assert "Point position 24" in message
    assert "23 step(s) of PT60M" in message


@pytest.mark.parametrize(
    "name",
    [
        "generation141_a_installed_capacity_per_production_type.xml",
        "generation161_d_water_reservoirs_and_hydro_storage_plants.xml",
        "market121_e_implicit_auction_net_positions.xml",
        "transmission111_a_forecasted_transfer_capacities.xml",
        "transmission121_f_commercial_schedules.xml",
    ],
)
def test_recordings_without_expected_points_break_no_structural_rule(name: str) -> None:
    # The recordings with expected points are checked point by point in test_entsoe_parser.
    parsed = parse_document(FIXTURES / "more" / name)
    assert isinstance(parsed, tuple)
    assert parsed
