"""Observations of one dataset and area as columns, for exports that write columns.

A page of :class:`~entsoe_core.observations.Observation` objects repeats its series' key on
every point and makes several objects per point. A columnar page names each of its series once
and holds per point only three numbers: the position of its series, its instant (microseconds
since the epoch, UTC, as SQLite stores it) and its value. A Parquet export reads these and
builds its columns from them without making an object per point.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final, TypeVar

import attrs

from entsoe_core.areas import AreaKey
from entsoe_core.observations import Observation, SeriesKey

__all__ = ["EPOCH", "ObservationColumns", "PageSeries", "micros_of"]

Head = TypeVar("Head", bound=Hashable)
"""Whatever a reader has at hand per point that names its series."""

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)


def micros_of(instant: datetime) -> int:
    """Microseconds since the epoch of a UTC-aware instant."""
    return (instant - EPOCH) // _MICROSECOND


@attrs.frozen(order=True)
class PageSeries:
    """A series as a columnar page names it: its key, and the unit and curve type its points
    were stored with (a series whose points were stored with two curve types is two of these).
    """

    key: SeriesKey
    unit: str = ""
    curve_type: str = ""


@attrs.frozen
class ObservationColumns:
    """Observations of one (dataset, area) in (timestamp, series key) order, as columns.

    ``series`` holds each series the points belong to once, in order; per point,
    ``series_index`` is the position of its series there, ``micros`` its instant in
    microseconds since the epoch (UTC) and ``values`` its value.
    """

    dataset: str
    area: AreaKey
    series: tuple[PageSeries, ...] = ()
    series_index: tuple[int, ...] = ()
    micros: tuple[int, ...] = ()
    values: tuple[float, ...] = ()

    def __len__(self) -> int:
        return len(self.micros)

    @classmethod
    def gather(
        cls,
        dataset: str,
        area: AreaKey,
        heads: Sequence[Head],
        micros: Sequence[int],
        values: Sequence[float],
        series: Mapping[Head, PageSeries],
    ) -> ObservationColumns:
        """Columns from what a reader has per point: a handle of its series (``heads``: a row
        id, a key; whatever is cheap to hash), its instant and its value; ``series`` names the
        series of each handle."""
        named = {head: series[head] for head in dict.fromkeys(heads)}
        ordered = sorted(set(named.values()), key=_order)
        position = {one: index for index, one in enumerate(ordered)}
        code = {head: position[one] for head, one in named.items()}
        return cls(
            dataset,
            area,
            tuple(ordered),
            tuple(map(code.__getitem__, heads)),
            tuple(micros),
            tuple(values),
        )

    @classmethod
    def of_observations(
        cls, dataset: str, area: AreaKey, observations: Sequence[Observation]
    ) -> ObservationColumns:
        """Observations of (dataset, area), in order, as columns."""
        heads = [PageSeries(one.key, one.unit, one.curve_type) for one in observations]
        return cls.gather(
            dataset,
            area,
            heads,
            [micros_of(one.timestamp) for one in observations],
            [one.value for one in observations],
            {head: head for head in heads},
        )

    @classmethod
    def joined(
        cls, dataset: str, area: AreaKey, parts: Iterable[ObservationColumns]
    ) -> ObservationColumns:
        """The points of ``parts``, one after the other, as one page."""
        parts = [part for part in parts if len(part)]
        if len(parts) == 1:
            return parts[0]
        ordered = sorted({one for part in parts for one in part.series}, key=_order)
        position = {one: index for index, one in enumerate(ordered)}
        index: list[int] = []
        for part in parts:
            if part.series == tuple(ordered):
                index += part.series_index
            else:
                moved = [position[one] for one in part.series]
                index += map(moved.__getitem__, part.series_index)
        return cls(
            dataset,
            area,
            tuple(ordered),
            tuple(index),
            tuple(itertools.chain.from_iterable(part.micros for part in parts)),
            tuple(itertools.chain.from_iterable(part.values for part in parts)),
        )

    def part(self, start: int, stop: int) -> ObservationColumns:
        """The points from ``start`` to ``stop`` (each series they belong to, and no other)."""
        if start <= 0 and stop >= len(self):
            return self
        index = self.series_index[start:stop]
        used = sorted(set(index))
        series = self.series
        if len(used) < len(series):
            moved = {old: new for new, old in enumerate(used)}
            series = tuple(series[old] for old in used)
            index = tuple(map(moved.__getitem__, index))
        return attrs.evolve(
            self,
            series=series,
            series_index=index,
            micros=self.micros[start:stop],
            values=self.values[start:stop],
        )

    def timestamp(self, position: int) -> datetime:
        """The instant of the point at ``position``."""
        return EPOCH + timedelta(microseconds=self.micros[position])

    def cursor(self, position: int) -> tuple[datetime, SeriesKey]:
        """The point at ``position`` as a read cursor: (timestamp, series key)."""
        return self.timestamp(position), self.series[self.series_index[position]].key

    def observations(self) -> Iterator[Observation]:
        """The points as observations, in order (revision and creation time are not read)."""
        for index, micros, value in zip(self.series_index, self.micros, self.values, strict=True):
            one = self.series[index]
            yield Observation(
                self.dataset,
                self.area,
                one.key,
                EPOCH + timedelta(microseconds=micros),
                value,
                one.unit,
                one.curve_type,
            )


def _order(one: PageSeries) -> tuple[str, ...]:
    # The order PageSeries compare in, by a key made once per series: attrs' comparison
    # rebuilds both tuples at every step of a sort.
    return (*attrs.astuple(one.key), one.unit, one.curve_type)
