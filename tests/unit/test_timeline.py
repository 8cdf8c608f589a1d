"""The interval algebra agrees with plain sets of hours."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entsoe_core.errors import InvalidRequest
from entsoe_core.timeline import Interval, IntervalSet, add_months, ensure_utc, utc
from tests.unit.strategies import hours, intervals

interval_lists = st.lists(intervals(max_hours=200), max_size=8)


def as_hours(interval_set: IntervalSet) -> set[int]:
    return set().union(*(hours(i) for i in interval_set)) if interval_set else set()


def is_normalised(interval_set: IntervalSet) -> bool:
    pairs = zip(interval_set.intervals, interval_set.intervals[1:], strict=False)
    return all(a.end < b.start for a, b in pairs)


@given(interval_lists, interval_lists)
def test_union_difference_intersection_match_sets(a: list[Interval], b: list[Interval]) -> None:
    left, right = IntervalSet.of(a), IntervalSet.of(b)
    model_left, model_right = as_hours(left), as_hours(right)
    assert as_hours(left) == set().union(*(hours(i) for i in a)) if a else not left
    for result, expected in (
        (left.union(right), model_left | model_right),
        (left.difference(right), model_left - model_right),
        (left.intersection(right), model_left & model_right),
    ):
        assert as_hours(result) == expected
        assert is_normalised(result)


@given(interval_lists, interval_lists)
def test_difference_then_union_restores_coverage(a: list[Interval], b: list[Interval]) -> None:
    left, right = IntervalSet.of(a), IntervalSet.of(b)
    assert left.difference(right).union(left.intersection(right)) == left
    assert not left.difference(right).intersection(right)


@given(interval_lists)
def test_merge_is_idempotent_and_order_free(a: list[Interval]) -> None:
    merged = IntervalSet.of(a)
    assert IntervalSet.of(reversed(a)) == merged
    assert IntervalSet.of(merged) == merged


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(InvalidRequest, match="no timezone"):
        ensure_utc(datetime(2024, 1, 1))
    with pytest.raises(InvalidRequest, match="UTC-aware"):
        Interval(datetime(2024, 1, 1), utc(2024, 2, 1))


def test_offsets_are_converted_to_utc() -> None:
    cet = timezone(timedelta(hours=1))
    interval = Interval.of(datetime(2024, 1, 1, tzinfo=cet), datetime(2024, 1, 2, tzinfo=cet))
    assert interval.start == utc(2023, 12, 31, 23)


def test_empty_and_reversed_intervals_are_refused() -> None:
    with pytest.raises(InvalidRequest, match="must be after its start"):
        Interval(utc(2024, 1, 2), utc(2024, 1, 1))


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(utc(2024, 1, 31), 1) == utc(2024, 2, 29)
    assert add_months(utc(2024, 11, 15), 3) == utc(2025, 2, 15)
    assert add_months(utc(2024, 3, 1), -12) == utc(2023, 3, 1)
