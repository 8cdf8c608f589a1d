"""GapFillService: keep the configured areas and datasets fresh.

For each configured (area, dataset) it asks the store for the gaps between the configured
history start and now plus the dataset's publication horizon. Provisional coverage (recent
"no data" answers, data fetched before its interval ended) does not count as covered, so those
intervals are asked for again. The gaps become one job that runs through the same chunk
machinery as any backfill.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from entsoe_core.areas import AREAS, AreaKey
from entsoe_core.datasets import DATASETS, Dataset
from entsoe_core.errors import InvalidRequest
from entsoe_core.plan import ChunkSpan
from entsoe_core.ports import ClockPort, UnitOfWorkFactory
from entsoe_core.progress import BackfillJob, JobKind
from entsoe_core.scopes import AreaScope
from entsoe_core.services.backfill import BackfillService, ChunkListener
from entsoe_core.services.requests import BackfillRequest, JobReport
from entsoe_core.timeline import Interval, IntervalSet, add_months, floor_to_day

__all__ = ["NOTHING_TO_KEEP_FRESH", "GapFillService"]

NOTHING_TO_KEEP_FRESH = (
    "nothing to keep fresh: set ENTSOE_AREAS and ENTSOE_DATASETS "
    "(comma-separated, for example ENTSOE_AREAS=NL,DE_LU, or ENTSOE_AREAS=all)"
)


class GapFillService:
    """Finds what is missing for the configured targets and fills it."""

    def __init__(
        self,
        backfill: BackfillService,
        uow: UnitOfWorkFactory,
        clock: ClockPort,
        *,
        areas: Sequence[str],
        datasets: Sequence[str],
        history_years: int,
        span: ChunkSpan | None = None,
    ) -> None:
        self._backfill = backfill
        self._uow = uow
        self._clock = clock
        self._scope = AreaScope.parse(areas)
        self._datasets = tuple(DATASETS.get(d) for d in datasets)
        self._history_years = history_years
        self._span = span

    @property
    def configured(self) -> bool:
        """Whether areas and datasets are configured to keep fresh."""
        return not self._scope.empty and bool(self._datasets)

    def span(self, dataset: Dataset, now: datetime) -> Interval:
        """From the history start to the dataset's publication horizon."""
        start = max(
            add_months(floor_to_day(now), -12 * self._history_years), dataset.available_from
        )
        return Interval(start, floor_to_day(dataset.horizon_end(now)) + timedelta(days=1))

    def window(self, dataset: Dataset, area: AreaKey, now: datetime) -> Interval | None:
        """From the history start to the publication horizon, within the area's lifetime."""
        return AREAS.lifetime(area, self.span(dataset, now))

    def targets(
        self, now: datetime, datasets: Sequence[str] | None = None
    ) -> list[tuple[Dataset, AreaKey]]:
        """Each dataset (of the configured ones, or of ``datasets`` among them) with the
        configured areas of the kind it takes (``all`` and ``all-borders`` expanded to those that
        existed since the history start)."""
        if self._scope.empty or not self._datasets:
            raise InvalidRequest(NOTHING_TO_KEEP_FRESH)
        chosen = [d for d in self._datasets if datasets is None or d.key in datasets]
        return [
            (dataset, area)
            for dataset in chosen
            for area in self._scope.suiting(dataset, self.span(dataset, now))
        ]

    async def find_gaps(
        self, datasets: Sequence[str] | None = None
    ) -> dict[tuple[str, AreaKey], IntervalSet]:
        now = self._clock.now()
        found: dict[tuple[str, AreaKey], IntervalSet] = {}
        async with self._uow(reading=True) as uow:
            for dataset, area in self.targets(now, datasets):
                window = self.window(dataset, area, now)
                if window is None:
                    continue
                gaps = await uow.store.gaps(dataset.key, area, window, self._backfill.recheck)
                if gaps:
                    found[(dataset.key, area)] = gaps
        return found

    async def run(self, on_chunk: ChunkListener | None = None) -> JobReport | None:
        """Fill every gap; ``None`` when there was nothing to do."""
        job = await self.create_job()
        if job is None:
            return None
        return await self._backfill.run(job.id, on_chunk)

    async def create_job(self, datasets: Sequence[str] | None = None) -> BackfillJob | None:
        """Persist a gap-fill job for every gap found (of ``datasets`` only, when given);
        ``None`` when nothing is missing."""
        gaps = await self.find_gaps(datasets)
        if not gaps:
            return None
        period = Interval(
            min(i.intervals[0].start for i in gaps.values()),
            max(i.intervals[-1].end for i in gaps.values()),
        )
        request = BackfillRequest(
            areas=tuple(dict.fromkeys(area for _, area in gaps)),
            datasets=tuple(dict.fromkeys(dataset for dataset, _ in gaps)),
            period=period,
            span=self._span,
        )
        return await self._backfill.create(request, kind=JobKind.GAP_FILL, gaps=gaps)
