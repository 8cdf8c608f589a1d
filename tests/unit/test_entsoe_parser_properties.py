"""Properties: a rendered document of generated series parses back to those series; a Period
yields at most the points it holds, none outside it, and a position past its end is a fault.

The expected points are computed here from first principles (what A01 and A03 mean), not with
the parser's own stepping code.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.entsoe_xml import Acknowledgement, parse_document
from entsoe_core.errors import DocumentFault
from entsoe_core.observations import Point
from tests.unit.entsoe_documents import DocumentSpec, PeriodSpec, SeriesSpec, render

FIXED = {
    "PT15M": timedelta(minutes=15),
    "PT30M": timedelta(minutes=30),
    "PT60M": timedelta(hours=1),
    "P1D": timedelta(days=1),
    "P7D": timedelta(days=7),
}
CALENDAR = {"P1M": 1, "P1Y": 12}


def step_start(start: datetime, resolution: str, index: int) -> datetime:
    if resolution in FIXED:
        return start + FIXED[resolution] * index
    months = start.month - 1 + CALENDAR[resolution] * index
    return start.replace(year=start.year + months // 12, month=months % 12 + 1)


def expected_points(period: PeriodSpec, curve: str, steps: int) -> list[Point]:
    given_values = dict(period.points)
    points = []
    current: float | None = None
    for position in range(1, steps + 1):
        if position in given_values:
            current = given_values[position]
        elif curve == "A01":
            continue
        if current is not None:
            points.append(Point(step_start(period.start, period.resolution, position - 1), current))
    return points


@st.composite
def periods(draw: st.DrawFn, resolution: str, start: datetime) -> tuple[PeriodSpec, int]:
    steps = draw(st.integers(1, 12 if resolution in CALENDAR else 200))
    positions = draw(st.sets(st.integers(1, steps), min_size=1, max_size=steps))
    values = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9)
    points = [(p, draw(values)) for p in sorted(positions)]
    end = step_start(start, resolution, steps)
    return PeriodSpec(start, end, resolution, points), steps


@st.composite
def documents(draw: st.DrawFn) -> tuple[DocumentSpec, list[tuple[str, str, list[Point]]]]:
    specs: list[SeriesSpec] = []
    expected: list[tuple[str, str, list[Point]]] = []
    for number in range(draw(st.integers(1, 3))):
        curve = draw(st.sampled_from(["A01", "A03"]))
        start = datetime(
            draw(st.integers(2015, 2030)),
            draw(st.integers(1, 12)),
            draw(st.integers(1, 28)),
            draw(st.integers(0, 23)),
            draw(st.sampled_from([0, 15, 30, 45])),
            tzinfo=UTC,
        )
        period_specs = []
        for _ in range(draw(st.integers(1, 2))):
            # Monthly and yearly periods start on a day every month has (real ones start on
            # the first of a month), so stepping by the calendar never needs clamping.
            calendar_ok = start.day <= 28
            resolution = draw(st.sampled_from([*FIXED, *CALENDAR] if calendar_ok else [*FIXED]))
            period, steps = draw(periods(resolution, start))
            period_specs.append(period)
            expected.append((resolution, curve, expected_points(period, curve, steps)))
            start = period.end
        specs.append(
            SeriesSpec(period_specs, curve_type=curve, psr_type=f"B{number:02d}", in_domain="X")
        )
    return DocumentSpec(specs), expected


@given(documents())
def test_parsing_a_rendered_document_gives_back_its_series(
    case: tuple[DocumentSpec, list[tuple[str, str, list[Point]]]],
) -> None:
    spec, expected = case
    parsed = parse_document(render(spec))
    assert not isinstance(parsed, Acknowledgement)
    assert [(s.key.resolution, s.curve_type, list(s.points)) for s in parsed] == expected


@st.composite
def bounded_periods(draw: st.DrawFn) -> tuple[PeriodSpec, str, int]:
    """A Period, its curve, and how many steps it holds; positions may fall past its end."""
    resolution = draw(st.sampled_from([*FIXED, *CALENDAR]))
    start = datetime(
        draw(st.integers(2015, 2030)),
        draw(st.integers(1, 12)),
        draw(st.integers(1, 28)),
        draw(st.integers(0, 23)),
        draw(st.sampled_from([0, 15, 30, 45])),
        tzinfo=UTC,
    )
    steps = draw(st.integers(1, 12 if resolution in CALENDAR else 200))
    end = step_start(start, resolution, steps)
    holds = steps
    if resolution in ("PT15M", "PT30M", "PT60M") and draw(st.booleans()):
        # An end a third of a step early: the last step is no longer whole.
        end -= FIXED[resolution] / 3
        holds -= 1
    near = st.integers(1, holds + 3)
    far = st.integers(10**6, 10**12)
    positions = draw(st.sets(st.one_of(near, near, near, far), min_size=1, max_size=40))
    values = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9)
    points = [(p, draw(values)) for p in sorted(positions)]
    curve = draw(st.sampled_from(["A01", "A03"]))
    return PeriodSpec(start, end, resolution, points), curve, holds


@given(bounded_periods())
def test_a_period_yields_at_most_the_points_it_holds_and_none_outside_it(
    case: tuple[PeriodSpec, str, int],
) -> None:
    period, curve, holds = case
    positions = [position for position, _ in period.points]
    body = render(DocumentSpec([SeriesSpec([period], curve_type=curve)]))
    outside = [position for position in positions if position > holds]
    if outside:
        with pytest.raises(DocumentFault, match=f"Point position {outside[0]} .*past the Period"):
            parse_document(body)
        return
    parsed = parse_document(body)
    assert not isinstance(parsed, Acknowledgement)
    (series,) = parsed
    assert len(series.points) <= holds
    assert all(period.start <= p.timestamp < period.end for p in series.points)
    if curve == "A01":
        assert len(series.points) == len(positions)
    else:
        assert len(series.points) == holds - positions[0] + 1
