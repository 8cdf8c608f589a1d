"""Bodies of the routes the dashboard reads: the coverage grid, freshness, chunks, the budget."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from entsoe_core.areas import AREAS
from entsoe_core.progress import ChunkProgress
from entsoe_core.services.coverage_grid import CellState, GridCell, GridRow
from entsoe_core.services.freshness import Freshness
from entsoe_core.timeline import Interval

__all__ = ["BudgetBody", "ChunkBody", "CoverageGridBody", "FreshnessBody"]

CellStateName = Literal["missing", "holes", "provisional", "no_data", "covered", "outside"]
FreshnessStateName = Literal["fresh", "behind", "empty"]
ChunkStatusName = Literal["pending", "in_flight", "done", "failed", "cancelled", "split"]


class GridCellBody(msgspec.Struct, frozen=True):
    """One month of one (dataset, area)."""

    month: str
    """The UTC calendar month, ``YYYY-MM``."""
    start: datetime
    end: datetime
    state: CellStateName
    """The state that most needs attention among those present; ``outside``: none counts."""
    shares: dict[str, float]
    """Each state present, as a share (0 to 1) of the part of the month that counts."""

    @classmethod
    def of(cls, cell: GridCell) -> GridCellBody:
        return cls(
            month=f"{cell.month.start:%Y-%m}",
            start=cell.month.start,
            end=cell.month.end,
            state=cell.state.value,
            shares={state.value: round(share, 4) for state, share in cell.shares.items()},
        )


class GridRowBody(msgspec.Struct, frozen=True):
    """The months of one (dataset, area)."""

    dataset: str
    area: str
    area_label: str
    fetched: bool
    """Whether any month has anything in the coverage ledger."""
    cells: list[GridCellBody]

    @classmethod
    def of(cls, row: GridRow) -> GridRowBody:
        return cls(
            dataset=row.dataset,
            area=str(row.area),
            area_label=AREAS.label(row.area),
            fetched=row.fetched,
            cells=[GridCellBody.of(cell) for cell in row.cells],
        )


class CoverageGridBody(msgspec.Struct, frozen=True):
    """Areas x months, each cell in one state of the coverage ledger."""

    start: datetime
    end: datetime
    months: list[str]
    states: list[CellStateName]
    """Every state a cell can be in, most urgent first (a legend's order)."""
    rows: list[GridRowBody]

    @classmethod
    def of(
        cls, period: Interval, months: tuple[Interval, ...], rows: list[GridRow]
    ) -> CoverageGridBody:
        return cls(
            start=period.start,
            end=period.end,
            months=[f"{month.start:%Y-%m}" for month in months],
            states=[state.value for state in CellState],
            rows=[GridRowBody.of(row) for row in rows],
        )


class FreshnessBody(msgspec.Struct, frozen=True):
    """The newest stored instant of one (dataset, area) against its publication horizon."""

    dataset: str
    area: str
    area_label: str
    newest: datetime | None
    """The newest stored instant; null with nothing stored."""
    horizon: datetime
    """Now plus the dataset's publication horizon."""
    lag_seconds: float | None
    """The horizon minus the newest stored instant."""
    state: FreshnessStateName

    @classmethod
    def of(cls, found: Freshness) -> FreshnessBody:
        lag = found.lag
        return cls(
            dataset=found.dataset,
            area=str(found.area),
            area_label=AREAS.label(found.area),
            newest=found.newest,
            horizon=found.horizon,
            lag_seconds=None if lag is None else lag.total_seconds(),
            state=found.state.value,
        )


class ChunkBody(msgspec.Struct, frozen=True):
    """One chunk of a job: what it fetches, where it stands, and its last error."""

    job_id: str
    id: str
    parent_id: str | None
    dataset: str
    area: str
    area_label: str
    start: datetime
    end: datetime
    status: ChunkStatusName
    attempts: int
    requests: int
    points_written: int
    points_kept: int
    holes: int
    last_error: str | None
    updated_at: datetime | None

    @classmethod
    def of(cls, chunk: ChunkProgress) -> ChunkBody:
        what = chunk.chunk
        return cls(
            job_id=chunk.job_id,
            id=chunk.id,
            parent_id=chunk.parent_id,
            dataset=what.dataset,
            area=str(what.area),
            area_label=AREAS.label(what.area),
            start=what.interval.start,
            end=what.interval.end,
            status=chunk.status.value,
            attempts=chunk.attempts,
            requests=chunk.requests,
            points_written=chunk.points_written,
            points_kept=chunk.points_kept,
            holes=chunk.holes,
            last_error=chunk.last_error,
            updated_at=chunk.updated_at,
        )


class BudgetBody(msgspec.Struct, frozen=True):
    """The request budget every process on this database shares: at most
    ``rate_limit_per_minute`` requests in any 60 seconds, ``burst`` of them at once."""

    rate_limit_per_minute: float
    burst: int
