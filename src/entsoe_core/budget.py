"""The request budget: a token bucket, as pure arithmetic on its state.

Whoever keeps the state (one process's memory, or a row every worker shares) applies the same
rules: at most ``burst + per_minute * w / 60`` requests in any window of ``w`` seconds, nothing
while a ban is in force, and an empty bucket rather than a burst after a ban.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from entsoe_core.errors import ConfigurationError

__all__ = ["Bucket", "RequestBudget"]

_SHORTEST_WAIT = 1e-3


@attrs.frozen
class RequestBudget:
    """How many requests a minute, and how many may go at once."""

    per_minute: float = 350
    burst: int = 10

    def __attrs_post_init__(self) -> None:
        if self.per_minute <= 0 or self.burst < 1:
            raise ConfigurationError(
                "rate limit needs per_minute > 0 and burst >= 1, "
                f"got {self.per_minute}, {self.burst}"
            )

    @property
    def per_second(self) -> float:
        return self.per_minute / 60.0

    def full(self, now: datetime) -> Bucket:
        """A bucket that may send a whole burst at once."""
        return Bucket(float(self.burst), now, None)


@attrs.frozen
class Bucket:
    """The state of a budget: tokens left, when they were last refilled, a ban in force."""

    tokens: float
    refilled_at: datetime
    banned_until: datetime | None = None

    def refilled(self, budget: RequestBudget, now: datetime) -> Bucket:
        elapsed = (now - self.refilled_at).total_seconds()
        if elapsed <= 0:
            return self
        tokens = min(float(budget.burst), self.tokens + elapsed * budget.per_second)
        return attrs.evolve(self, tokens=tokens, refilled_at=now)

    def take(self, budget: RequestBudget, now: datetime) -> tuple[Bucket, float | None]:
        """Take a token: the new state, and ``None``; or the state and seconds to wait first."""
        if self.banned_until is not None and now < self.banned_until:
            return self, (self.banned_until - now).total_seconds()
        bucket = self.refilled(budget, now)
        if bucket.tokens >= 1.0:
            return attrs.evolve(bucket, tokens=bucket.tokens - 1.0), None
        return bucket, max((1.0 - bucket.tokens) / budget.per_second, _SHORTEST_WAIT)

    def banned(self, budget: RequestBudget, now: datetime, until: datetime) -> Bucket:
        """Nothing until ``until`` (the later of two bans), then start from an empty bucket."""
        refilled = self.refilled(budget, now)
        return Bucket(
            tokens=0.0,
            refilled_at=max(refilled.refilled_at, until),
            banned_until=until if self.banned_until is None else max(self.banned_until, until),
        )
