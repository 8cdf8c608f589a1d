"""What a backfill would do, before it runs: its chunks by dataset and area, and the time the
request budget needs for them."""

from __future__ import annotations

from datetime import timedelta

import attrs

from entsoe_core.areas import AreaKey
from entsoe_core.budget import RequestBudget
from entsoe_core.plan import BackfillPlan, Chunk
from entsoe_core.services.requests import BackfillRequest
from entsoe_core.timeline import Interval

__all__ = ["PlanGroup", "PlanSummary"]


@attrs.frozen
class PlanGroup:
    """The chunks a plan has for one (dataset, area): how many, the first and the last."""

    dataset: str
    area: AreaKey
    chunks: int
    first: Interval
    last: Interval


@attrs.frozen
class PlanSummary:
    """A plan in short: its chunks by dataset and area, the requests they make (one each, as
    planned; refusals, splits and retries add to it) and how long the request budget ``rate``
    needs to send them."""

    request: BackfillRequest
    groups: tuple[PlanGroup, ...]
    rate: RequestBudget

    @classmethod
    def of(cls, request: BackfillRequest, plan: BackfillPlan, rate: RequestBudget) -> PlanSummary:
        by_target: dict[tuple[str, AreaKey], list[Chunk]] = {}
        for chunk in plan:
            by_target.setdefault((chunk.dataset, chunk.area), []).append(chunk)
        groups = []
        for target in request.targets():
            chunks = sorted(by_target.get(target, ()), key=lambda c: c.interval.start)
            if chunks:
                groups.append(
                    PlanGroup(*target, len(chunks), chunks[0].interval, chunks[-1].interval)
                )
        return cls(request, tuple(groups), rate)

    @property
    def requests(self) -> int:
        """One request per chunk planned."""
        return sum(group.chunks for group in self.groups)

    @property
    def targets(self) -> int:
        """The (dataset, area) pairs of the request."""
        return len(self.request.targets())

    @property
    def complete(self) -> int:
        """The (dataset, area) pairs with nothing missing: no chunk planned."""
        return self.targets - len(self.groups)

    @property
    def rate_per_minute(self) -> float:
        """The most requests the budget lets reach the API in any minute."""
        return self.rate.per_minute

    @property
    def budget(self) -> timedelta:
        """How long the request budget needs for every request planned: the burst at once,
        the rest at the rate it refills."""
        after_burst = max(0, self.requests - self.rate.burst)
        return timedelta(minutes=after_burst / self.rate.refill_per_minute)
