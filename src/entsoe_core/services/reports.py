"""Reports on jobs: counters, time and the last error, read without writing anything.

A job's status follows from its chunks (a lease that ran out leaves nobody running it, the
last chunk done completes it). The runner stores that status as it goes; a report shows it as
the chunks give it right now, whether or not it has been stored yet, and stores nothing.
"""

from __future__ import annotations

from collections.abc import Collection

import attrs

from entsoe_core.breaker import SourceState
from entsoe_core.ports import AbstractUnitOfWork, ClockPort, SourceBreakerPort, UnitOfWorkFactory
from entsoe_core.progress import BackfillJob, JobStatus
from entsoe_core.services.outage import OutageGuard
from entsoe_core.services.requests import JobReport

__all__ = ["JOBS_LISTED", "JobListing", "JobReports"]

JOBS_LISTED = 100
"""How many jobs a listing holds unless asked for another number: a scheduler adds thousands a
year, and each listed job is a report of its own."""


@attrs.frozen
class JobListing:
    """The newest jobs, as many as were asked for, and how many there are in all."""

    jobs: list[JobReport]
    total: int

    @property
    def more(self) -> int:
        """How many older jobs the listing leaves out."""
        return self.total - len(self.jobs)


class JobReports:
    """Reports of one job, or of every job, each read in one reading unit of work."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: ClockPort, breaker: SourceBreakerPort | None = None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._outage = OutageGuard(breaker, clock)

    async def outage(self) -> SourceState | None:
        """The breaker's state while the source is unavailable; ``None`` while it is not."""
        return await self._outage.outage()

    async def status(self, job_id: str) -> JobReport:
        outage = await self.outage()
        async with self._uow(reading=True) as uow:
            return await self._report(uow, await uow.progress.get_job(job_id), outage)

    async def list_jobs(
        self, statuses: Collection[JobStatus] | None = None, *, limit: int | None = None
    ) -> list[JobReport]:
        """Jobs newest first, with stored status among ``statuses`` (every job without); with
        ``limit``, the newest ``limit`` of them."""
        outage = await self.outage()
        async with self._uow(reading=True) as uow:
            return await self._reports(uow, statuses, limit, outage)

    async def listing(self, statuses: Collection[JobStatus] | None, limit: int) -> JobListing:
        """The newest ``limit`` jobs (of those with stored status among ``statuses``), and
        how many there are in all, read together."""
        outage = await self.outage()
        async with self._uow(reading=True) as uow:
            jobs = await self._reports(uow, statuses, limit, outage)
            counted = await uow.progress.job_counts()
        chosen = counted.keys() if statuses is None else statuses
        return JobListing(jobs, sum(counted[status] for status in chosen))

    async def _reports(
        self,
        uow: AbstractUnitOfWork,
        statuses: Collection[JobStatus] | None,
        limit: int | None,
        outage: SourceState | None,
    ) -> list[JobReport]:
        return [
            await self._report(uow, job, outage)
            for job in await uow.progress.list_jobs(statuses, limit=limit)
        ]

    async def list_active(self) -> list[JobReport]:
        return await self.list_jobs((JobStatus.IN_PROGRESS,))

    async def list_resumable(self) -> list[JobReport]:
        """Jobs with chunks left to run and nobody running them, or that ended failed."""
        candidates = await self.list_jobs(
            (JobStatus.PENDING, JobStatus.IN_PROGRESS, JobStatus.FAILED)
        )
        return [r for r in candidates if not r.running]

    async def _report(
        self, uow: AbstractUnitOfWork, job: BackfillJob, outage: SourceState | None
    ) -> JobReport:
        now = self._clock.now()
        counts = await uow.progress.counts(job.id, now)
        settled = job.settle(counts, now)
        # Only a job with chunks still to run waits for the source.
        waiting = settled.status in (JobStatus.PENDING, JobStatus.IN_PROGRESS)
        learned = await uow.limits.learned()
        return JobReport(
            settled,
            counts,
            await uow.progress.last_error(job.id),
            now,
            outage=outage if waiting else None,
            limits=tuple(learned[key] for key in job.datasets if key in learned),
        )
