"""In-memory EnergyStorePort: the reference twin of the SQL store."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise

from adapters.memory.database import CoverageRow, ObservationKey, OverlayTable, StoredValue
from entsoe_core.areas import AreaKey
from entsoe_core.columns import ObservationColumns
from entsoe_core.coverage import Coverage, CoverageEntry, RecheckPolicy
from entsoe_core.observations import Observation, Series, SeriesKey, SeriesStats
from entsoe_core.ports import DatasetArea, ObservationCursor
from entsoe_core.resolution import Resolution
from entsoe_core.timeline import Interval, IntervalSet
from entsoe_core.versions import UpsertResult, Version


class MemoryEnergyStore:
    """Observations and coverage held in dicts, seen through one transaction's overlay."""

    def __init__(
        self,
        observations: OverlayTable[ObservationKey, StoredValue],
        coverage: OverlayTable[int, CoverageRow],
    ) -> None:
        self._observations = observations
        self._coverage = coverage

    async def upsert(self, dataset: str, area: AreaKey, series: Sequence[Series]) -> UpsertResult:
        written = kept = unchanged = 0
        for one in series:
            version = Version(one.revision, one.created_at)
            for point in one.points:
                key = (dataset, area, one.key, point.timestamp)
                stored = self._observations.get(key)
                if stored is not None and not version.replaces(Version(stored[3], stored[4])):
                    kept += 1
                    continue
                row = (point.value, one.unit, one.curve_type, one.revision, one.created_at)
                # A later copy of the same revision (the API stamps each answer with its own
                # creation time) that holds the same value is not written again.
                if stored is not None and stored[:4] == row[:4]:
                    unchanged += 1
                    continue
                self._observations[key] = row
                written += 1
        return UpsertResult(written, kept, unchanged)

    async def read(
        self,
        dataset: str,
        area: AreaKey,
        interval: Interval,
        *,
        after: ObservationCursor | None = None,
        limit: int | None = None,
    ) -> list[Observation]:
        rows = sorted(
            (timestamp, key, value)
            for (d, a, key, timestamp), value in self._observations.items()
            if d == dataset
            and a == area
            and interval.contains(timestamp)
            and (after is None or (timestamp, key) > after)
        )
        if limit is not None:
            rows = rows[:limit]
        return [
            Observation(dataset, area, key, timestamp, *value) for timestamp, key, value in rows
        ]

    async def read_columns(
        self,
        dataset: str,
        area: AreaKey,
        interval: Interval,
        *,
        after: ObservationCursor | None = None,
        limit: int | None = None,
    ) -> ObservationColumns:
        found = await self.read(dataset, area, interval, after=after, limit=limit)
        return ObservationColumns.of_observations(dataset, area, found)

    async def record_coverage(self, dataset: str, area: AreaKey, entry: CoverageEntry) -> None:
        self._coverage[len(self._coverage)] = (dataset, area, entry)

    async def coverage(self, dataset: str, area: AreaKey, within: Interval) -> Coverage:
        return Coverage.of(
            entry
            for d, a, entry in self._coverage.values()
            if d == dataset and a == area and entry.interval.overlaps(within)
        )

    async def gaps(
        self, dataset: str, area: AreaKey, requested: Interval, policy: RecheckPolicy
    ) -> IntervalSet:
        return (await self.coverage(dataset, area, requested)).gaps(requested, policy)

    async def newest(self, pairs: Sequence[DatasetArea]) -> dict[DatasetArea, datetime | None]:
        found: dict[DatasetArea, datetime | None] = dict.fromkeys(pairs)
        for (dataset, area, _, timestamp), _ in self._observations.items():
            if (dataset, area) in found:
                known = found[dataset, area]
                found[dataset, area] = timestamp if known is None else max(known, timestamp)
        return found

    async def last_fetched(
        self, pairs: Sequence[DatasetArea]
    ) -> dict[DatasetArea, datetime | None]:
        found: dict[DatasetArea, datetime | None] = dict.fromkeys(pairs)
        for dataset, area, entry in self._coverage.values():
            if (dataset, area) in found:
                known = found[dataset, area]
                fetched = entry.fetched_at
                found[dataset, area] = fetched if known is None else max(known, fetched)
        return found

    async def series_stats(
        self, dataset: str, area: AreaKey, interval: Interval
    ) -> list[SeriesStats]:
        found: defaultdict[SeriesKey, list[tuple[datetime, int]]] = defaultdict(list)
        for (d, a, key, timestamp), value in self._observations.items():
            if d == dataset and a == area and interval.contains(timestamp):
                found[key].append((timestamp, value[3]))
        stats = []
        for key in sorted(found):
            points = sorted(found[key])
            longest = Resolution.parse(key.resolution).longest
            stamps = [timestamp for timestamp, _ in points]
            stats.append(
                SeriesStats(
                    key,
                    len(points),
                    stamps[0],
                    stamps[-1],
                    max(revision for _, revision in points),
                    tuple((a, b) for a, b in pairwise(stamps) if b - a > longest),
                )
            )
        return stats
