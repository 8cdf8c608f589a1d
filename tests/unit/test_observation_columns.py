"""Observations as columns: each series once, per point its position, instant and value."""

from __future__ import annotations

import itertools
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from entsoe_core.areas import AREAS
from entsoe_core.columns import ObservationColumns, PageSeries, micros_of
from entsoe_core.observations import Observation, SeriesKey
from entsoe_core.timeline import utc

NL = AREAS.key("NL")
DATASET = "actual_generation_per_type"
START = utc(2024, 3, 30, 22)
KEYS = (
    SeriesKey("A75", "A16", "A01", "B16", NL.code, resolution="PT15M"),
    SeriesKey("A75", "A16", "A01", "B16", NL.code, resolution="PT60M"),
    SeriesKey("A75", "A16", "A01", "B10", "", NL.code, resolution="PT15M"),
    SeriesKey("A75", "A16", "A01", "B10", NL.code, resolution="PT15M", registered_resource="X"),
)


def observed(step: int, key: int, curve_type: str = "A01") -> Observation:
    return Observation(
        DATASET,
        NL,
        KEYS[key],
        START + timedelta(minutes=15 * step),
        float(step * 10 + key),
        "MAW",
        curve_type,
    )


def in_order(observations: list[Observation]) -> list[Observation]:
    return sorted(observations, key=lambda one: (one.timestamp, one.key))


# Points as (step, series, curve type), put in (timestamp, key) order by ``in_order``.
points = st.lists(
    st.tuples(st.integers(0, 20), st.integers(0, len(KEYS) - 1), st.sampled_from(["A01", "A03"])),
    max_size=40,
    unique_by=lambda point: point[:2],
).map(lambda found: in_order([observed(*point) for point in found]))


def as_columns(observations: list[Observation]) -> ObservationColumns:
    return ObservationColumns.of_observations(DATASET, NL, observations)


def test_each_series_is_named_once_in_key_order_and_each_point_points_at_it() -> None:
    observations = in_order(
        [observed(0, 3), observed(0, 0), observed(1, 0), observed(1, 2, "A03"), observed(1, 3)]
    )

    page = as_columns(observations)

    # B10 before B16; of the two B10 series, the one without an in domain first.
    assert page.series == (
        PageSeries(KEYS[2], "MAW", "A03"),
        PageSeries(KEYS[3], "MAW", "A01"),
        PageSeries(KEYS[0], "MAW", "A01"),
    )
    assert page.series_index == (1, 2, 0, 1, 2)
    assert page.micros == tuple(micros_of(one.timestamp) for one in observations)
    assert page.values == (3.0, 0.0, 12.0, 13.0, 10.0)
    assert list(page.observations()) == observations
    assert page.cursor(2) == (START + timedelta(minutes=15), KEYS[2])


def test_two_curve_types_of_one_series_are_two_series_of_the_page() -> None:
    page = as_columns([observed(0, 0, "A01"), observed(1, 0, "A03")])

    assert [one.curve_type for one in page.series] == ["A01", "A03"]
    assert page.series_index == (0, 1)


def test_gather_takes_any_handle_a_reader_has_per_point() -> None:
    named = {7: PageSeries(KEYS[1], "MAW", "A01"), 3: PageSeries(KEYS[0], "MAW", "A01")}

    page = ObservationColumns.gather(DATASET, NL, [7, 3, 7], [0, 0, 1], [1.0, 2.0, 3.0], named)

    assert page.series == (named[3], named[7])
    assert page.series_index == (1, 0, 1)


@given(points, st.data())
def test_a_part_holds_its_points_and_only_their_series(
    observations: list[Observation], data: st.DataObject
) -> None:
    start = data.draw(st.integers(0, len(observations)))
    stop = data.draw(st.integers(start, len(observations)))

    part = as_columns(observations).part(start, stop)

    assert list(part.observations()) == observations[start:stop]
    assert part == as_columns(observations[start:stop])


@given(points, st.lists(st.integers(0, 40), max_size=4))
def test_parts_joined_are_the_page_they_were_cut_from(
    observations: list[Observation], cuts: list[int]
) -> None:
    edges = [0, *sorted(min(cut, len(observations)) for cut in cuts), len(observations)]
    parts = [as_columns(observations[a:b]) for a, b in itertools.pairwise(edges)]

    assert ObservationColumns.joined(DATASET, NL, parts) == as_columns(observations)


def test_nothing_joined_is_an_empty_page() -> None:
    empty = ObservationColumns.joined(DATASET, NL, [as_columns([])])

    assert empty == ObservationColumns(DATASET, NL)
    assert len(empty) == 0
    assert list(empty.observations()) == []
