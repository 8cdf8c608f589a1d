"""BackfillService: the life of a backfill job, from plan to run, resume and cancel.

Planning asks the store what is covered (through the read service); a job and the chunks of
its plan are persisted together; running is the chunk runner's (:mod:`.chunk_runner`), and what
a job looks like is the reports' (:mod:`.reports`).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping

from entsoe_core.areas import AreaKey
from entsoe_core.budget import RequestBudget
from entsoe_core.coverage import RecheckPolicy
from entsoe_core.errors import NothingToFetch
from entsoe_core.observer import RunObserverPort
from entsoe_core.plan import BackfillPlan, ChunkPolicy, ChunkSpan
from entsoe_core.ports import (
    ClockPort,
    MarketDataSourcePort,
    RateLimiterPort,
    SourceBreakerPort,
    UnitOfWorkFactory,
)
from entsoe_core.progress import BackfillJob, ChunkProgress, JobKind, JobStatus, new_id
from entsoe_core.services.chunk_runner import ChunkListener, ChunkRunner, RunLimits
from entsoe_core.services.plan_summary import PlanSummary
from entsoe_core.services.reads import ReadService
from entsoe_core.services.reports import JobReports
from entsoe_core.services.requests import BackfillRequest, JobReport
from entsoe_core.services.retry import RetryPolicy
from entsoe_core.timeline import IntervalSet, floor_to_day

__all__ = ["BackfillService", "ChunkListener", "RunLimits"]

log = logging.getLogger(__name__)


class BackfillService:
    """Backfill jobs: plan, create, run (or resume), activate for workers, cancel."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        source: MarketDataSourcePort,
        clock: ClockPort,
        limiter: RateLimiterPort,
        *,
        retry: RetryPolicy | None = None,
        limits: RunLimits | None = None,
        recheck: RecheckPolicy | None = None,
        max_years: int = 10,
        rng: random.Random | None = None,
        owner: str | None = None,
        breaker: SourceBreakerPort | None = None,
        observer: RunObserverPort | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.recheck = recheck or RecheckPolicy()
        self.max_years = max_years
        self._runner = ChunkRunner(
            uow,
            source,
            clock,
            limiter,
            retry=retry,
            limits=limits,
            recheck=self.recheck,
            rng=rng,
            owner=owner,
            breaker=breaker,
            observer=observer,
        )
        self._reads = ReadService(uow, clock, recheck=self.recheck)
        self.reports = JobReports(uow, clock, breaker)

    @property
    def owner(self) -> str:
        """Whose leases this service's runs hold."""
        return self._runner.owner

    async def plan(self, request: BackfillRequest) -> BackfillPlan:
        """The chunks that cover exactly what the request still misses."""
        reports = await self._reads.coverage(request)
        return BackfillPlan.build(
            {(r.dataset, r.area): r.gaps for r in reports}, await self.policy(request.span)
        )

    async def preview(self, request: BackfillRequest, *, rate: RequestBudget) -> PlanSummary:
        """What a backfill of the request would do, read without writing anything."""
        return PlanSummary.of(request, await self.plan(request), rate)

    async def policy(self, span: ChunkSpan | None) -> ChunkPolicy:
        """How chunks are cut now: the cap, every limit the source has taught so far, and
        apart from the days whose data may still change."""
        async with self._uow(reading=True) as uow:
            learned = await uow.limits.learned()
        return ChunkPolicy(
            span,
            {key: limit.span for key, limit in learned.items()},
            fresh_from=floor_to_day(self._clock.now() - self.recheck.data_settle),
        )

    async def create(
        self,
        request: BackfillRequest,
        *,
        kind: JobKind = JobKind.BACKFILL,
        gaps: Mapping[tuple[str, AreaKey], IntervalSet] | None = None,
        plan: BackfillPlan | None = None,
    ) -> BackfillJob:
        """Persist a job and the chunks of its plan (``plan``, as shown to the user, or made
        now from ``gaps`` or the store's coverage); nothing is fetched yet.

        A backfill with nothing to fetch raises :class:`NothingToFetch` and creates no job
        (an empty job would only say "completed" about work never done).
        """
        if plan is None:
            if gaps is None:
                plan = await self.plan(request)
            else:
                plan = BackfillPlan.build(gaps, await self.policy(request.span))
        if not plan.chunks and kind is JobKind.BACKFILL:
            raise NothingToFetch(len(request.targets()), str(request.period))
        now = self._clock.now()
        job = BackfillJob(
            id=new_id(),
            created_at=now,
            period=request.period,
            datasets=request.datasets,
            areas=tuple(str(a) for a in request.areas),
            span=request.span,
            kind=kind,
        )
        chunks = [
            ChunkProgress(f"{job.id}-{index:06d}", job.id, chunk, updated_at=now)
            for index, chunk in enumerate(plan)
        ]
        async with self._uow() as uow:
            await uow.progress.add_job(job, chunks)
            await uow.commit()
        log.info("created job %s with %d chunks", job.id, len(chunks))
        return job

    async def start(
        self, request: BackfillRequest, on_chunk: ChunkListener | None = None
    ) -> JobReport:
        """Create a job for the request and run it to the end."""
        job = await self.create(request)
        return await self.run(job.id, on_chunk)

    async def run(self, job_id: str, on_chunk: ChunkListener | None = None) -> JobReport:
        """Run every chunk of a job that is not done, failed ones included (resume)."""
        await self._runner.persist(self._activate, job_id)
        await self._runner.run_chunks(job_id, on_chunk)
        return await self._runner.persist(self.status, job_id)

    resume = run

    async def activate(self, job_id: str) -> JobReport:
        """Make a job runnable (failed chunks back to pending) without running it here."""
        await self._activate(job_id)
        return await self.status(job_id)

    async def _activate(self, job_id: str) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            job = await uow.progress.get_job(job_id)
            if not job.check_resumable():
                return
            await uow.progress.retry_failed(job_id, now)
            if job.status is not JobStatus.IN_PROGRESS:
                job = await uow.progress.save_job(job.to(JobStatus.IN_PROGRESS, now))
            await self._runner.settle(uow, job)
            await uow.commit()

    async def cancel(self, job_id: str) -> JobReport:
        """Cancel a job: its pending and failed chunks are cancelled, none are claimed again.

        A chunk already in flight finishes and commits its data; nothing is lost.
        """
        now = self._clock.now()
        async with self._uow() as uow:
            job = await uow.progress.get_job(job_id)
            cancelled = job.to(JobStatus.CANCELLED, now)
            await uow.progress.cancel_waiting(job_id, now)
            await uow.progress.save_job(cancelled)
            await uow.commit()
        return await self.status(job_id)

    async def work(
        self,
        *,
        follow: bool = False,
        on_chunk: ChunkListener | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        """Worker mode: run chunks of every in-progress job until none is left.

        With ``follow``, keep polling for new work until ``stop`` is set.
        """
        await self._runner.run_chunks(None, on_chunk, follow=follow, stop=stop)

    async def status(self, job_id: str) -> JobReport:
        return await self.reports.status(job_id)
