"""Chunks looked up for people: a job's (its failed ones with their errors), or every chunk
of any job that fetched a dataset and area within a period (a cell of the coverage grid).

Read without writing, in one reading unit of work each.
"""

from __future__ import annotations

from collections.abc import Collection

from entsoe_core.areas import AreaKey
from entsoe_core.ports import UnitOfWorkFactory
from entsoe_core.progress import ChunkProgress, ChunkStatus
from entsoe_core.timeline import Interval

__all__ = ["ChunkLookup"]


class ChunkLookup:
    """Chunks of a job, or of every job about one (dataset, area) and period."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def of_job(
        self, job_id: str, statuses: Collection[ChunkStatus] | None = None
    ) -> list[ChunkProgress]:
        """The job's chunks in plan order, only those in ``statuses`` if given; raises
        :class:`~entsoe_core.errors.UnknownJob` for an unknown job."""
        async with self._uow(reading=True) as uow:
            await uow.progress.get_job(job_id)
            return await uow.progress.get_chunks(job_id, statuses)

    async def touching(self, dataset: str, area: AreaKey, period: Interval) -> list[ChunkProgress]:
        """Every chunk of ``dataset`` and ``area`` that overlaps ``period``, newest job first."""
        async with self._uow(reading=True) as uow:
            return await uow.progress.chunks_touching(dataset, area, period)
