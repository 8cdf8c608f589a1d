"""Exponential backoff with full jitter."""

from __future__ import annotations

import random

import attrs

from entsoe_core.errors import ConfigurationError


def _positive(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value <= 0:
        raise ConfigurationError(f"{attribute.name} must be positive, got {value}")


@attrs.frozen
class RetryPolicy:
    """Up to ``attempts`` tries per chunk per run; waits drawn from [0, base * 2^n], capped.

    A lost database connection is tried again with the same waits for up to
    ``storage_outage_seconds`` before the run gives up.
    """

    attempts: int = attrs.field(default=5, validator=attrs.validators.in_(range(1, 101)))
    base_seconds: float = attrs.field(default=1.0, validator=_positive)
    max_seconds: float = attrs.field(default=60.0, validator=_positive)
    max_rate_limit_waits: int = 20
    storage_outage_seconds: float = attrs.field(default=120.0, validator=_positive)

    def delay(self, failed_attempts: int, rng: random.Random) -> float:
        """How long to wait after the ``failed_attempts``-th failure (1-based)."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** (failed_attempts - 1))
        return rng.uniform(0.0, ceiling)
