"""Holes in answers (entsoe_core.holes) and how the coverage ledger bounds fetching them again."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from adapters.entsoe_xml.parser import parse_document
from entsoe_core.coverage import CoverageEntry, Outcome, RecheckPolicy
from entsoe_core.errors import DocumentFault
from entsoe_core.holes import find_holes
from entsoe_core.observations import Point, Series, SeriesKey
from entsoe_core.resolution import Resolution
from entsoe_core.timeline import Interval, IntervalSet, utc
from tests.unit.entsoe_documents import DocumentSpec, PeriodSpec, SeriesSpec, render

NL = "10YNL----------L"
MONTH = Interval(utc(2024, 1, 1), utc(2024, 2, 1))
AFTER = utc(2024, 3, 1)
BEFORE = utc(2024, 1, 20)
LOAD = SeriesKey("A65", "A16", "A04", out_domain=NL, resolution="PT15M")
QUARTER = timedelta(minutes=15)


def series(
    key: SeriesKey, stamps: list[datetime], curve: str = "A01", value: float = 1.0
) -> Series:
    return Series(key, tuple(Point(t, value) for t in stamps), curve_type=curve)


def grid(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    stamps, t = [], start
    while t < end:
        stamps.append(t)
        t += step
    return stamps


def holes(*intervals: tuple[datetime, datetime]) -> IntervalSet:
    return IntervalSet.of(Interval(start, end) for start, end in intervals)


def test_a_complete_answer_has_no_holes() -> None:
    complete = series(LOAD, grid(MONTH.start, MONTH.end, QUARTER))
    assert find_holes(MONTH, [complete], AFTER) == IntervalSet()


def test_positions_missing_inside_an_a01_period_are_holes_merged() -> None:
    stamps = grid(MONTH.start, MONTH.end, QUARTER)
    gone = {utc(2024, 1, 3, 10), utc(2024, 1, 3, 10, 15), utc(2024, 1, 9, 0)}
    cut = series(LOAD, [t for t in stamps if t not in gone])
    assert find_holes(MONTH, [cut], BEFORE) == holes(
        (utc(2024, 1, 3, 10), utc(2024, 1, 3, 10, 30)),
        (utc(2024, 1, 9), utc(2024, 1, 9, 0, 15)),
    )


def parsed(curve: str, positions: list[int], hours: int = 24) -> list[Series]:
    day = Interval(utc(2024, 1, 1), utc(2024, 1, 2))
    spec = SeriesSpec(
        [
            PeriodSpec(
                day.start,
                day.start + timedelta(hours=hours),
                "PT60M",
                [(p, 1.0) for p in positions],
            )
        ],
        curve_type=curve,
        in_domain=NL,
    )
    found = parse_document(render(DocumentSpec([spec])))
    assert isinstance(found, tuple)
    return list(found)


def test_a_parsed_a01_period_promises_every_position_to_its_edges() -> None:
    # The parser does not fail an A01 Period with positions left out: they are holes.
    day = Interval(utc(2024, 1, 1), utc(2024, 1, 2))
    given = [p for p in range(3, 21) if p not in (7, 8)]
    [series_read] = parsed("A01", given)
    assert series_read.period == day
    assert find_holes(day, [series_read], BEFORE) == holes(
        (utc(2024, 1, 1), utc(2024, 1, 1, 2)),
        (utc(2024, 1, 1, 6), utc(2024, 1, 1, 8)),
        (utc(2024, 1, 1, 20), utc(2024, 1, 2)),
    )
    # Only what lies inside the interval asked for counts.
    morning = Interval(utc(2024, 1, 1, 1), utc(2024, 1, 1, 7))
    assert find_holes(morning, [series_read], BEFORE) == holes(
        (utc(2024, 1, 1, 1), utc(2024, 1, 1, 2)), (utc(2024, 1, 1, 6), utc(2024, 1, 1, 7))
    )


def test_a_parsed_a03_period_has_no_hole_inside() -> None:
    day = Interval(utc(2024, 1, 1), utc(2024, 1, 2))
    [series_read] = parsed("A03", [1, 5, 20])
    assert find_holes(day, [series_read], BEFORE) == IntervalSet()


def test_an_a03_curve_repeats_instead_of_leaving_holes() -> None:
    # An A03 curve leaves out positions whose value repeats; the parser fills them, and
    # what it gives is not a hole even when the points handed over are sparse.
    sparse = series(LOAD, [MONTH.start, utc(2024, 1, 15)], curve="A03")
    assert find_holes(MONTH, [sparse], BEFORE) == IntervalSet()


def test_a_series_cut_short_in_the_past_misses_its_tail() -> None:
    thousand = grid(MONTH.start, MONTH.start + 1000 * QUARTER, QUARTER)
    cut = series(LOAD, thousand, curve="A03")
    assert find_holes(MONTH, [cut], AFTER) == holes((MONTH.start + 1000 * QUARTER, MONTH.end))


def test_a_series_ending_early_is_no_hole_while_the_interval_is_not_over() -> None:
    so_far = series(LOAD, grid(MONTH.start, BEFORE, QUARTER))
    assert find_holes(MONTH, [so_far], BEFORE) == IntervalSet()
    assert find_holes(MONTH, [so_far], MONTH.end) == holes((BEFORE, MONTH.end))


def test_a_change_of_resolution_continues_in_the_sibling() -> None:
    switch = utc(2025, 10, 1)
    interval = Interval(utc(2025, 9, 1), utc(2025, 11, 1))
    prices = SeriesKey("A44", in_domain=NL, out_domain=NL, resolution="PT60M")
    hourly = series(prices, grid(interval.start, switch, timedelta(hours=1)))
    quarterly = series(
        SeriesKey("A44", in_domain=NL, out_domain=NL, resolution="PT15M"),
        grid(switch, interval.end, QUARTER),
    )
    assert find_holes(interval, [hourly, quarterly], AFTER.replace(year=2026)) == IntervalSet()
    # Another identity does not continue it.
    other = series(
        SeriesKey(
            "A44", in_domain=NL, out_domain=NL, classification_position="2", resolution="PT15M"
        ),
        grid(switch, interval.end, QUARTER),
    )
    assert find_holes(interval, [hourly, other], utc(2026, 1, 1)) == holes((switch, interval.end))


def test_whole_delivery_days_reaching_past_the_interval_are_no_hole() -> None:
    prices = SeriesKey("A44", in_domain=NL, out_domain=NL, resolution="PT60M")
    # Delivery days of CET: from 23:00 UTC the day before to 23:00 UTC the last day.
    answer = series(prices, grid(utc(2023, 12, 31, 23), utc(2024, 2, 1, 23), timedelta(hours=1)))
    assert find_holes(MONTH, [answer], AFTER) == IntervalSet()


def test_days_step_with_the_dst_hour_of_slack() -> None:
    week_ahead = SeriesKey("A65", "A31", "A04", out_domain=NL, resolution="P1D")
    # Local days of CET in UTC around the autumn change: 22:00 before it, 23:00 after.
    stamps = [utc(2024, 10, 24, 22), utc(2024, 10, 25, 22), utc(2024, 10, 26, 22)]
    interval = Interval(utc(2024, 10, 24, 22), utc(2024, 10, 27, 23))
    assert find_holes(interval, [series(week_ahead, stamps)], AFTER.replace(year=2025)) == (
        IntervalSet()
    )
    after_change = [*stamps, utc(2024, 10, 27, 23), utc(2024, 10, 29, 23)]
    longer = Interval(interval.start, utc(2024, 10, 30, 23))
    assert find_holes(longer, [series(week_ahead, after_change)], utc(2025, 1, 1)) == holes(
        (utc(2024, 10, 28, 23), utc(2024, 10, 29, 23))
    )


def test_months_step_by_the_calendar() -> None:
    margin = SeriesKey("A65", "A32", "A04", out_domain=NL, resolution="P1M")
    year = Interval(utc(2023, 1, 1), utc(2024, 1, 1))
    months = [utc(2023, month, 1) for month in range(1, 13)]
    assert find_holes(year, [series(margin, months)], AFTER) == IntervalSet()
    without_march = [m for m in months if m.month != 3]
    assert find_holes(year, [series(margin, without_march)], AFTER) == holes(
        (utc(2023, 3, 1), utc(2023, 4, 1))
    )


def test_steps_of_resolutions() -> None:
    assert Resolution.parse("PT15M").longest == QUARTER
    assert Resolution.parse("PT60M").after(utc(2024, 1, 1)) == utc(2024, 1, 1, 1)
    assert Resolution.parse("P7D").longest == timedelta(days=7, hours=1)
    assert Resolution.parse("P1M").after(utc(2024, 1, 31)) == utc(2024, 2, 29)
    assert Resolution.parse("P1Y").after(utc(2024, 1, 1), 2) == utc(2026, 1, 1)
    assert Resolution.parse("P1M").count(Interval(utc(2024, 1, 1), utc(2024, 4, 1))) == 3
    assert Resolution.parse("P1D").count(Interval(utc(2024, 3, 30, 23), utc(2024, 3, 31, 22))) == 1
    assert Resolution.parse("PT15M").count(Interval(utc(2024, 1, 1), utc(2024, 1, 2))) == 96
    with pytest.raises(DocumentFault, match=r"'PT0M'.*PT15M"):
        Resolution.parse("PT0M")
    with pytest.raises(DocumentFault, match=r"'quarter'"):
        Resolution.parse("quarter")


_STEPS = {"PT15M": QUARTER, "PT30M": 2 * QUARTER, "PT60M": 4 * QUARTER, "P1D": timedelta(days=1)}


@given(
    resolution=st.sampled_from(sorted(_STEPS)),
    length=st.integers(2, 300),
    removed=st.sets(st.integers(0, 299)),
    past=st.booleans(),
    with_period=st.booleans(),
)
def test_removing_points_of_a_regular_series_makes_exactly_those_holes(
    resolution: str, length: int, removed: set[int], past: bool, with_period: bool
) -> None:
    step = _STEPS[resolution]
    start = utc(2023, 1, 1)
    interval = Interval(start, start + step * length)
    # Without its Period, nothing tells that a series should have started earlier.
    gone = {i for i in removed if i < length and (with_period or i > 0)}
    assume(len(gone) < length)
    stamps = [start + step * i for i in range(length) if i not in gone]
    key = SeriesKey("A65", "A01", "A04", out_domain=NL, resolution=resolution)
    answer = Series(
        key,
        tuple(Point(t, 1.0) for t in stamps),
        curve_type="A01",
        period=interval if with_period else None,
    )
    now = interval.end if past else interval.end - timedelta(microseconds=1)
    last = max(i for i in range(length) if i not in gone)
    expected = holes(
        *(
            (start + step * i, start + step * (i + 1))
            for i in gone
            if past or with_period or i < last
        )
    )
    assert find_holes(interval, [answer], now) == expected


# -- the coverage ledger: holes keep an entry provisional, up to a bound ------------------

POLICY = RecheckPolicy(max_hole_fetches=3)
HOLE = holes((utc(2024, 1, 11), MONTH.end))


def entry(fetched: datetime, found: IntervalSet = HOLE) -> CoverageEntry:
    return CoverageEntry(MONTH, Outcome.DATA, fetched, holes=found)


def test_an_entry_with_holes_stays_provisional() -> None:
    settled = utc(2024, 3, 1)
    assert POLICY.is_final(entry(settled, IntervalSet()))
    assert not POLICY.is_final(entry(settled))


def test_holes_found_by_the_bound_number_of_settled_fetches_are_accepted() -> None:
    first, second, third = (utc(2024, 3, day) for day in (1, 2, 3))
    early = entry(utc(2024, 2, 1, 12))  # before the data settled: does not count
    elsewhere = entry(utc(2024, 3, 1), holes((utc(2024, 1, 2), utc(2024, 1, 3))))
    assert not POLICY.accept_holes(entry(second), [entry(first), early]).holes_accepted
    assert not POLICY.accept_holes(entry(third), [entry(first), elsewhere]).holes_accepted
    accepted = POLICY.accept_holes(entry(third), [entry(first), entry(second), early])
    assert accepted.holes_accepted
    assert POLICY.is_final(accepted)
    # An unsettled fetch is never accepted, however often the holes were seen.
    assert not POLICY.accept_holes(early, [entry(first), entry(second)]).holes_accepted


def test_the_bound_must_be_at_least_one() -> None:
    with pytest.raises(ValueError, match="max_hole_fetches"):
        RecheckPolicy(max_hole_fetches=0)
