"""Chunks and the backfill plan.

A :class:`Chunk` is one request's worth of work. :class:`BackfillPlan` cuts the gaps of every
(dataset, area) into chunks along UTC calendar cells (days, months, quarters or years), so that
planning the same gaps again later yields the same chunks, each chunk stays within the
dataset's request limit, the chunks are disjoint and cover the gaps exactly, and no two chunks
could be merged without crossing a cell boundary.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta

import attrs

from entsoe_core.areas import AreaKey
from entsoe_core.datasets import DATASETS, Dataset
from entsoe_core.errors import InvalidRequest
from entsoe_core.timeline import Interval, IntervalSet, add_months, floor_to_day

__all__ = ["BackfillPlan", "Chunk", "ChunkPolicy", "ChunkSpan"]


class ChunkSpan(enum.Enum):
    """The calendar cell chunks are cut along; the cell bounds one request."""

    DAY = "day"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"

    @property
    def months(self) -> int:
        return {"day": 0, "month": 1, "quarter": 3, "year": 12}[self.value]

    def cell_start(self, instant: datetime) -> datetime:
        day = floor_to_day(instant)
        if self is ChunkSpan.DAY:
            return day
        month = day.month - (day.month - 1) % self.months
        return day.replace(month=month, day=1)

    def cell_end(self, cell_start: datetime) -> datetime:
        if self is ChunkSpan.DAY:
            return cell_start + timedelta(days=1)
        return add_months(cell_start, self.months)


@attrs.frozen
class ChunkPolicy:
    """How gaps are cut into chunks."""

    span: ChunkSpan = ChunkSpan.MONTH

    def check(self, dataset: Dataset) -> None:
        if self.span.months > dataset.max_request_months:
            raise InvalidRequest(
                f"chunk span {self.span.value} is longer than the "
                f"{dataset.max_request_months}-month request limit of {dataset.key}"
            )

    def cut(self, gap: Interval) -> Iterator[Interval]:
        cursor = gap.start
        while cursor < gap.end:
            end = min(self.span.cell_end(self.span.cell_start(cursor)), gap.end)
            yield Interval(cursor, end)
            cursor = end


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
            policy.check(dataset)
            for gap in intervals:
                for piece in policy.cut(gap):
                    chunks.append(Chunk(dataset_key, area, piece))
        return cls(tuple(sorted(chunks, key=_plan_order)))

    def __len__(self) -> int:
        return len(self.chunks)

    def __iter__(self) -> Iterator[Chunk]:
        return iter(self.chunks)


def _plan_order(chunk: Chunk) -> tuple[datetime, str, str]:
    # Oldest first, interleaving areas and datasets, so concurrency spreads across areas.
    return (chunk.interval.start, str(chunk.area), chunk.dataset)
