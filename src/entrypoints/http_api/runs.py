"""Backfills the server runs in the background, and their end when the server stops.

A run is an ordinary persisted job driven by :meth:`BackfillService.run` in an asyncio task.
Stopping the server cancels the tasks; the service hands the chunks in flight back to the
pending pool, so the job stays resumable (``POST /backfills/{id}/resume``, ``entsoe resume``
or a worker).
"""

from __future__ import annotations

import asyncio
import logging

from entsoe_core.services.backfill import BackfillService

__all__ = ["BackgroundRuns"]

log = logging.getLogger(__name__)


class BackgroundRuns:
    """The job runs started by this server, one task per job."""

    def __init__(self, backfill: BackfillService) -> None:
        self._backfill = backfill
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
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
