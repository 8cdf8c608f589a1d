"""What a user asks for, validated, and what the services report back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import attrs

from entsoe_core.areas import AREAS, AreaKey
from entsoe_core.breaker import SourceState
from entsoe_core.coverage import Coverage, Outcome
from entsoe_core.datasets import DATASETS
from entsoe_core.errors import InvalidRequest
from entsoe_core.limits import LearnedLimit
from entsoe_core.plan import ChunkSpan
from entsoe_core.progress import BackfillJob, ChunkCounts, ChunkStatus
from entsoe_core.scopes import ALL_AREAS, ALL_BORDERS, AreaScope
from entsoe_core.timeline import Interval, IntervalSet, add_months, utc

__all__ = [
    "EARLIEST",
    "LATEST",
    "BackfillRequest",
    "CoveragePartition",
    "CoverageReport",
    "JobReport",
]

# The range any request may ask about. ENTSO-E publishes nothing before 2014; the bound far in
# the future keeps calendar arithmetic (a period plus its years, a month past its end) inside
# the years a datetime can hold, so a typo such as 9999 is an error and not an overflow.
EARLIEST = utc(2014, 1, 1)
LATEST = utc(2100, 1, 1)


@attrs.frozen
class BackfillRequest:
    """Areas x datasets x period, checked against the catalogues."""

    areas: tuple[AreaKey, ...]
    datasets: tuple[str, ...]
    period: Interval
    span: ChunkSpan | None = None
    """A cap on the chunk span; ``None``: each dataset's chunks as long as its limits allow."""
    pairs: tuple[tuple[str, AreaKey], ...] | None = None
    """The (dataset, area) pairs when a scope (``all``, ``all-borders``) gave each dataset its
    own areas; ``None``: every area with every dataset."""

    @classmethod
    def parse(
        cls,
        areas: Iterable[str],
        datasets: Iterable[str],
        start: datetime,
        end: datetime,
        *,
        span: ChunkSpan | None = None,
        max_years: int = 10,
    ) -> BackfillRequest:
        """Resolve names and scopes and check every combination; raise on the first bad value.

        A scope (``all``, ``all-borders``) expands per dataset to the areas that existed during
        some part of the period; each of them is worked on within its lifetime only
        (:meth:`period_for`). An area named outright must exist during the whole period.
        """
        scope = AreaScope.parse(areas)
        kinds = tuple(dict.fromkeys(DATASETS.get(d).key for d in datasets if d.strip()))
        if scope.empty:
            raise InvalidRequest(
                f"no area given; name at least one, for example NL or DE_LU, or {ALL_AREAS} "
                f"(every area) or {ALL_BORDERS} (every border)"
            )
        if not kinds:
            raise InvalidRequest(
                f"no dataset given; name at least one of {', '.join(DATASETS.keys)}"
            )
        period = Interval.of(start, end)
        _check_in_range("start", period.start)
        _check_in_range("end", period.end)
        if period.end > add_months(period.start, 12 * max_years):
            raise InvalidRequest(
                f"the period {period} is longer than the configured maximum of {max_years} "
                "years; split it, or raise ENTSOE_HISTORY_YEARS"
            )
        pairs: list[tuple[str, AreaKey]] = []
        for dataset_key in kinds:
            dataset = DATASETS.get(dataset_key)
            dataset.check_period(period)
            expanded = scope.expand(dataset, period)
            for area in scope.keys:
                if area not in expanded:
                    dataset.check_area(area)
                    for code in filter(None, (area.code, area.to_code)):
                        AREAS.get(code).check_period(period)
            pairs += [(dataset_key, a) for a in dict.fromkeys((*expanded, *scope.keys))]
        scoped = scope.all_areas or scope.all_borders
        keys = tuple(dict.fromkeys(area for _, area in pairs))
        return cls(keys, kinds, period, span, tuple(pairs) if scoped else None)

    def targets(self) -> list[tuple[str, AreaKey]]:
        if self.pairs is not None:
            return list(self.pairs)
        return [(d, a) for a in self.areas for d in self.datasets]

    def period_for(self, area: AreaKey) -> Interval:
        """The period within the lifetime of ``area``: the whole period for an area named
        outright (checked by :meth:`parse`), its part of it for one a scope brought in."""
        return AREAS.lifetime(area, self.period) or self.period


def _check_in_range(name: str, instant: datetime) -> None:
    if not EARLIEST <= instant <= LATEST:
        raise InvalidRequest(
            f"{name} {instant.isoformat()} is outside the range this tool accepts, "
            f"{EARLIEST.date()} to {LATEST.date()} (ENTSO-E data starts in 2014)"
        )


@attrs.frozen
class CoverageReport:
    """What is covered and what is missing for one (dataset, area) within a period."""

    dataset: str
    area: AreaKey
    period: Interval
    coverage: Coverage
    gaps: IntervalSet

    @property
    def covered(self) -> IntervalSet:
        return IntervalSet((self.period,)).intersection(self.coverage.covered())

    @property
    def no_data(self) -> IntervalSet:
        """Where the source answered that nothing is published."""
        return IntervalSet((self.period,)).intersection(self.coverage.with_outcome(Outcome.NO_DATA))

    def partition(self) -> CoveragePartition:
        """The period cut into covered, no data, provisional and missing: every instant in
        exactly one of them."""
        whole = IntervalSet((self.period,))
        fetched = whole.intersection(self.coverage.covered())
        final = whole.difference(self.gaps)
        data = self.coverage.with_outcome(Outcome.DATA)
        # Where a final "no data" and data overlap (published after all), the data counts.
        no_data = final.intersection(self.coverage.with_outcome(Outcome.NO_DATA)).difference(data)
        return CoveragePartition(
            covered=final.difference(no_data),
            no_data=no_data,
            provisional=fetched.difference(final),
            missing=self.gaps.difference(fetched),
        )


@attrs.frozen
class CoveragePartition:
    """A coverage report's period in four disjoint parts that together make all of it.

    ``covered``: fetched with data, final. ``no_data``: the source answered that nothing is
    published, final. ``provisional``: fetched, but recently enough (or with holes) that
    gap-filling asks again. ``missing``: never fetched.
    """

    covered: IntervalSet
    no_data: IntervalSet
    provisional: IntervalSet
    missing: IntervalSet


@attrs.frozen
class JobReport:
    """A job, its chunk counters, and what can be said about time."""

    job: BackfillJob
    counts: ChunkCounts
    last_error: str | None
    now: datetime
    outage: SourceState | None = None
    """While the job waits for an unavailable source: the breaker's state."""
    limits: tuple[LearnedLimit, ...] = ()
    """The request limits learned from refusals for the job's datasets."""

    @property
    def running(self) -> bool:
        """Whether some worker holds a live lease on a chunk of this job right now."""
        return self.counts.live_leases > 0

    @property
    def holes(self) -> int:
        """Holes found in the answers of the job's chunks; their coverage stays provisional."""
        return self.counts.holes

    @property
    def elapsed(self) -> timedelta | None:
        if self.job.started_at is None:
            return None
        return (self.job.finished_at or self.now) - self.job.started_at

    @property
    def eta(self) -> timedelta | None:
        done = self.counts[ChunkStatus.DONE]
        remaining = self.counts.open
        if not done or not remaining or self.elapsed is None or self.job.finished_at:
            return None
        return self.elapsed / done * remaining
