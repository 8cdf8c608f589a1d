"""The scheduler on a fake clock: a day of schedules, restarts, competing schedulers."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta

import pytest

from adapters.cron import CronsimNextDue
from adapters.fakes import FakeClock
from adapters.memory.schedule import MemoryScheduleStore
from entsoe_core.datasets import DATASETS
from entsoe_core.errors import TransientStorageError
from entsoe_core.scheduling import (
    AFTER_DAY_AHEAD,
    DAILY,
    HOURLY,
    RoundState,
    Schedule,
    ScheduledRound,
    default_expression,
    schedules_for,
)
from entsoe_core.services.scheduler import RoundResult, Scheduler, SchedulerPolicy
from entsoe_core.timeline import utc

DAY = utc(2026, 3, 10)
SCHEDULES = (
    Schedule("day_ahead_prices", AFTER_DAY_AHEAD),
    Schedule("actual_total_load", HOURLY),
    Schedule("week_ahead_total_load_forecast", DAILY),
)
JITTER = timedelta(minutes=2)


class Recorder:
    """A round runner that records which round ran at what time."""

    def __init__(self, clock: FakeClock, name: str = "") -> None:
        self.clock = clock
        self.name = name
        self.ran: list[tuple[ScheduledRound, datetime]] = []

    async def __call__(self, scheduled: ScheduledRound) -> RoundResult:
        self.ran.append((scheduled, self.clock.now()))
        await self.clock.sleep(5)
        return RoundResult(note=f"ran by {self.name}")


def scheduler(
    store: MemoryScheduleStore, clock: FakeClock, runner: Recorder, seed: int = 1
) -> Scheduler:
    return Scheduler(
        store,
        clock,
        CronsimNextDue(),
        SCHEDULES,
        runner,
        policy=SchedulerPolicy(jitter=JITTER),
        rng=random.Random(seed),
    )


def expected_rounds(start: datetime, end: datetime) -> set[ScheduledRound]:
    cron = CronsimNextDue()
    rounds = set()
    for schedule in SCHEDULES:
        # What is due when it starts, caught up once; then every instant up to the end.
        due = cron.latest_until(schedule.expression, start)
        while due <= end:
            rounds.add(ScheduledRound(schedule.dataset, due))
            due = cron.next_after(schedule.expression, due)
    return rounds


def test_each_dataset_follows_its_publication() -> None:
    assert default_expression(DATASETS.get("day_ahead_prices")) == AFTER_DAY_AHEAD
    assert default_expression(DATASETS.get("wind_solar_forecast")) == AFTER_DAY_AHEAD
    assert default_expression(DATASETS.get("actual_total_load")) == HOURLY
    assert default_expression(DATASETS.get("wind_solar_forecast_intraday")) == HOURLY
    assert default_expression(DATASETS.get("week_ahead_total_load_forecast")) == DAILY
    assert default_expression(DATASETS.get("year_ahead_total_load_forecast")) == DAILY
    configured = schedules_for(
        ("actual_total_load", "day_ahead_prices"), {"day_ahead_prices": "0 13 * * *"}
    )
    assert configured == (
        Schedule("actual_total_load", HOURLY),
        Schedule("day_ahead_prices", "0 13 * * *"),
    )


async def test_a_day_runs_the_right_rounds_at_the_right_times() -> None:
    clock = FakeClock(DAY)
    store = MemoryScheduleStore()
    runner = Recorder(clock)
    end = DAY + timedelta(days=1)

    await scheduler(store, clock, runner).run(until=end)

    rounds = [scheduled for scheduled, _ in runner.ran]
    assert len(rounds) == len(set(rounds)), "no round twice"
    assert set(rounds) == expected_rounds(DAY, end - JITTER)
    hourly = [r.due_at for r in rounds if r.dataset == "actual_total_load"]
    assert hourly[1:] == [DAY + timedelta(hours=h, minutes=7) for h in range(24)][: len(hourly) - 1]
    prices = [r.due_at for r in rounds if r.dataset == "day_ahead_prices"]
    assert prices == [
        DAY - timedelta(hours=8) + timedelta(minutes=20),  # the day before's 16:20, caught up
        DAY + timedelta(hours=12, minutes=20),
        DAY + timedelta(hours=16, minutes=20),
    ]
    for scheduled, at in runner.ran:
        if scheduled.due_at >= DAY:
            # Run once due, within the jitter (and the few seconds earlier rounds took).
            assert scheduled.due_at <= at <= scheduled.due_at + JITTER + timedelta(seconds=30)
    assert all(r.state is RoundState.DONE for r in store.rounds.values())


async def test_a_restart_in_the_middle_reruns_nothing() -> None:
    clock = FakeClock(DAY)
    store = MemoryScheduleStore()
    first = Recorder(clock, "first")
    noon = DAY + timedelta(hours=12, minutes=30)
    await scheduler(store, clock, first).run(until=noon)

    # A new process on the same database, at once and later the same day.
    second = Recorder(clock, "second")
    await scheduler(store, clock, second, seed=2).run(until=DAY + timedelta(days=1))

    before = {scheduled for scheduled, _ in first.ran}
    after = {scheduled for scheduled, _ in second.ran}
    assert not before & after
    assert all(r.due_at > noon - JITTER - timedelta(minutes=30) for r in after)
    assert before | after == expected_rounds(DAY, DAY + timedelta(days=1) - JITTER)


async def test_a_round_cut_short_is_handed_back_and_run_again() -> None:
    clock = FakeClock(DAY + timedelta(hours=13))
    store = MemoryScheduleStore()
    started = asyncio.Event()

    async def stuck(scheduled: ScheduledRound) -> RoundResult:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("never ends")

    stopped = asyncio.ensure_future(
        Scheduler(store, clock, CronsimNextDue(), SCHEDULES[:1], stuck).tick()
    )
    await started.wait()
    stopped.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stopped
    assert store.rounds == {}

    again = Recorder(clock)
    await Scheduler(store, clock, CronsimNextDue(), SCHEDULES[:1], again).tick()
    assert [s for s, _ in again.ran] == [
        ScheduledRound("day_ahead_prices", DAY + timedelta(hours=12, minutes=20))
    ]


async def test_a_failed_round_is_recorded_and_the_others_go_on() -> None:
    clock = FakeClock(DAY + timedelta(hours=13))
    store = MemoryScheduleStore()
    ran: list[str] = []

    async def flaky(scheduled: ScheduledRound) -> RoundResult:
        ran.append(scheduled.dataset)
        if scheduled.dataset == "day_ahead_prices":
            raise RuntimeError("the database said no")
        return RoundResult("job-1", "job job-1 created")

    records = await Scheduler(store, clock, CronsimNextDue(), SCHEDULES, flaky).tick()

    assert ran == [s.dataset for s in SCHEDULES]
    states = {r.round.dataset: (r.state, r.note) for r in records}
    assert states["day_ahead_prices"] == (RoundState.FAILED, "RuntimeError: the database said no")
    assert states["actual_total_load"] == (RoundState.DONE, "job job-1 created")


async def test_a_round_whose_claimant_died_is_taken_over_after_its_lease() -> None:
    clock = FakeClock(DAY + timedelta(hours=13))
    store = MemoryScheduleStore()
    scheduled = ScheduledRound("day_ahead_prices", DAY + timedelta(hours=12, minutes=20))
    assert await store.claim(scheduled, "dead", clock.now(), timedelta(minutes=15))
    runner = Recorder(clock)
    late = Scheduler(
        store, clock, CronsimNextDue(), SCHEDULES[:1], runner, policy=SchedulerPolicy()
    )
    assert await late.tick() == []
    clock.advance(16 * 60)
    assert [r.round for r in await late.tick()] == [scheduled]
    assert await late.tick() == []
    assert [s for s, _ in runner.ran] == [scheduled]


async def test_overdue_names_the_dataset_furthest_behind() -> None:
    clock = FakeClock(DAY + timedelta(hours=18))
    store = MemoryScheduleStore()
    late = Scheduler(
        store,
        clock,
        CronsimNextDue(),
        SCHEDULES,
        Recorder(clock),
        policy=SchedulerPolicy(margin=timedelta(hours=1)),
    )
    overdue = await late.overdue()
    assert [o.dataset for o in overdue] == [
        "week_ahead_total_load_forecast",
        "day_ahead_prices",
        "actual_total_load",
    ]
    behind = await late.behind()
    assert behind is not None
    assert behind.dataset == "week_ahead_total_load_forecast"
    assert behind.late == timedelta(hours=11, minutes=20)
    await late.tick()
    assert await late.overdue() == []
    assert await late.behind() is None


async def test_a_lost_database_pauses_the_schedule_and_loses_no_round() -> None:
    clock = FakeClock(DAY + timedelta(hours=13))
    store = MemoryScheduleStore()
    lost = {"claims": 2}

    class Flaky(MemoryScheduleStore):
        async def claim(
            self, scheduled: ScheduledRound, owner: str, now: datetime, lease: timedelta
        ) -> bool:
            if lost["claims"]:
                lost["claims"] -= 1
                raise TransientStorageError("connection lost (scripted)")
            return await store.claim(scheduled, owner, now, lease)

    runner = Recorder(clock)
    await Scheduler(Flaky(), clock, CronsimNextDue(), SCHEDULES[:1], runner).run(
        until=DAY + timedelta(hours=14)
    )

    assert [s for s, _ in runner.ran] == [
        ScheduledRound("day_ahead_prices", DAY + timedelta(hours=12, minutes=20))
    ]
    assert clock.slept[:2] == [30.0, 30.0]
