"""The coverage grid: per dataset, each area's months, each in one state of the ledger.

Every instant of a month (within the area's lifetime, the period asked for and what may be
published by now) is in exactly one state, the best any ledger entry gives it:

- ``covered``: a final entry with data (fetched after its answer settled, no holes left open);
- ``no_data``: a final entry where the source answered that nothing is published;
- ``holes``: an entry whose answer had holes not yet accepted as published that way;
- ``provisional``: any other entry that is not final yet (fetched too soon after its end);
- ``missing``: no entry at all.

A month shows the state that most needs attention among those present (``missing`` first,
``covered`` last), with the share of each, so a month missing one day reads as missing. Months
the area did not exist in, or that lie wholly beyond the publication horizon, have no state
(``outside``). The grid reads the ledger only; it writes nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

import attrs

from entsoe_core.areas import AreaKey
from entsoe_core.coverage import Coverage, CoverageEntry, Outcome, RecheckPolicy
from entsoe_core.datasets import DATASETS
from entsoe_core.ports import ClockPort, UnitOfWorkFactory
from entsoe_core.services.requests import BackfillRequest
from entsoe_core.timeline import Interval, IntervalSet, add_months

__all__ = ["CellState", "CoverageGridService", "GridCell", "GridRow", "month_cell", "months_of"]


class CellState(enum.Enum):
    """The state of a grid cell, in the order a user should look at them."""

    MISSING = "missing"
    HOLES = "holes"
    PROVISIONAL = "provisional"
    NO_DATA = "no_data"
    COVERED = "covered"
    OUTSIDE = "outside"


# Which entry wins where several overlap: a final answer over a provisional one.
_PRECEDENCE = (CellState.COVERED, CellState.NO_DATA, CellState.HOLES, CellState.PROVISIONAL)


@attrs.frozen
class GridCell:
    """One month of one (dataset, area): its state and the share of each state in it."""

    month: Interval
    state: CellState
    shares: Mapping[CellState, float] = attrs.field(factory=dict)
    """Each state present, as a share of the part of the month that counts (0 to 1)."""


@attrs.frozen
class GridRow:
    """The months of one (dataset, area)."""

    dataset: str
    area: AreaKey
    cells: tuple[GridCell, ...]

    @property
    def fetched(self) -> bool:
        """Whether any month has anything in the ledger."""
        return any(cell.state not in (CellState.MISSING, CellState.OUTSIDE) for cell in self.cells)


def months_of(period: Interval) -> tuple[Interval, ...]:
    """The UTC calendar months that ``period`` touches, whole."""
    first = period.start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    months = []
    start = first
    while start < period.end:
        end = add_months(start, 1)
        months.append(Interval(start, end))
        start = end
    return tuple(months)


def _entry_state(entry: CoverageEntry, policy: RecheckPolicy) -> CellState:
    if policy.is_final(entry):
        return CellState.COVERED if entry.outcome is Outcome.DATA else CellState.NO_DATA
    if entry.holes and not entry.holes_accepted:
        return CellState.HOLES
    return CellState.PROVISIONAL


def month_cell(
    month: Interval, counted: Interval | None, coverage: Coverage, policy: RecheckPolicy
) -> GridCell:
    """The cell of ``month``, judged over ``counted`` (its part that counts; ``None``: none)."""
    if counted is None:
        return GridCell(month, CellState.OUTSIDE)
    by_state: dict[CellState, list[Interval]] = {state: [] for state in _PRECEDENCE}
    for entry in coverage.entries:
        by_state[_entry_state(entry, policy)].append(entry.interval)
    left = IntervalSet((counted,))
    durations: dict[CellState, timedelta] = {}
    for state in _PRECEDENCE:
        part = left.intersection(by_state[state])
        durations[state] = part.total
        left = left.difference(part)
    durations[CellState.MISSING] = left.total
    whole = counted.duration
    shares = {state: d / whole for state, d in durations.items() if d}
    state = next(s for s in CellState if s in shares)
    return GridCell(month, state, shares)


class CoverageGridService:
    """The grid of areas x months of one dataset at a time, read from the coverage ledger."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: ClockPort, recheck: RecheckPolicy | None = None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._recheck = recheck or RecheckPolicy()

    def default_period(self, months: int = 12) -> Interval:
        """The last ``months`` UTC calendar months, the current one included."""
        now = self._clock.now()
        this_month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        return Interval(add_months(this_month, 1 - months), add_months(this_month, 1))

    async def grid(self, request: BackfillRequest) -> list[GridRow]:
        """A row per (dataset, area) of the request, a cell per month of its period."""
        now = self._clock.now()
        months = months_of(request.period)
        rows = []
        async with self._uow(reading=True) as uow:
            for dataset, area in request.targets():
                period = request.period_for(area)
                coverage = await uow.store.coverage(dataset, area, period)
                counted = _published(period, DATASETS.get(dataset).horizon_end(now))
                rows.append(
                    GridRow(dataset, area, _cells(months, counted, coverage, self._recheck))
                )
        return rows


def _published(period: Interval, horizon: datetime) -> Interval | None:
    """The part of ``period`` that may be published by now (before the horizon)."""
    return Interval(period.start, min(period.end, horizon)) if horizon > period.start else None


def _cells(
    months: Iterable[Interval],
    counted: Interval | None,
    coverage: Coverage,
    policy: RecheckPolicy,
) -> tuple[GridCell, ...]:
    return tuple(
        month_cell(month, counted and month.intersection(counted), coverage, policy)
        for month in months
    )
