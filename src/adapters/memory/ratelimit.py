"""The request budget in one process's memory: the in-memory twin of the SQL limiter."""

from __future__ import annotations

import asyncio
from datetime import datetime

from entsoe_core.budget import RequestBudget
from entsoe_core.ports import ClockPort

__all__ = ["MemoryRateLimiter"]


class MemoryRateLimiter:
    """Admits requests within a budget that only this process knows of.

    ``admitted`` and ``last_admitted_at`` describe its admissions. Waiters queue on a lock, so
    they are admitted in the order they asked.
    """

    def __init__(self, clock: ClockPort, per_minute: float = 350, burst: int = 10) -> None:
        self._budget = RequestBudget(per_minute, burst)
        self._clock = clock
        self._bucket = self._budget.full(clock.now())
        self._lock = asyncio.Lock()
        self.admitted = 0
        self.last_admitted_at: datetime | None = None

    @property
    def banned_until(self) -> datetime | None:
        return self._bucket.banned_until

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._clock.now()
                self._bucket, wait = self._bucket.take(self._budget, now)
                if wait is None:
                    self.admitted += 1
                    self.last_admitted_at = now
                    return
                await self._clock.sleep(wait)

    async def ban_until(self, until: datetime) -> None:
        self._bucket = self._bucket.banned(self._budget, self._clock.now(), until)
