"""Freshness: per dataset and area, the newest stored instant against the publication horizon.

The horizon is how far the source may have published by now (now plus the dataset's
publication horizon: now for actuals, tomorrow for day-ahead prices, a year ahead for
year-ahead forecasts). The lag is the horizon minus the newest stored instant. A (dataset,
area) is ``fresh`` while its newest instant is no older than the time answers take to settle
(:attr:`RecheckPolicy.data_settle`) before now, ``behind`` otherwise, and ``empty`` with
nothing stored.

The newest instant comes from the stored observations, not from the coverage ledger, so
imported documents count too. The store is asked about a recent stretch before the horizon
first, and about the whole history only when that holds nothing, so that the answer stays
cheap on a large database and is right however far behind a (dataset, area) is.

One reading serves the dashboard (:class:`FreshnessService`, any request) and the metrics and
health check (:class:`FreshnessReports`, the configured scope with the jobs and the last fetch).
"""

from __future__ import annotations

import enum
from collections import Counter
from datetime import datetime, timedelta

import attrs

from entsoe_core.areas import AreaKey
from entsoe_core.coverage import RecheckPolicy
from entsoe_core.datasets import DATASETS
from entsoe_core.ports import AbstractUnitOfWork, ClockPort, UnitOfWorkFactory
from entsoe_core.progress import JobStatus
from entsoe_core.services.gapfill import GapFillService
from entsoe_core.services.requests import EARLIEST, LATEST, BackfillRequest
from entsoe_core.timeline import Interval

__all__ = [
    "RECENT",
    "Freshness",
    "FreshnessReports",
    "FreshnessService",
    "FreshnessState",
    "OperationsSnapshot",
]

RECENT = timedelta(days=62)
"""The stretch before the horizon asked about first (and where the last fetch is looked for)."""


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
    """The latest fetch recorded for any configured (dataset, area), over its recent stretch."""


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
            return [await self.read(uow, dataset, area, now) for dataset, area in request.targets()]

    async def read(
        self, uow: AbstractUnitOfWork, dataset: str, area: AreaKey, now: datetime
    ) -> Freshness:
        """The freshness of one (dataset, area) at ``now``, read in ``uow``."""
        horizon = DATASETS.get(dataset).horizon_end(now)
        newest = await _newest(uow, dataset, area, horizon)
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
        now = self._clock.now()
        # An unconfigured scope has no freshness to report; the jobs are still counted.
        targets = self._gap_fill.targets(now) if self._gap_fill.configured else []
        found = []
        fetched: list[datetime] = []
        async with self._uow(reading=True) as uow:
            jobs = Counter(job.status for job in await uow.progress.list_jobs())
            for dataset, area in targets:
                one = await self._freshness.read(uow, dataset.key, area, now)
                found.append(one)
                recent = Interval(one.horizon - RECENT, one.horizon + timedelta(days=1))
                coverage = await uow.store.coverage(dataset.key, area, recent)
                fetched.extend(entry.fetched_at for entry in coverage.entries)
        return OperationsSnapshot(
            now,
            {status: jobs[status] for status in JobStatus},
            tuple(found),
            max(fetched, default=None),
        )


async def _newest(
    uow: AbstractUnitOfWork, dataset: str, area: AreaKey, horizon: datetime
) -> datetime | None:
    # Up to the latest date accepted: a point past the horizon is stored data all the same.
    for start in (max(EARLIEST, horizon - RECENT), EARLIEST):
        stats = await uow.store.series_stats(dataset, area, Interval(start, LATEST))
        if stats:
            return max(one.last for one in stats)
    return None
