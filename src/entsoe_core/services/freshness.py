"""Freshness: per dataset and area, the newest stored instant against the publication horizon.

The horizon is how far the source may have published by now (now plus the dataset's
publication horizon: now for actuals, tomorrow for day-ahead prices, a year ahead for
year-ahead forecasts). The lag is the horizon minus the newest stored instant. A (dataset,
area) is ``fresh`` while its newest instant is no older than the time answers take to settle
(:attr:`RecheckPolicy.data_settle`) before now, ``behind`` otherwise, and ``empty`` with
nothing stored.

The newest instant comes from the stored observations, not from the coverage ledger, so
imported documents count too; the store finds it with a lookup per series, so that it stays
cheap on a large database and is right however far behind a (dataset, area) is.

One reading serves the dashboard (:class:`FreshnessService`, any request) and the metrics and
health check (:class:`FreshnessReports`, the configured scope with the jobs and the last fetch).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from entsoe_core.areas import AreaKey
from entsoe_core.coverage import RecheckPolicy
from entsoe_core.datasets import DATASETS
from entsoe_core.ports import AbstractUnitOfWork, ClockPort, DatasetArea, UnitOfWorkFactory
from entsoe_core.progress import JobStatus
from entsoe_core.services.gapfill import GapFillService
from entsoe_core.services.requests import BackfillRequest

__all__ = [
    "Freshness",
    "FreshnessReports",
    "FreshnessService",
    "FreshnessState",
    "OperationsSnapshot",
]


class FreshnessState(enum.Enum):
    FRESH = "fresh"
    BEHIND = "behind"
    EMPTY = "empty"


@attrs.frozen
class Freshness:
    """How current the stored data of one (dataset, area) is."""

    dataset: str
    area: AreaKey
    newest: datetime | None
    """The newest stored instant (the start of the newest stored step); None: nothing stored."""
    horizon: datetime
    """Now plus the dataset's publication horizon: the latest the source may have published."""
    state: FreshnessState

    @property
    def lag(self) -> timedelta | None:
        """The horizon minus the newest stored instant; None with nothing stored."""
        return None if self.newest is None else self.horizon - self.newest


@attrs.frozen
class OperationsSnapshot:
    """What the metrics and the health check read from the database at one instant."""

    now: datetime
    jobs: dict[JobStatus, int]
    freshness: tuple[Freshness, ...]
    last_fetch: datetime | None
    """The latest fetch recorded for any configured (dataset, area)."""


class FreshnessService:
    """Freshness of every (dataset, area) of a request, read without writing."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: ClockPort, recheck: RecheckPolicy | None = None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._recheck = recheck or RecheckPolicy()

    async def freshness(self, request: BackfillRequest) -> list[Freshness]:
        now = self._clock.now()
        async with self._uow(reading=True) as uow:
            return await self.read(uow, request.targets(), now)

    async def read(
        self, uow: AbstractUnitOfWork, pairs: Sequence[DatasetArea], now: datetime
    ) -> list[Freshness]:
        """The freshness of each (dataset, area) of ``pairs`` at ``now``, read in ``uow``."""
        newest = await uow.store.newest(pairs)
        return [self._of(dataset, area, newest[dataset, area], now) for dataset, area in pairs]

    def _of(self, dataset: str, area: AreaKey, newest: datetime | None, now: datetime) -> Freshness:
        horizon = DATASETS.get(dataset).horizon_end(now)
        if newest is None:
            state = FreshnessState.EMPTY
        elif newest + self._recheck.data_settle >= now:
            state = FreshnessState.FRESH
        else:
            state = FreshnessState.BEHIND
        return Freshness(dataset, area, newest, horizon, state)


class FreshnessReports:
    """Reads the operations snapshot of the configured scope; writes nothing."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: ClockPort,
        gap_fill: GapFillService,
        freshness: FreshnessService,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._gap_fill = gap_fill
        self._freshness = freshness

    async def snapshot(self) -> OperationsSnapshot:
        """Jobs by status, the freshness of each configured (dataset, area), the last fetch."""
        now = self._clock.now()
        targets = self._targets(now)
        async with self._uow(reading=True) as uow:
            jobs = await uow.progress.job_counts()
            found = await self._freshness.read(uow, targets, now)
            last_fetch = await _last_fetch(uow, targets)
        return OperationsSnapshot(now, jobs, tuple(found), last_fetch)

    async def last_fetch(self) -> datetime | None:
        """The latest fetch recorded for any configured (dataset, area): what the health check
        reads, a probe of an index per (dataset, area), in one statement for a thousand."""
        targets = self._targets(self._clock.now())
        async with self._uow(reading=True) as uow:
            return await _last_fetch(uow, targets)

    def _targets(self, now: datetime) -> list[DatasetArea]:
        # An unconfigured scope has no freshness to report; the jobs are still counted.
        if not self._gap_fill.configured:
            return []
        return [(dataset.key, area) for dataset, area in self._gap_fill.targets(now)]


async def _last_fetch(uow: AbstractUnitOfWork, pairs: Sequence[DatasetArea]) -> datetime | None:
    fetched = await uow.store.last_fetched(pairs)
    return max((one for one in fetched.values() if one is not None), default=None)
