"""The circuit breaker over the source, as pure rules on its state.

The ENTSO-E platform goes down for days (maintenance pages, "404 page not found" for every
query). Requests that fail that way one after another, whichever dataset they ask for, mean
the source is unavailable, not that the chunks are wrong: the breaker opens, nothing is sent
while it is open except one probe now and then, and the first answer closes it again.

Whoever keeps the state (one process's memory, or a row every worker shares) applies the same
rules:

- closed while requests succeed; each outage-like failure counts, a success resets the count;
- ``threshold`` failures in a row open it; the source is unavailable since the first of them;
- while open, one probe is due every ``probe_seconds``, which doubles after each probe taken,
  from ``first_probe_seconds`` up to ``max_probe_seconds``;
- a success closes it and resets everything.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from entsoe_core.errors import ConfigurationError, IllegalTransition

__all__ = ["BreakerPolicy", "SourceChange", "SourceState"]


@attrs.frozen
class BreakerPolicy:
    """When the breaker opens, and how often it probes while open."""

    threshold: int = 3
    first_probe_seconds: float = 30.0
    max_probe_seconds: float = 1800.0

    def __attrs_post_init__(self) -> None:
        if self.threshold < 1:
            raise ConfigurationError(
                f"the breaker needs a threshold of at least 1 failure, got {self.threshold}"
            )
        if not 0 < self.first_probe_seconds <= self.max_probe_seconds:
            raise ConfigurationError(
                "the breaker needs 0 < first probe interval <= longest probe interval, got "
                f"{self.first_probe_seconds} s and {self.max_probe_seconds} s"
            )


@attrs.frozen
class SourceState:
    """The breaker's state: closed (``next_probe_at`` is ``None``) or open.

    ``failures`` counts outage-like failures since the last success, ``failing_since`` is the
    first of them (while open: since when the source is unavailable). ``probe_seconds`` is the
    interval that led to ``next_probe_at``.
    """

    failures: int = 0
    failing_since: datetime | None = None
    next_probe_at: datetime | None = None
    probe_seconds: float = 0.0
    last_failure: str | None = None
    last_failure_at: datetime | None = None
    last_success_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.next_probe_at is not None

    @property
    def is_clean(self) -> bool:
        """Closed with no failure counted: a success has nothing to change."""
        return self.failures == 0 and not self.is_open

    def probe_due(self, now: datetime) -> bool:
        return self.next_probe_at is not None and now >= self.next_probe_at

    def seconds_to_probe(self, now: datetime) -> float:
        """How long until the next probe is due (0 when closed or due)."""
        if self.next_probe_at is None:
            return 0.0
        return max((self.next_probe_at - now).total_seconds(), 0.0)

    def failed(self, policy: BreakerPolicy, reason: str, now: datetime) -> SourceState:
        """One more outage-like failure; the one that reaches the threshold opens it."""
        failures = self.failures + 1
        state = attrs.evolve(
            self,
            failures=failures,
            failing_since=self.failing_since or now,
            last_failure=reason,
            last_failure_at=now,
        )
        if self.is_open or failures < policy.threshold:
            return state
        first = policy.first_probe_seconds
        return attrs.evolve(
            state, next_probe_at=now + timedelta(seconds=first), probe_seconds=first
        )

    def succeeded(self, now: datetime) -> SourceState:
        """The source answered: closed, and nothing counted any more."""
        if self.is_clean:
            return self
        return SourceState(last_success_at=now)

    def probe_taken(self, policy: BreakerPolicy, now: datetime) -> SourceState:
        """The due probe is being sent: the next one is due after twice the interval (capped).

        Scheduling the next probe when this one is taken, rather than when it fails, means
        a worker that dies while probing delays the next probe, never stops probing.
        """
        if not self.probe_due(now):
            raise IllegalTransition("source breaker", self._describe(now), "probe taken")
        interval = min(self.probe_seconds * 2, policy.max_probe_seconds)
        return attrs.evolve(
            self, next_probe_at=now + timedelta(seconds=interval), probe_seconds=interval
        )

    def _describe(self, now: datetime) -> str:
        if self.next_probe_at is None:
            return "closed"
        return f"open, next probe in {self.seconds_to_probe(now):.0f} s"


@attrs.frozen
class SourceChange:
    """What recording one outcome did to the breaker: the state before and after it."""

    before: SourceState
    after: SourceState

    @property
    def opened(self) -> bool:
        return not self.before.is_open and self.after.is_open

    @property
    def closed(self) -> bool:
        return self.before.is_open and not self.after.is_open
