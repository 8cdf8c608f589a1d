"""Schedules: when each dataset is brought up to date, and the rounds that do it.

A :class:`Schedule` ties a dataset to a cron expression. Each instant the expression names is
one :class:`ScheduledRound` of that dataset, identified by the dataset and that instant (not by
when a process happened to wake for it, which jitter moves), so that every process on one
database agrees on which round is which. A round is recorded when it is claimed
(:class:`RoundRecord`): a claimed round is never run again, by this process after a restart or
by any other.

The core does not read cron expressions: :class:`NextDuePort` does, in an adapter.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Protocol

import attrs

from entsoe_core.datasets import DATASETS, Dataset

__all__ = [
    "NextDuePort",
    "RoundRecord",
    "RoundState",
    "Schedule",
    "ScheduleStorePort",
    "ScheduledRound",
    "default_expression",
    "schedules_for",
]

HOURLY = "7 * * * *"
"""Actuals and intraday data: published through the day, looked for every hour."""
AFTER_DAY_AHEAD = "20 12,16 * * *"
"""Day-ahead data: the auction's results come out about 12:45 CET (10:45 or 11:45 UTC) and the
day-ahead forecasts before; 12:20 UTC is after both, 16:20 catches late publications."""
DAILY = "40 6 * * *"
"""Week-, month- and year-ahead data: published at most once a day."""


def default_expression(dataset: Dataset) -> str:
    """The cron expression (UTC) that follows the dataset's publication."""
    horizon = dataset.publication_horizon
    if horizon <= timedelta(days=1):
        return HOURLY
    if horizon <= timedelta(days=2):
        return AFTER_DAY_AHEAD
    return DAILY


@attrs.frozen
class Schedule:
    """When ``dataset`` is brought up to date: at each instant of ``expression`` (UTC)."""

    dataset: str
    expression: str


def schedules_for(datasets: tuple[str, ...], overrides: Mapping[str, str]) -> tuple[Schedule, ...]:
    """One schedule per dataset: the configured expression, or the one its publication gives."""
    return tuple(
        Schedule(key, overrides.get(key) or default_expression(DATASETS.get(key)))
        for key in datasets
    )


@attrs.frozen
class ScheduledRound:
    """One round of one dataset: the instant its schedule names."""

    dataset: str
    due_at: datetime


class RoundState(enum.Enum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@attrs.frozen
class RoundRecord:
    """A claimed round: who claimed it, until when, and how it ended."""

    round: ScheduledRound
    state: RoundState
    owner: str
    started_at: datetime
    lease_expires_at: datetime
    finished_at: datetime | None = None
    job_id: str | None = None
    note: str = ""


class NextDuePort(Protocol):
    """Reads cron expressions (UTC); raises ``ValueError`` naming a bad one."""

    def next_after(self, expression: str, after: datetime) -> datetime:
        """The first instant of ``expression`` strictly after ``after``."""
        ...

    def latest_until(self, expression: str, until: datetime) -> datetime:
        """The last instant of ``expression`` at or before ``until``."""
        ...


class ScheduleStorePort(Protocol):
    """The rounds claimed, shared by every scheduler on one database. Each call is a short
    transaction of its own, outside any unit of work."""

    async def claim(
        self, scheduled: ScheduledRound, owner: str, now: datetime, lease: timedelta
    ) -> bool:
        """Record ``scheduled`` as running for ``owner``; ``False`` when it was claimed before
        (done, failed, or running under a lease that has not expired). Of any number of callers
        at once, one wins."""
        ...

    async def finish(self, record: RoundRecord) -> None:
        """Store how the round of ``record`` ended (its owner's claim)."""
        ...

    async def release(self, scheduled: ScheduledRound, owner: str) -> None:
        """Hand back a round interrupted before it ended: it may be claimed again at once."""
        ...

    async def latest(self) -> dict[str, RoundRecord]:
        """Each dataset's latest claimed round."""
        ...
