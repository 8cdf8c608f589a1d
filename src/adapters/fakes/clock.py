"""A clock whose sleep advances time instantly, so waits cost microseconds in tests."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from entsoe_core.timeline import ensure_utc


class FakeClock:
    """Starts at a given UTC instant; ``sleep`` moves it forward and yields to the loop."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_utc(start)
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if seconds > 0:
            self._now += timedelta(seconds=seconds)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
