"""The token bucket that admits every request to the source."""

from __future__ import annotations

import asyncio
from datetime import datetime

from entsoe_core.errors import ConfigurationError
from entsoe_core.ports import ClockPort


class TokenBucket:
    """At most ``burst + per_minute * w / 60`` requests in any window of ``w`` seconds.

    With the defaults (350 a minute, bursts of 10) no minute ever sees more than 360
    requests, safely under the API's 400. While a ban is in force nothing is admitted.
    """

    def __init__(self, clock: ClockPort, per_minute: float = 350, burst: int = 10) -> None:
        if per_minute <= 0 or burst < 1:
            raise ConfigurationError(
                f"rate limit needs per_minute > 0 and burst >= 1, got {per_minute}, {burst}"
            )
        self._clock = clock
        self._rate = per_minute / 60.0
        self._capacity = float(burst)
        self._tokens = float(burst)
        self._stamp = clock.now()
        self._banned_until: datetime | None = None
        self._lock = asyncio.Lock()
        self.admitted = 0

    @property
    def banned_until(self) -> datetime | None:
        return self._banned_until

    def _refill(self, now: datetime) -> None:
        elapsed = (now - self._stamp).total_seconds()
        if elapsed > 0:
            self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)
            self._stamp = now

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._clock.now()
                if self._banned_until is not None and now < self._banned_until:
                    await self._clock.sleep((self._banned_until - now).total_seconds())
                    continue
                self._refill(now)
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    self.admitted += 1
                    return
                await self._clock.sleep(max((1.0 - self._tokens) / self._rate, 1e-3))

    async def ban_until(self, until: datetime) -> None:
        if self._banned_until is None or until > self._banned_until:
            self._banned_until = until
        # After a ban, start again from an empty bucket rather than a burst.
        self._refill(self._clock.now())
        self._tokens = 0.0
        self._stamp = max(self._stamp, until)
