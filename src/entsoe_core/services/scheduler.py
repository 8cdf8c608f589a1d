"""The scheduler: runs each dataset's rounds when its schedule says, once across all processes.

At each wake it takes, for every schedule, the latest instant its expression names at or before
now (a round missed while nothing ran is caught up once, not once per instant missed) and claims
that round in the :class:`ScheduleStorePort`. Only the claimant runs it, so a restarted process
does not run again what just ran, and of several schedulers on one database exactly one runs each
round. Then it sleeps until the next instant any schedule names, plus a random jitter, so that
processes (and installations) do not all knock at the same second.

What a round does is given (:data:`RoundRunner`): :class:`GapFillRounds` creates the gap-fill
job of its dataset, which the workers (the same process's among them) run.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

import attrs

from entsoe_core.errors import TransientStorageError
from entsoe_core.ports import ClockPort, UnitOfWorkFactory
from entsoe_core.progress import JobKind, JobStatus
from entsoe_core.scheduling import (
    NextDuePort,
    RoundRecord,
    RoundState,
    Schedule,
    ScheduledRound,
    ScheduleStorePort,
)
from entsoe_core.services.backfill import BackfillService
from entsoe_core.services.chunk_runner import default_owner
from entsoe_core.services.gapfill import GapFillService

__all__ = [
    "GapFillRounds",
    "Overdue",
    "RoundResult",
    "RoundRunner",
    "Scheduler",
    "SchedulerPolicy",
]

log = logging.getLogger(__name__)

_STORAGE_PAUSE_SECONDS = 30.0


@attrs.frozen
class SchedulerPolicy:
    """How the scheduler times its rounds."""

    jitter: timedelta = timedelta(minutes=2)
    """Each wake is delayed by a random part of this."""
    lease: timedelta = timedelta(minutes=15)
    """How long a claimed round is its claimant's; a round whose claimant died is free again
    after it."""
    margin: timedelta = timedelta(hours=1)
    """How late a round may be before the scheduler counts as fallen behind."""


@attrs.frozen
class RoundResult:
    """What a round did: the job it created, if any, and a word on it."""

    job_id: str | None = None
    note: str = ""


RoundRunner = Callable[[ScheduledRound], Awaitable[RoundResult]]


@attrs.frozen
class Overdue:
    """A dataset whose latest due round nobody has claimed yet."""

    dataset: str
    due_at: datetime
    late: timedelta


class Scheduler:
    """Runs each schedule's rounds, each round once, whoever else runs them too."""

    def __init__(
        self,
        store: ScheduleStorePort,
        clock: ClockPort,
        cron: NextDuePort,
        schedules: Sequence[Schedule],
        run_round: RoundRunner,
        *,
        policy: SchedulerPolicy | None = None,
        owner: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._cron = cron
        self.schedules = tuple(schedules)
        self._run_round = run_round
        self.policy = policy or SchedulerPolicy()
        self.owner = owner or default_owner()
        self._rng = rng or random.Random()
        # The latest round of each dataset this process ran: it is not asked for again. A
        # round claimed by another is asked for at each wake, so that it is taken over once
        # its claimant's lease expires (the claimant died).
        self._ran: dict[str, datetime] = {}

    def due(self, schedule: Schedule, now: datetime) -> ScheduledRound:
        """The schedule's latest round at or before ``now``."""
        return ScheduledRound(schedule.dataset, self._cron.latest_until(schedule.expression, now))

    def next_wake(self, now: datetime) -> datetime:
        """The next instant any schedule names, without jitter."""
        return min(self._cron.next_after(s.expression, now) for s in self.schedules)

    async def tick(self) -> list[RoundRecord]:
        """Run every due round that nobody has claimed; the rounds run here, as they ended."""
        ran: list[RoundRecord] = []
        for schedule in self.schedules:
            scheduled = self.due(schedule, self._clock.now())
            if self._ran.get(schedule.dataset) == scheduled.due_at:
                continue
            if await self._store.claim(scheduled, self.owner, self._clock.now(), self.policy.lease):
                self._ran[schedule.dataset] = scheduled.due_at
                ran.append(await self._run(scheduled))
        return ran

    async def run(self, until: datetime | None = None) -> None:
        """Tick, sleep until the next round (plus jitter), and again; until cancelled, or until
        the next wake would be after ``until``."""
        while True:
            try:
                await self.tick()
            except TransientStorageError as error:
                # The database is out of reach: the rounds are still due when it is back.
                log.warning("scheduler: %s; trying again in %.0f s", error, _STORAGE_PAUSE_SECONDS)
                await self._clock.sleep(_STORAGE_PAUSE_SECONDS)
                continue
            now = self._clock.now()
            jitter = self._rng.uniform(0.0, self.policy.jitter.total_seconds())
            wake = self.next_wake(now) + timedelta(seconds=jitter)
            if until is not None and wake > until:
                return
            await self._clock.sleep((wake - now).total_seconds())

    async def overdue(self) -> list[Overdue]:
        """Datasets whose latest due round is not claimed yet, the latest first."""
        now = self._clock.now()
        latest = await self._store.latest()
        found = []
        for schedule in self.schedules:
            scheduled = self.due(schedule, now)
            record = latest.get(schedule.dataset)
            if record is not None and record.round.due_at >= scheduled.due_at:
                continue
            found.append(Overdue(schedule.dataset, scheduled.due_at, now - scheduled.due_at))
        return sorted(found, key=lambda o: o.late, reverse=True)

    async def behind(self) -> Overdue | None:
        """The most overdue dataset, when it is later than the policy's margin."""
        overdue = await self.overdue()
        if overdue and overdue[0].late > self.policy.margin:
            return overdue[0]
        return None

    async def _run(self, scheduled: ScheduledRound) -> RoundRecord:
        started = self._clock.now()
        record = RoundRecord(
            scheduled, RoundState.RUNNING, self.owner, started, started + self.policy.lease
        )
        log.info(
            "round %s %s started",
            scheduled.dataset,
            f"{scheduled.due_at:%Y-%m-%dT%H:%M:%SZ}",
            extra={"dataset": scheduled.dataset, "outcome": "started"},
        )
        try:
            result = await self._run_round(scheduled)
        except asyncio.CancelledError:
            # Stopped before the round ended: it is handed back, to run again at once.
            await asyncio.shield(self._store.release(scheduled, self.owner))
            log.info(
                "round %s %s handed back",
                scheduled.dataset,
                f"{scheduled.due_at:%Y-%m-%dT%H:%M:%SZ}",
                extra={"dataset": scheduled.dataset, "outcome": "handed_back"},
            )
            raise
        except Exception as error:
            # A round that fails is recorded and the schedule goes on: the next round tries
            # again, and the other datasets' rounds are not held up.
            ended = attrs.evolve(
                record,
                state=RoundState.FAILED,
                finished_at=self._clock.now(),
                note=f"{type(error).__name__}: {error}",
            )
        else:
            ended = attrs.evolve(
                record,
                state=RoundState.DONE,
                finished_at=self._clock.now(),
                job_id=result.job_id,
                note=result.note,
            )
        await self._store.finish(ended)
        log.info(
            "round %s %s %s%s",
            scheduled.dataset,
            f"{scheduled.due_at:%Y-%m-%dT%H:%M:%SZ}",
            ended.state.value,
            f": {ended.note}" if ended.note else "",
            extra={"dataset": scheduled.dataset, "job": ended.job_id, "outcome": ended.state.value},
        )
        return ended


class GapFillRounds:
    """A round that brings its dataset up to date: the gap-fill job of the dataset's gaps,
    activated for the workers. While an earlier gap-fill job of the dataset is still running,
    the round leaves it to finish rather than ask for the same gaps twice."""

    def __init__(
        self, gap_fill: GapFillService, backfill: BackfillService, uow: UnitOfWorkFactory
    ) -> None:
        self._gap_fill = gap_fill
        self._backfill = backfill
        self._uow = uow

    async def __call__(self, scheduled: ScheduledRound) -> RoundResult:
        async with self._uow(reading=True) as uow:
            active = await uow.progress.list_jobs((JobStatus.PENDING, JobStatus.IN_PROGRESS))
        for running in active:
            if running.kind is JobKind.GAP_FILL and scheduled.dataset in running.datasets:
                # A job left pending (its round stopped before activating it) is taken up.
                await self._backfill.activate(running.id)
                return RoundResult(running.id, f"job {running.id} is still filling its gaps")
        job = await self._gap_fill.create_job(datasets=(scheduled.dataset,))
        if job is None:
            return RoundResult(note="nothing missing")
        await self._backfill.activate(job.id)
        return RoundResult(job.id, f"job {job.id} created")
