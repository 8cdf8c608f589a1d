"""The quality report: per stored series, the points it should have and the holes it has.

A series is expected to hold every step of its resolution from its first stored point in the
period to its last and, where a fetch with data asked for more (its coverage entry goes on past
the last point, and its interval had ended when it was fetched), to the end of that fetch's
interval, within the period. Holes are the expected
steps not stored, less what a sibling of the same identity in another resolution holds (prices
went from PT60M to PT15M on 2025-10-01). A series is not expected before its first stored point:
where nothing was ever fetched, ``entsoe coverage`` tells what is missing.

Holes the coverage ledger accepted as published that way (found by every fetch up to the
recheck bound) are reported, and counted as accepted. The store counts the series and finds the
gaps between their points (:meth:`EnergyStorePort.series_stats`); no observation is loaded here.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import attrs

from entsoe_core.areas import AreaKey
from entsoe_core.coverage import Coverage, Outcome
from entsoe_core.holes import holes_between, sibling_identity
from entsoe_core.observations import SeriesKey, SeriesStats
from entsoe_core.ports import UnitOfWorkFactory
from entsoe_core.resolution import Resolution
from entsoe_core.services.requests import BackfillRequest
from entsoe_core.timeline import Interval, IntervalSet

__all__ = ["QualityService", "SeriesQuality"]


@attrs.frozen
class SeriesQuality:
    """The quality of one stored series of (dataset, area) over a period."""

    dataset: str
    area: AreaKey
    key: SeriesKey
    period: Interval
    expected: int
    """Points its resolution calls for where it is expected: stored plus missing."""
    stored: int
    holes: IntervalSet
    accepted: IntervalSet
    """The holes (or their parts) the coverage ledger accepted as published that way."""
    last_fetch: datetime | None
    """When (dataset, area) was last fetched over the period, if ever."""
    revision: int
    """The highest revision among its stored values."""

    @property
    def holes_accepted(self) -> int:
        """How many of its holes lie wholly within accepted ones."""
        return sum(1 for hole in self.holes if self.accepted.covers(hole))


class QualityService:
    """Reports the quality of the stored series of areas x datasets over a period."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def report(self, request: BackfillRequest) -> list[SeriesQuality]:
        """One :class:`SeriesQuality` per stored series, by dataset, area and series key."""
        found = []
        async with self._uow(reading=True) as uow:
            for dataset, area in request.targets():
                period = request.period_for(area)
                coverage = await uow.store.coverage(dataset, area, period)
                stats = await uow.store.series_stats(dataset, area, period)
                found.extend(_judge(dataset, area, period, coverage, stats))
        return found


def _judge(
    dataset: str,
    area: AreaKey,
    period: Interval,
    coverage: Coverage,
    stats: list[SeriesStats],
) -> list[SeriesQuality]:
    # As when an answer is checked: only an interval over by the time of its fetch promises
    # its whole tail (forecasts and today's data are not all published yet).
    fetched = [
        e for e in coverage.entries if e.outcome is Outcome.DATA and e.interval.end <= e.fetched_at
    ]
    last_fetch = max((e.fetched_at for e in coverage.entries), default=None)
    accepted = coverage.holes(accepted=True)
    spans: defaultdict[SeriesKey, list[tuple[SeriesKey, Interval]]] = defaultdict(list)
    for one in stats:
        span = Interval(one.first, Resolution.parse(one.key.resolution).after(one.last))
        spans[sibling_identity(one.key)].append((one.key, span))
    judged = []
    for one in stats:
        step = Resolution.parse(one.key.resolution)
        missing = [hole for a, b in one.gaps if (hole := holes_between(step, a, b))]
        end = step.after(one.last)
        asked_until = max(
            (e.interval.end for e in fetched if e.interval.contains(one.last)), default=end
        )
        if end + step.slack < asked_until:
            missing.append(Interval(end, asked_until))
        siblings = [span for key, span in spans[sibling_identity(one.key)] if key != one.key]
        holes = IntervalSet.of(missing).intersection((period,)).difference(siblings)
        judged.append(
            SeriesQuality(
                dataset=dataset,
                area=area,
                key=one.key,
                period=period,
                expected=one.points + sum(step.count(hole) for hole in holes),
                stored=one.points,
                holes=holes,
                accepted=holes.intersection(accepted),
                last_fetch=last_fetch,
                revision=one.revision,
            )
        )
    return judged
