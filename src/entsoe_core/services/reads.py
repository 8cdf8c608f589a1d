"""Reading what is stored: coverage over a window, and observations page by page.

The CLI and the HTTP API both read through here, so the default window and the paging are
decided once. Reads only read: each opens a unit of work, reads, and leaves it without a
commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import datetime, timedelta

import attrs

from entsoe_core.coverage import RecheckPolicy
from entsoe_core.errors import InvalidRequest
from entsoe_core.observations import Observation
from entsoe_core.ports import ClockPort, ObservationCursor, UnitOfWorkFactory
from entsoe_core.services.requests import BackfillRequest, CoverageReport
from entsoe_core.timeline import add_months, floor_to_day

__all__ = ["ObservationPage", "ReadService"]

READ_MAX_YEARS = 100
"""Reads are not limited by ENTSOE_HISTORY_YEARS, only by the range of dates accepted."""


@attrs.frozen
class ObservationPage:
    """Observations in (timestamp, series) order; ``more`` when another page follows."""

    observations: tuple[Observation, ...]
    more: bool

    @property
    def next_after(self) -> ObservationCursor | None:
        """Where the next page starts, or ``None`` after the last page."""
        if not self.more:
            return None
        last = self.observations[-1]
        return last.timestamp, last.key


class ReadService:
    """Coverage reports and observations of areas x datasets."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: ClockPort,
        *,
        history_years: int = 3,
        recheck: RecheckPolicy | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._history_years = history_years
        self._recheck = recheck or RecheckPolicy()

    def window(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> tuple[datetime, datetime]:
        """The period a read covers when not told: from ``history_years`` before today (UTC
        midnight) to tomorrow."""
        today = floor_to_day(self._clock.now())
        return (
            start or add_months(today, -12 * self._history_years),
            end or today + timedelta(days=1),
        )

    def request(
        self,
        areas: Iterable[str],
        datasets: Iterable[str],
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> BackfillRequest:
        """Names and a period checked against the catalogues, the window filling the gaps."""
        start, end = self.window(start, end)
        return BackfillRequest.parse(areas, datasets, start, end, max_years=READ_MAX_YEARS)

    async def coverage(self, request: BackfillRequest) -> list[CoverageReport]:
        """Coverage and gaps of every (dataset, area) of the request."""
        reports = []
        async with self._uow(reading=True) as uow:
            for dataset, area in request.targets():
                period = request.period_for(area)
                coverage = await uow.store.coverage(dataset, area, period)
                gaps = await uow.store.gaps(dataset, area, period, self._recheck)
                reports.append(CoverageReport(dataset, area, period, coverage, gaps))
        return reports

    async def observations(
        self, request: BackfillRequest, *, after: ObservationCursor | None = None, limit: int
    ) -> ObservationPage:
        """One page of the one (dataset, area) of the request, after ``after``."""
        targets = request.targets()
        if len(targets) != 1:
            raise InvalidRequest(
                f"observations are read for one dataset and one area at a time; the request "
                f"names {len(targets)} (dataset, area) pairs: name one area, not a scope"
            )
        dataset, area = targets[0]
        async with self._uow(reading=True) as uow:
            # One more than asked tells whether another page follows without an empty last page.
            found = await uow.store.read(
                dataset, area, request.period, after=after, limit=limit + 1
            )
        return ObservationPage(tuple(found[:limit]), len(found) > limit)

    async def export(
        self,
        request: BackfillRequest,
        write: Callable[[Sequence[Observation]], object],
        *,
        page_size: int,
    ) -> int:
        """Hand every observation of the one (dataset, area) of the request to ``write``,
        a page at a time and in order (at least one call, an empty page for nothing); the
        number of observations. Memory holds one page, whatever the period."""
        count = 0
        async for page in self.pages(request, page_size=page_size):
            write(page)
            count += len(page)
        return count

    async def pages(
        self, request: BackfillRequest, *, page_size: int
    ) -> AsyncIterator[tuple[Observation, ...]]:
        """Every observation of the one (dataset, area) of the request, a page at a time and
        in order; at least one page, an empty one for nothing. Each page is its own read."""
        after = None
        while True:
            page = await self.observations(request, after=after, limit=page_size)
            yield page.observations
            after = page.next_after
            if after is None:
                return

    def one_by_one(self, request: BackfillRequest) -> list[BackfillRequest]:
        """The request cut into one request per (dataset, area), each over the part of the
        period its area existed in, for exports of several areas and datasets."""
        return [
            attrs.evolve(
                request,
                areas=(area,),
                datasets=(dataset,),
                period=request.period_for(area),
                pairs=None,
            )
            for dataset, area in request.targets()
        ]
