"""Schedulers sharing a real database: each round runs once, a restart reruns nothing.

Each scheduler has an engine of its own, as separate `entsoe run` processes would, and a fake
clock, so that a day of schedules takes a moment.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.cron import CronsimNextDue
from adapters.fakes import FakeClock
from adapters.sqlalchemy import upgrade
from adapters.sqlalchemy.schedule import SqlScheduleStore
from entsoe_core.scheduling import AFTER_DAY_AHEAD, HOURLY, RoundState, Schedule, ScheduledRound
from entsoe_core.services.scheduler import RoundResult, RoundRunner, Scheduler, SchedulerPolicy
from entsoe_core.timeline import utc
from tests.integration.databases import open_engine, sqlite_url

DAY = utc(2026, 3, 10)
SCHEDULES = (
    Schedule("day_ahead_prices", AFTER_DAY_AHEAD),
    Schedule("actual_total_load", HOURLY),
    Schedule("imbalance_prices", "*/20 * * * *"),
)
SCHEDULERS = 3


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def engines(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[list[AsyncEngine]]:
    url = (
        sqlite_url(tmp_path)
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    await upgrade(url)
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(open_engine(url)) for _ in range(SCHEDULERS)]


class Ran:
    """Every round any scheduler ran, and which one ran it."""

    def __init__(self) -> None:
        self.rounds: list[tuple[ScheduledRound, int]] = []

    def runner(self, index: int, clock: FakeClock) -> RoundRunner:
        async def run(scheduled: ScheduledRound) -> RoundResult:
            self.rounds.append((scheduled, index))
            await clock.sleep(3)
            return RoundResult(note=f"scheduler {index}")

        return run


def expected(start_round: bool, until: timedelta) -> set[ScheduledRound]:
    cron = CronsimNextDue()
    rounds = set()
    for schedule in SCHEDULES:
        due = cron.latest_until(schedule.expression, DAY)
        while due <= DAY + until:
            rounds.add(ScheduledRound(schedule.dataset, due))
            due = cron.next_after(schedule.expression, due)
    return rounds if start_round else {r for r in rounds if r.due_at >= DAY}


async def test_schedulers_on_one_database_run_each_round_once(
    engines: list[AsyncEngine],
) -> None:
    ran = Ran()
    jitter = timedelta(minutes=1)
    schedulers = []
    for index, engine in enumerate(engines):
        clock = FakeClock(DAY)
        schedulers.append(
            Scheduler(
                SqlScheduleStore(engine),
                clock,
                CronsimNextDue(),
                SCHEDULES,
                ran.runner(index, clock),
                # Each fake clock runs on its own and may get hours ahead of the others, which
                # real clocks do not: a lease longer than the day keeps a running round from
                # looking abandoned (taking over is the contract suite's to test).
                policy=SchedulerPolicy(jitter=jitter, lease=timedelta(days=2)),
                rng=random.Random(index),
            )
        )
    day = timedelta(hours=24)

    await asyncio.gather(*(s.run(until=DAY + day) for s in schedulers))

    rounds = [scheduled for scheduled, _ in ran.rounds]
    assert len(rounds) == len(set(rounds)), "a round ran twice"
    assert set(rounds) == expected(True, day - jitter)
    latest = await SqlScheduleStore(engines[0]).latest()
    assert {d: r.state for d, r in latest.items()} == dict.fromkeys(
        (s.dataset for s in SCHEDULES), RoundState.DONE
    )


async def test_a_restarted_scheduler_reruns_nothing(engines: list[AsyncEngine]) -> None:
    ran = Ran()
    clock = FakeClock(DAY)
    store = SqlScheduleStore(engines[0])
    first = Scheduler(store, clock, CronsimNextDue(), SCHEDULES, ran.runner(0, clock))
    assert [r.round.dataset for r in await first.tick()] == [s.dataset for s in SCHEDULES]
    await first.run(until=DAY + timedelta(hours=13))
    # Killed and started again, a little later, on another connection.
    clock.advance(90)
    again = Scheduler(
        SqlScheduleStore(engines[1]), clock, CronsimNextDue(), SCHEDULES, ran.runner(1, clock)
    )

    assert await again.tick() == []
    await again.run(until=DAY + timedelta(hours=18))

    rounds = [scheduled for scheduled, _ in ran.rounds]
    assert len(rounds) == len(set(rounds)), "a round ran twice"
    # The second takes up where the first stopped: the rounds due since, nothing before.
    first_ran = [scheduled for scheduled, index in ran.rounds if index == 0]
    second = [scheduled for scheduled, index in ran.rounds if index == 1]
    assert max(r.due_at for r in first_ran) < min(r.due_at for r in second)
    assert set(rounds) == expected(True, timedelta(hours=18) - SchedulerPolicy().jitter)
