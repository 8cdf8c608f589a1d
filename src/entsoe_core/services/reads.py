"""Reading what is stored: coverage over a window, and observations page by page.

The CLI and the HTTP API both read through here, so the default window and the paging are
decided once. Reads only read: each opens a unit of work, reads, and leaves it without a
commit.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence, Sized
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

import attrs

from entsoe_core.areas import AreaKey
from entsoe_core.columns import ObservationColumns
from entsoe_core.coverage import RecheckPolicy
from entsoe_core.errors import InvalidRequest
from entsoe_core.observations import Observation
from entsoe_core.ports import ClockPort, EnergyStorePort, ObservationCursor, UnitOfWorkFactory
from entsoe_core.resolution_rules import NATIVE, ResolutionRule
from entsoe_core.services.requests import BackfillRequest, CoverageReport
from entsoe_core.timeline import Interval, add_months, floor_to_day

__all__ = ["ObservationPage", "ReadService"]

SLICE_MIN = timedelta(hours=1)
SLICE_MAX = timedelta(days=366)

ROOM_AIM = 0.95
"""The share of a page's room a slice is sized to hold. A little under: a slice that holds
more than is asked of it is read with a limit (which the database orders at more cost than all
it holds), one that holds less leaves a small slice to follow."""

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
        dataset, area = self._one_target(request)
        async with self._uow(reading=True) as uow:
            # One more than asked tells whether another page follows without an empty last page.
            found = await uow.store.read(
                dataset, area, request.period, after=after, limit=limit + 1
            )
        return ObservationPage(tuple(found[:limit]), len(found) > limit)

    async def read_all(
        self, request: BackfillRequest, rule: ResolutionRule = NATIVE, *, page_size: int = 50_000
    ) -> list[Observation]:
        """Every observation of every (dataset, area) of the request, ``rule`` applied, in
        (timestamp, series) order: what a table of them is made of. It holds them all, so it
        is for periods a table can hold; :meth:`export` streams one page at a time."""
        found: list[Observation] = []
        async with self._uow(reading=True) as uow:
            for dataset, area in request.targets():
                period = request.period_for(area)
                after: ObservationCursor | None = None
                while True:
                    page = await uow.store.read(dataset, area, period, after=after, limit=page_size)
                    found += page
                    if len(page) < page_size:
                        break
                    after = page[-1].timestamp, page[-1].key
        return rule.apply(found)

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
        """Every observation of the one (dataset, area) of the request, in pages of
        ``page_size`` in order; at least one page, an empty one for nothing.

        The period is read in slices of time, each sized from the density of the one before
        to hold about a page, and each slice page by page: a read never has to order more
        than about a slice of rows, so the cost of a page stays the same however long the
        period (a cursor over the whole period would make each page sort what follows it).
        """
        dataset, area = self._one_target(request)
        async for page in self._paged(request.period, page_size, _RowReads(dataset, area)):
            yield page

    async def column_pages(
        self, request: BackfillRequest, *, page_size: int
    ) -> AsyncIterator[ObservationColumns]:
        """The pages of :meth:`pages` (the same observations, in the same order and the same
        pages) as columns: for writers of columns, which need no object per observation."""
        dataset, area = self._one_target(request)
        async for page in self._paged(request.period, page_size, _ColumnReads(dataset, area)):
            yield page

    async def export_columns(
        self,
        request: BackfillRequest,
        write: Callable[[ObservationColumns], object],
        *,
        page_size: int,
    ) -> int:
        """:meth:`export` with the pages as columns (:meth:`column_pages`)."""
        count = 0
        async for page in self.column_pages(request, page_size=page_size):
            write(page)
            count += len(page)
        return count

    async def _paged(
        self, period: Interval, page_size: int, reads: _Reads[PageT]
    ) -> AsyncIterator[PageT]:
        slices = _Slices(period, page_size)
        held: list[PageT] = []
        held_count = 0
        sent = False
        for window in slices:
            after: ObservationCursor | None = None
            found_in_window = 0
            while True:
                wanted = page_size - held_count
                async with self._uow(reading=True) as uow:
                    found = await reads.read(uow.store, window, after, wanted + 1)
                taken = reads.head(found, wanted)
                held.append(taken)
                held_count += len(taken)
                found_in_window += len(taken)
                if held_count == page_size:
                    yield reads.joined(held)
                    held, held_count, sent = [], 0, True
                if len(found) <= wanted:
                    break
                after = reads.cursor(found, wanted - 1)
            slices.found(found_in_window, page_size - held_count)
        if held_count or not sent:
            yield reads.joined(held)

    @staticmethod
    def _one_target(request: BackfillRequest) -> tuple[str, AreaKey]:
        targets = request.targets()
        if len(targets) != 1:
            raise InvalidRequest(
                f"observations are read for one dataset and one area at a time; the request "
                f"names {len(targets)} (dataset, area) pairs: name one area, not a scope"
            )
        return targets[0]

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


PageT = TypeVar("PageT", bound=Sized)


class _Reads(Protocol[PageT]):
    """How :meth:`ReadService._paged` reads one kind of page of one (dataset, area)."""

    async def read(
        self, store: EnergyStorePort, window: Interval, after: ObservationCursor | None, limit: int
    ) -> PageT: ...

    def head(self, page: PageT, count: int) -> PageT: ...

    def joined(self, parts: list[PageT]) -> PageT: ...

    def cursor(self, page: PageT, position: int) -> ObservationCursor: ...


@attrs.frozen
class _RowReads:
    """Pages of observations."""

    dataset: str
    area: AreaKey

    async def read(
        self, store: EnergyStorePort, window: Interval, after: ObservationCursor | None, limit: int
    ) -> tuple[Observation, ...]:
        return tuple(await store.read(self.dataset, self.area, window, after=after, limit=limit))

    def head(self, page: tuple[Observation, ...], count: int) -> tuple[Observation, ...]:
        return page[:count]

    def joined(self, parts: list[tuple[Observation, ...]]) -> tuple[Observation, ...]:
        return tuple(itertools.chain.from_iterable(parts))

    def cursor(self, page: tuple[Observation, ...], position: int) -> ObservationCursor:
        return page[position].timestamp, page[position].key


@attrs.frozen
class _ColumnReads:
    """Pages of observations as columns."""

    dataset: str
    area: AreaKey

    async def read(
        self, store: EnergyStorePort, window: Interval, after: ObservationCursor | None, limit: int
    ) -> ObservationColumns:
        return await store.read_columns(self.dataset, self.area, window, after=after, limit=limit)

    def head(self, page: ObservationColumns, count: int) -> ObservationColumns:
        return page.part(0, count)

    def joined(self, parts: list[ObservationColumns]) -> ObservationColumns:
        return ObservationColumns.joined(self.dataset, self.area, parts)

    def cursor(self, page: ObservationColumns, position: int) -> ObservationCursor:
        return page.cursor(position)


class _Slices:
    """Consecutive slices of a period, each sized at the density found in the one before to
    hold about what the page being filled has room for (``rows`` for a page of its own): one
    day to begin with, a full page's span growing at most fourfold from one slice to the next
    (a density that jumps is met by the read's page limit), between :data:`SLICE_MIN` and
    :data:`SLICE_MAX`.

    A slice that ends with its page is read once: a slice that held more than its page's room
    would be read twice, its first part for the page before (the database ordering the whole
    slice to find it) and the rest after a cursor. It is aimed a little under the room
    (:data:`ROOM_AIM`)."""

    def __init__(self, period: Interval, rows: int) -> None:
        self._period = period
        self._rows = rows
        self._full = self._span = timedelta(days=1)
        self._last: Interval | None = None

    def __iter__(self) -> Iterator[Interval]:
        start = self._period.start
        while start < self._period.end:
            self._last = Interval(start, min(start + self._span, self._period.end))
            yield self._last
            start = self._last.end

    def found(self, count: int, room: int) -> None:
        """How many observations the last slice held, and how many the page being filled
        has room for: the next slice is sized from them."""
        if self._last is None:
            return
        length = self._last.end - self._last.start
        wanted = length * self._rows / max(count, 1)
        self._full = max(SLICE_MIN, min(wanted, self._full * 4, SLICE_MAX))
        self._span = max(SLICE_MIN, self._full * room * ROOM_AIM / self._rows)
