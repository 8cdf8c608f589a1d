"""The real clock."""

from adapters.system.clock import SystemClock

__all__ = ["SystemClock"]
