"""The circuit breaker over the source in one process's memory: the twin of the SQL one."""

from __future__ import annotations

from entsoe_core.breaker import BreakerPolicy, SourceChange, SourceState
from entsoe_core.ports import ClockPort

__all__ = ["MemorySourceBreaker"]


class MemorySourceBreaker:
    """Keeps the breaker's state for the lanes of one process.

    ``state`` is the state as it stands; ``writes`` counts the changes stored, so tests can
    tell that a success on a clean state changed nothing.
    """

    def __init__(self, clock: ClockPort, policy: BreakerPolicy | None = None) -> None:
        self._clock = clock
        self._policy = policy or BreakerPolicy()
        self.state = SourceState()
        self.writes = 0

    async def read(self) -> SourceState:
        return self.state

    async def record_failure(self, reason: str) -> SourceChange:
        return self._store(self.state.failed(self._policy, reason, self._clock.now()))

    async def record_success(self) -> SourceChange:
        return self._store(self.state.succeeded(self._clock.now()))

    async def take_probe(self) -> bool:
        now = self._clock.now()
        if not self.state.probe_due(now):
            return False
        self._store(self.state.probe_taken(self._policy, now))
        return True

    def _store(self, after: SourceState) -> SourceChange:
        change = SourceChange(self.state, after)
        if after != self.state:
            self.state = after
            self.writes += 1
        return change
