"""Request spans read the API's periods; cells fit every limit at once and cut gaps exactly."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entsoe_core.errors import InvalidRequest
from entsoe_core.limits import Cell, RequestSpan, cell_fitting
from entsoe_core.timeline import Interval, IntervalSet, utc
from tests.unit.strategies import intervals

spans = st.one_of(
    st.integers(1, 24).map(lambda n: RequestSpan(months=n)),
    st.integers(1, 400).map(lambda n: RequestSpan(days=n)),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P1M", RequestSpan(months=1)),
        ("P1Y", RequestSpan(months=12)),
        ("p3m", RequestSpan(months=3)),
        ("P1Y6M", RequestSpan(months=18)),
        ("P10D", RequestSpan(days=10)),
        ("P1W", RequestSpan(days=7)),
        ("P2W3D", RequestSpan(days=17)),
    ],
)
def test_periods_of_the_api_are_read(text: str, expected: RequestSpan) -> None:
    assert RequestSpan.parse(text) == expected


@pytest.mark.parametrize("text", ["", "P", "1M", "PT1H", "P1M2D", "P0D", "one month"])
def test_other_periods_are_refused_by_name(text: str) -> None:
    with pytest.raises(InvalidRequest, match=repr(text).replace("(", r"\(")):
        RequestSpan.parse(text)


@given(spans)
def test_a_span_prints_as_a_period_it_reads_back(span: RequestSpan) -> None:
    assert RequestSpan.parse(str(span)) == span


def test_a_month_counts_from_the_start_asked_for() -> None:
    month = RequestSpan(months=1)
    assert month.fits(Interval(utc(2025, 5, 1), utc(2025, 6, 1)))
    # A local-time calendar month is one hour over a month counted from its UTC start.
    assert not month.fits(Interval(utc(2025, 4, 30, 22), utc(2025, 5, 31, 23)))
    assert month.fits(Interval(utc(2025, 1, 31), utc(2025, 2, 28)))
    assert not month.fits(Interval(utc(2025, 1, 31), utc(2025, 3, 1)))


def test_the_longest_cell_that_fits_is_chosen() -> None:
    assert cell_fitting([RequestSpan(months=12)]) == Cell(months=12)
    assert cell_fitting([RequestSpan(months=12), RequestSpan(months=1)]) == Cell(months=1)
    assert cell_fitting([RequestSpan(months=12), RequestSpan(days=10)]) == Cell(days=10)
    assert cell_fitting([RequestSpan(months=12), RequestSpan(days=64)]) == Cell(months=2)
    assert cell_fitting([RequestSpan(months=1), RequestSpan(days=30)]) == Cell(days=28)
    with pytest.raises(InvalidRequest):
        cell_fitting([])


@given(st.lists(spans, min_size=1, max_size=3), intervals(max_hours=24 * 1500, step_hours=1))
def test_cells_fit_every_limit_and_cut_a_gap_exactly(
    limits: list[RequestSpan], gap: Interval
) -> None:
    cell = cell_fitting(limits)
    pieces = list(cell.cut(gap))
    assert IntervalSet.of(pieces) == IntervalSet((gap,))
    assert all(a.end == b.start for a, b in itertools.pairwise(pieces))
    for piece in pieces:
        assert all(limit.fits(piece) for limit in limits)
        first = cell.start_of(piece.start)
        assert first <= piece.start
        assert piece.end <= cell.end_of(first)
    # Minimal: every boundary inside the gap is a cell boundary.
    for piece in pieces[1:]:
        assert cell.start_of(piece.start) == piece.start


@given(st.integers(1, 24), intervals(max_hours=24 * 1500))
def test_month_cells_are_aligned_to_the_year(months: int, interval: Interval) -> None:
    cell = Cell(months=months)
    start = cell.start_of(interval.start)
    assert (start.day, start.hour) == (1, 0)
    assert (start.year * 12 + start.month - 1) % months == 0
    assert start <= interval.start < cell.end_of(start)


@given(st.integers(1, 60), intervals(max_hours=24 * 1500))
def test_day_cells_are_aligned_to_the_epoch(days: int, interval: Interval) -> None:
    cell = Cell(days=days)
    start = cell.start_of(interval.start)
    assert (start - utc(1970, 1, 1)) % timedelta(days=days) == timedelta(0)
    assert start <= interval.start < cell.end_of(start)
