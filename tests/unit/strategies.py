"""Hypothesis strategies shared by the unit tests."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import strategies as st

from entsoe_core.timeline import Interval, utc

BASE = utc(2020, 1, 1)


@st.composite
def intervals(draw: st.DrawFn, *, max_hours: int = 24 * 400, step_hours: int = 1) -> Interval:
    """Intervals on a whole-hour grid after BASE (small grids make overlaps likely)."""
    start = draw(st.integers(0, max_hours - 1))
    length = draw(st.integers(1, max_hours - start))
    return Interval(
        BASE + timedelta(hours=start * step_hours),
        BASE + timedelta(hours=(start + length) * step_hours),
    )


def hours(interval: Interval) -> set[int]:
    """The whole hours an interval on the BASE grid contains (the reference model)."""
    first = int((interval.start - BASE).total_seconds() // 3600)
    last = int((interval.end - BASE).total_seconds() // 3600)
    return set(range(first, last))
