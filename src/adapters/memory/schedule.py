"""The scheduler's rounds in one process's memory: the twin of the SQL store."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from entsoe_core.scheduling import RoundRecord, RoundState, ScheduledRound

__all__ = ["MemoryScheduleStore"]


class MemoryScheduleStore:
    """Claimed rounds by (dataset, instant); ``rounds`` is there for tests to read."""

    def __init__(self) -> None:
        self.rounds: dict[ScheduledRound, RoundRecord] = {}

    async def claim(
        self, scheduled: ScheduledRound, owner: str, now: datetime, lease: timedelta
    ) -> bool:
        found = self.rounds.get(scheduled)
        if found is not None and not (
            found.state is RoundState.RUNNING and found.lease_expires_at < now
        ):
            return False
        self.rounds[scheduled] = RoundRecord(scheduled, RoundState.RUNNING, owner, now, now + lease)
        return True

    async def finish(self, record: RoundRecord) -> None:
        found = self.rounds.get(record.round)
        if found is not None and found.owner == record.owner:
            self.rounds[record.round] = attrs.evolve(
                record, lease_expires_at=found.lease_expires_at
            )

    async def release(self, scheduled: ScheduledRound, owner: str) -> None:
        found = self.rounds.get(scheduled)
        if found is not None and found.owner == owner and found.state is RoundState.RUNNING:
            del self.rounds[scheduled]

    async def latest(self) -> dict[str, RoundRecord]:
        newest: dict[str, RoundRecord] = {}
        for scheduled, record in self.rounds.items():
            known = newest.get(scheduled.dataset)
            if known is None or known.round.due_at < scheduled.due_at:
                newest[scheduled.dataset] = record
        return newest
