"""Holes: steps a series should hold and does not.

An answer can be cut short and still come back with HTTP 200 (for weeks in 2025 some series
stopped at 1,000 points, the rest of the month missing). The source's answer is checked
against what the document promises and what was asked:

- *inside a Period*: an A01 curve gives every position of its Period, so a position missing
  between two given ones, or between the Period's edges and the first or last given one, is a
  hole (an A03 curve repeats the previous value instead, so it has none);
- *at the end*: a series that stops before the end of the interval asked for, when that
  interval lies in the past, misses its tail.

Not every missing step is a hole. A series whose resolution changes inside the interval (prices
went from PT60M to PT15M on 2025-10-01) carries on in its sibling of the other resolution, so
the end of a series is looked for over all its resolutions at once. Days, weeks, months and
years are local ones stated in UTC, 23 to 25 hours long, and months and years step by the
calendar: :class:`~entsoe_core.resolution.Resolution` gives them the hour of slack a DST change
makes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Final

import attrs

from entsoe_core.coverage import CoverageEntry, Outcome
from entsoe_core.observations import Series, SeriesKey
from entsoe_core.plan import Chunk
from entsoe_core.ports import ChunkData, SourceAnswer
from entsoe_core.resolution import Resolution
from entsoe_core.timeline import Interval, IntervalSet

__all__ = ["answer_entry", "find_holes", "holes_between", "sibling_identity"]

_CURVES_WITH_EVERY_POSITION: Final = frozenset({"A01", ""})
"""A01, and documents without a curve type, whose default is A01."""


def sibling_identity(key: SeriesKey) -> SeriesKey:
    """A series' identity apart from its resolution: siblings continue each other."""
    return attrs.evolve(key, resolution="")


def holes_between(step: Resolution, before: datetime, after: datetime) -> Interval | None:
    """The hole between two consecutive points of one series, if a step is missing."""
    if after - before <= step.longest:
        return None
    start = step.after(before)
    return Interval(start, after) if start < after else None


def find_holes(interval: Interval, series: Sequence[Series], now: datetime) -> IntervalSet:
    """The holes of an answer to a request for ``interval``, merged, inside ``interval``.

    ``series`` are the answer's series (one per Period, as the parser gives them); ``now``
    says whether the interval lies in the past, where a series ending early has lost its tail.
    """
    found: list[Interval] = []
    for one in series:
        if one.curve_type in _CURVES_WITH_EVERY_POSITION and one.points:
            found.extend(_inside(one))
    if interval.end <= now:
        found.extend(_tails(interval, series))
    return IntervalSet.of(found).intersection((interval,))


def answer_entry(chunk: Chunk, answer: SourceAnswer, now: datetime) -> CoverageEntry:
    """The coverage entry of an answer to ``chunk`` received at ``now``, with its holes."""
    if not isinstance(answer, ChunkData):
        return CoverageEntry(chunk.interval, Outcome.NO_DATA, now)
    return CoverageEntry(
        chunk.interval, Outcome.DATA, now, holes=find_holes(chunk.interval, answer.series, now)
    )


def _inside(series: Series) -> Iterable[Interval]:
    step = Resolution.parse(series.key.resolution)
    stamps = sorted(point.timestamp for point in series.points)
    for before, after in pairwise(stamps):
        if (hole := holes_between(step, before, after)) is not None:
            yield hole
    period = series.period
    if period is None:
        return
    # The Period promises every position from its start to its end.
    if period.start + step.slack < stamps[0]:
        yield Interval(period.start, stamps[0])
    end = step.after(stamps[-1])
    if end + step.slack < period.end:
        yield Interval(end, period.end)


def _tails(interval: Interval, series: Sequence[Series]) -> Iterable[Interval]:
    # Where each identity's last step ends, over all its resolutions, and the slack it has.
    reach: dict[SeriesKey, tuple[datetime, timedelta]] = {}
    for one in series:
        if not one.points:
            continue
        step = Resolution.parse(one.key.resolution)
        end = step.after(max(point.timestamp for point in one.points))
        identity = sibling_identity(one.key)
        reach[identity] = max(reach.get(identity, (end, step.slack)), (end, step.slack))
    for end, slack in reach.values():
        if end + slack < interval.end:
            yield Interval(max(end, interval.start), interval.end)
