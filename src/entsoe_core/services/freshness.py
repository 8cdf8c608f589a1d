"""Freshness: how far behind its publication each configured (dataset, area) is.

The lag of a (dataset, area) is its publication horizon now (``Dataset.horizon_end``: now for
actuals, up to two days ahead for day-ahead data) minus the newest instant stored. It is read
from the store over a recent window, so that it stays cheap on a large database; with nothing
stored in the window the lag is at least the window's length, and is reported as that.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import attrs

from entsoe_core.areas import AreaKey
from entsoe_core.ports import ClockPort, UnitOfWorkFactory
from entsoe_core.progress import JobStatus
from entsoe_core.services.gapfill import GapFillService
from entsoe_core.timeline import Interval

__all__ = ["Freshness", "FreshnessReports", "OperationsSnapshot"]

WINDOW = timedelta(days=62)
"""How far back from the horizon the newest stored instant is looked for."""


@attrs.frozen
class Freshness:
    """One configured (dataset, area): the newest instant stored and the last fetch."""

    dataset: str
    area: AreaKey
    horizon: datetime
    newest: datetime | None
    last_fetch: datetime | None

    @property
    def lag(self) -> timedelta:
        """The horizon minus the newest instant stored (at least the window without any)."""
        return self.horizon - (self.newest or self.horizon - WINDOW)


@attrs.frozen
class OperationsSnapshot:
    """What the metrics and the health check read from the database at one instant."""

    now: datetime
    jobs: dict[JobStatus, int]
    freshness: tuple[Freshness, ...]

    @property
    def last_fetch(self) -> datetime | None:
        """The latest fetch recorded for any configured (dataset, area)."""
        fetched = [f.last_fetch for f in self.freshness if f.last_fetch is not None]
        return max(fetched, default=None)


class FreshnessReports:
    """Reads the operations snapshot of the configured scope; writes nothing."""

    def __init__(self, uow: UnitOfWorkFactory, clock: ClockPort, gap_fill: GapFillService) -> None:
        self._uow = uow
        self._clock = clock
        self._gap_fill = gap_fill

    async def snapshot(self) -> OperationsSnapshot:
        now = self._clock.now()
        # An unconfigured scope has no freshness to report; the jobs are still counted.
        targets = self._gap_fill.targets(now) if self._gap_fill.configured else []
        found = []
        async with self._uow(reading=True) as uow:
            jobs = Counter(job.status for job in await uow.progress.list_jobs())
            for dataset, area in targets:
                horizon = dataset.horizon_end(now)
                window = Interval(horizon - WINDOW, horizon + timedelta(days=1))
                stats = await uow.store.series_stats(dataset.key, area, window)
                coverage = await uow.store.coverage(dataset.key, area, window)
                found.append(
                    Freshness(
                        dataset.key,
                        area,
                        horizon,
                        max((s.last for s in stats), default=None),
                        max((e.fetched_at for e in coverage.entries), default=None),
                    )
                )
        return OperationsSnapshot(now, {status: jobs[status] for status in JobStatus}, tuple(found))
