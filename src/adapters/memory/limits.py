"""In-memory DatasetLimitsPort: the reference twin of the ``dataset_limits`` table."""

from __future__ import annotations

from adapters.memory.database import OverlayTable
from entsoe_core.limits import LearnedLimit, tighter


class MemoryDatasetLimits:
    """Learned limits in a dict keyed by dataset; a stored limit is only ever tightened."""

    def __init__(self, limits: OverlayTable[str, LearnedLimit]) -> None:
        self._limits = limits

    async def learned(self) -> dict[str, LearnedLimit]:
        return dict(self._limits.items())

    async def learn(self, limit: LearnedLimit) -> LearnedLimit:
        stored = self._limits.get(limit.dataset)
        if stored is not None and tighter(stored.span, limit.span) == stored.span:
            return stored
        self._limits[limit.dataset] = limit
        return limit
