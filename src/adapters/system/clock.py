"""The system clock: wall time in UTC and real sleeping."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime


class SystemClock:
    """ClockPort on the machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))
