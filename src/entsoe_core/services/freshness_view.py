"""Freshness: per dataset and area, the newest stored instant against the publication horizon.

The horizon is how far the source may have published by now (now plus the dataset's
publication horizon: tomorrow for day-ahead prices, a year ahead for year-ahead forecasts).
The lag is the horizon minus the newest stored instant. A (dataset, area) is ``fresh`` while
its newest instant is no older than the time answers take to settle
(:attr:`RecheckPolicy.data_settle`) before now, ``behind`` otherwise, and ``empty`` with
nothing stored.

The newest instant comes from the stored observations, not from the coverage ledger, so
imported documents count too. The store is asked about a short stretch before the horizon
first, and about the whole history only when that holds nothing.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import attrs

from entsoe_core.areas import AreaKey
from entsoe_core.coverage import RecheckPolicy
from entsoe_core.datasets import DATASETS
from entsoe_core.ports import AbstractUnitOfWork, ClockPort, UnitOfWorkFactory
from entsoe_core.services.requests import EARLIEST, LATEST, BackfillRequest
from entsoe_core.timeline import Interval

__all__ = ["Freshness", "FreshnessService", "FreshnessState"]

_RECENT = timedelta(days=35)
"""The stretch before the horizon asked about first: a month and a few days."""


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
        return None if self.newest is None else self.horizon - self.newest


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
        found = []
        async with self._uow(reading=True) as uow:
            for dataset, area in request.targets():
                horizon = DATASETS.get(dataset).horizon_end(now)
                newest = await _newest(uow, dataset, area, horizon)
                if newest is None:
                    state = FreshnessState.EMPTY
                elif newest + self._recheck.data_settle >= now:
                    state = FreshnessState.FRESH
                else:
                    state = FreshnessState.BEHIND
                found.append(Freshness(dataset, area, newest, horizon, state))
        return found


async def _newest(
    uow: AbstractUnitOfWork, dataset: str, area: AreaKey, horizon: datetime
) -> datetime | None:
    # Up to the latest date accepted: a point past the horizon is stored data all the same.
    for start in (max(EARLIEST, horizon - _RECENT), EARLIEST):
        stats = await uow.store.series_stats(dataset, area, Interval(start, LATEST))
        if stats:
            return max(one.last for one in stats)
    return None
