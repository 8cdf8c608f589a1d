"""Backfills the server runs in the background, and their end when the server stops.

A run is an ordinary persisted job driven by :meth:`BackfillService.run` in an asyncio task.
Stopping the server cancels the tasks; the service hands the chunks in flight back to the
pending pool, so the job stays resumable (``POST /backfills/{id}/resume``, ``entsoe resume``
or a worker).

A cancellation can also land while a chunk is being claimed: the claim commits, but the run
never learns it holds the chunk, so nobody hands it back and it would sit in flight until its
lease expires (two minutes by default), holding up a resume. So after the runs have ended,
any chunk still leased to this server's owner is handed back too: nothing of ours runs then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from entsoe_core.errors import EntsoeBackfillError
from entsoe_core.ports import ClockPort, UnitOfWorkFactory
from entsoe_core.progress import ChunkStatus
from entsoe_core.services.backfill import BackfillService

__all__ = ["BackgroundRuns"]

log = logging.getLogger(__name__)


class BackgroundRuns:
    """The job runs started by this server, one task per job."""

    def __init__(self, backfill: BackfillService, uow: UnitOfWorkFactory, clock: ClockPort) -> None:
        self._backfill = backfill
        self._uow = uow
        self._clock = clock
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def __len__(self) -> int:
        return len(self._tasks)

    def start(self, job_id: str) -> None:
        """Run the job in the background, unless this server runs it already."""
        if job_id in self._tasks:
            return
        task = asyncio.create_task(self._run(job_id), name=f"backfill {job_id}")
        self._tasks[job_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job_id, None))

    async def _run(self, job_id: str) -> None:
        try:
            report = await self._backfill.run(job_id)
        except asyncio.CancelledError:
            log.info("job %s stopped with the server; it stays resumable", job_id)
            raise
        except Exception:
            # Nobody awaits this task: what went wrong must reach the log, not vanish.
            log.exception("job %s stopped on an error; it stays resumable", job_id)
            return
        log.info("job %s ended %s", job_id, report.job.status.value)

    async def stop(self) -> None:
        """Cancel every run and wait until their chunks in flight are handed back."""
        jobs, tasks = list(self._tasks), list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._hand_back(jobs)

    async def _hand_back(self, job_ids: list[str]) -> None:
        """Return chunks still leased to this server's owner to the pending pool."""
        if not job_ids:
            return
        owner = self._backfill.owner
        with contextlib.suppress(EntsoeBackfillError):  # no database: the leases expire instead
            await self._release(job_ids, owner)

    async def _release(self, job_ids: list[str], owner: str) -> None:
        async with self._uow() as uow:
            for job_id in job_ids:
                for chunk in await uow.progress.get_chunks(job_id, (ChunkStatus.IN_FLIGHT,)):
                    if chunk.lease_owner == owner:
                        await uow.progress.save_chunk(chunk.release(self._clock.now()))
                        log.info("chunk %s handed back", chunk.id)
            await uow.commit()
