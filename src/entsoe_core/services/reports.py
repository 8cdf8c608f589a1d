"""Reports on jobs: counters, time and the last error, read without writing anything.

A job's status follows from its chunks (a lease that ran out leaves nobody running it, the
last chunk done completes it). The runner stores that status as it goes; a report shows it as
the chunks give it right now, whether or not it has been stored yet, and stores nothing.
"""

from __future__ import annotations

from collections.abc import Collection

from entsoe_core.ports import AbstractUnitOfWork, ClockPort, UnitOfWorkFactory
from entsoe_core.progress import BackfillJob, JobStatus
from entsoe_core.services.requests import JobReport

__all__ = ["JobReports"]


class JobReports:
    """Reports of one job, or of every job, each read in one reading unit of work."""

    def __init__(self, uow: UnitOfWorkFactory, clock: ClockPort) -> None:
        self._uow = uow
        self._clock = clock

    async def status(self, job_id: str) -> JobReport:
        async with self._uow(reading=True) as uow:
            return await self._report(uow, await uow.progress.get_job(job_id))

    async def list_jobs(self, statuses: Collection[JobStatus] | None = None) -> list[JobReport]:
        """Jobs newest first, with stored status among ``statuses`` (every job without)."""
        async with self._uow(reading=True) as uow:
            return [await self._report(uow, job) for job in await uow.progress.list_jobs(statuses)]

    async def list_active(self) -> list[JobReport]:
        return await self.list_jobs((JobStatus.IN_PROGRESS,))

    async def list_resumable(self) -> list[JobReport]:
        """Jobs with chunks left to run and nobody running them, or that ended failed."""
        candidates = await self.list_jobs(
            (JobStatus.PENDING, JobStatus.IN_PROGRESS, JobStatus.FAILED)
        )
        return [r for r in candidates if not r.running]

    async def _report(self, uow: AbstractUnitOfWork, job: BackfillJob) -> JobReport:
        now = self._clock.now()
        counts = await uow.progress.counts(job.id, now)
        learned = await uow.limits.learned()
        return JobReport(
            job.settle(counts, now),
            counts,
            await uow.progress.last_error(job.id),
            now,
            limits=tuple(learned[key] for key in job.datasets if key in learned),
        )
