"""The request budget: a token bucket, as pure arithmetic on its state.

The promise: at most ``per_minute`` requests reach the API in any 60 seconds (a sliding
window, the burst included), since the API bans a token that goes past its limit, and the
limit is what the user configures (``ENTSOE_RATE_LIMIT_PER_MINUTE``).

A bucket of ``burst`` tokens refilled at ``r`` a second admits at most ``burst + r * w`` takes
in any window of ``w`` seconds: at most ``burst`` tokens are in it when the window opens, and
``r * w`` more come in while it lasts. A request reaches the API a little after its token was
taken (a transaction commits, the event loop gets round to sending it), so the requests that
arrive within 60 s were taken within ``60 + d`` s, ``d`` the longest such delay, and their count
is at most ``burst + r * (60 + d)``. The bucket therefore refills at
``per_minute - burst - SLACK`` a minute: with ``r`` that, the bound is
``per_minute - SLACK + r * d``: at most ``per_minute`` for a delay of up to ``SLACK`` token
intervals (``1 / r`` s each), and, a count of requests being a whole number, for any delay
under ``SLACK + 1`` of them when ``per_minute`` is whole: with ``SLACK = 1``, under 354 ms at
the default 350 a minute with a burst of 10 (the bucket refills 339 a minute). Each request of
slack more would cover another interval of delay and cost a request a minute; one kept eight
workers on two busy CPUs (benchmarks/bench_scale.py) at 349 in their busiest 60 s. The refill
is also what a taker that never stops gets, so in every 60 s after the first it is admitted at
least ``refill_per_minute - 1`` (one request may fall just outside the window's edge):
``(per_minute - burst - 2) / per_minute`` of the budget, 338/350 = 96.6% at the defaults, and
at least 95% whenever ``burst + 2 <= per_minute / 20``.

Whoever keeps the state (one process's memory, or a row every worker shares) applies the same
rules: the refill above, nothing while a ban is in force, and an empty bucket rather than a
burst after a ban.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from entsoe_core.errors import ConfigurationError

__all__ = ["SLACK", "Bucket", "RequestBudget"]

SLACK = 1
"""Requests a minute the refill keeps back for requests still on their way to the API."""

_SHORTEST_WAIT = 1e-3


@attrs.frozen
class RequestBudget:
    """How many requests may reach the API in any minute, and how many may go at once."""

    per_minute: float = 350
    burst: int = 10

    def __attrs_post_init__(self) -> None:
        if self.per_minute <= 0 or self.burst < 1:
            raise ConfigurationError(
                "rate limit needs per_minute > 0 and burst >= 1, "
                f"got {self.per_minute}, {self.burst}"
            )
        if self.per_minute <= self.burst + SLACK:
            raise ConfigurationError(
                f"a rate limit of {self.per_minute:g} a minute leaves no refill after a burst of "
                f"{self.burst} and {SLACK} request kept for requests on their way: per_minute "
                f"must be above burst + {SLACK} ({self.burst + SLACK}), so raise the rate or "
                "lower the burst"
            )

    @property
    def refill_per_minute(self) -> float:
        """What the bucket refills a minute: the most a taker that never stops is admitted."""
        return self.per_minute - self.burst - SLACK

    @property
    def refill_per_second(self) -> float:
        return self.refill_per_minute / 60.0

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
        tokens = min(float(budget.burst), self.tokens + elapsed * budget.refill_per_second)
        return attrs.evolve(self, tokens=tokens, refilled_at=now)

    def take(self, budget: RequestBudget, now: datetime) -> tuple[Bucket, float | None]:
        """Take a token: the new state, and ``None``; or the state and seconds to wait first."""
        if self.banned_until is not None and now < self.banned_until:
            return self, (self.banned_until - now).total_seconds()
        bucket = self.refilled(budget, now)
        if bucket.tokens >= 1.0:
            return attrs.evolve(bucket, tokens=bucket.tokens - 1.0), None
        return bucket, max((1.0 - bucket.tokens) / budget.refill_per_second, _SHORTEST_WAIT)

    def banned(self, budget: RequestBudget, now: datetime, until: datetime) -> Bucket:
        """Nothing until ``until`` (the later of two bans), then start from an empty bucket."""
        refilled = self.refilled(budget, now)
        return Bucket(
            tokens=0.0,
            refilled_at=max(refilled.refilled_at, until),
            banned_until=until if self.banned_until is None else max(self.banned_until, until),
        )
