"""Chunks and the backfill plan.

A :class:`Chunk` is one request's worth of work. :class:`BackfillPlan` cuts the gaps of every
(dataset, area) into chunks along UTC calendar cells (runs of days, months or years; see
:mod:`entsoe_core.limits`), the longest that fit the dataset's request limit, what was learned
from refusals and the user's cap. Planning the same gaps again later yields the same chunks,
each chunk stays within every limit, the chunks are disjoint and cover the gaps exactly, and no
two chunks could be merged without crossing a cell boundary.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterator, Mapping
from datetime import datetime

import attrs

from entsoe_core.areas import AreaKey
from entsoe_core.datasets import DATASETS, Dataset
from entsoe_core.limits import Cell, RequestSpan, cell_fitting
from entsoe_core.timeline import Interval, IntervalSet

__all__ = ["BackfillPlan", "Chunk", "ChunkPolicy", "ChunkSpan"]


class ChunkSpan(enum.Enum):
    """A cap on the calendar cell chunks are cut along (the dataset's limit is the other)."""

    DAY = "day"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"

    @property
    def limit(self) -> RequestSpan:
        if self is ChunkSpan.DAY:
            return RequestSpan(days=1)
        return RequestSpan(months={"month": 1, "quarter": 3, "year": 12}[self.value])


@attrs.frozen
class ChunkPolicy:
    """How gaps are cut into chunks: along the longest calendar cell that fits the dataset's
    request limit, any limit learned from the source's refusals, and the optional cap."""

    span: ChunkSpan | None = None
    learned: Mapping[str, RequestSpan] = attrs.field(factory=dict)
    fresh_from: datetime | None = None
    """Where answers fetched now stop being final (recent data may still change): no chunk
    straddles it, so that asking again for the recent tail of a gap does not ask again for
    the settled data before it (a year's chunk would be fetched anew on every gap fill)."""

    def limits(self, dataset: Dataset) -> list[RequestSpan]:
        found = [dataset.max_request_span]
        if dataset.key in self.learned:
            found.append(self.learned[dataset.key])
        if self.span is not None:
            found.append(self.span.limit)
        return found

    def cell(self, dataset: Dataset) -> Cell:
        return cell_fitting(self.limits(dataset))

    def fits(self, dataset: Dataset, interval: Interval) -> bool:
        """Whether one request for ``interval`` stays within every limit."""
        return all(limit.fits(interval) for limit in self.limits(dataset))

    def cut(self, dataset: Dataset, gap: Interval) -> Iterator[Interval]:
        cell = self.cell(dataset)
        fresh = self.fresh_from
        if fresh is None or not gap.start < fresh < gap.end:
            return cell.cut(gap)
        return itertools.chain(
            cell.cut(Interval(gap.start, fresh)), cell.cut(Interval(fresh, gap.end))
        )


@attrs.frozen(order=True)
class Chunk:
    """One request's worth of work: a dataset, an area (or border) and an interval."""

    dataset: str
    area: AreaKey = attrs.field(order=str)
    interval: Interval

    def __str__(self) -> str:
        return f"{self.dataset} {self.area} {self.interval}"


@attrs.frozen
class BackfillPlan:
    """The chunks that cover the given gaps, in a stable order."""

    chunks: tuple[Chunk, ...]

    @classmethod
    def build(
        cls,
        gaps: Mapping[tuple[str, AreaKey], IntervalSet],
        policy: ChunkPolicy,
    ) -> BackfillPlan:
        chunks: list[Chunk] = []
        for (dataset_key, area), intervals in gaps.items():
            dataset = DATASETS.get(dataset_key)
            for gap in intervals:
                for piece in policy.cut(dataset, gap):
                    chunks.append(Chunk(dataset_key, area, piece))
        return cls(tuple(sorted(chunks, key=_plan_order)))

    def __len__(self) -> int:
        return len(self.chunks)

    def __iter__(self) -> Iterator[Chunk]:
        return iter(self.chunks)


def _plan_order(chunk: Chunk) -> tuple[datetime, str, str]:
    # Oldest first, interleaving areas and datasets, so concurrency spreads across areas.
    return (chunk.interval.start, str(chunk.area), chunk.dataset)
