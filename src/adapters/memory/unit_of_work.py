"""In-memory unit of work with real rollback: changes live in an overlay until commit."""

from __future__ import annotations

from adapters.memory.database import MemoryDatabase, OverlayTable
from adapters.memory.limits import MemoryDatasetLimits
from adapters.memory.progress import MemoryBackfillProgress
from adapters.memory.store import MemoryEnergyStore
from entsoe_core.ports import AbstractUnitOfWork, refuse_commit_when_reading


class MemoryUnitOfWork(AbstractUnitOfWork):
    """One transaction over a :class:`MemoryDatabase`; one at a time per database."""

    def __init__(self, database: MemoryDatabase, *, reading: bool = False) -> None:
        self.database = database
        self.reading = reading
        self.committed = False
        self._tables = (
            OverlayTable(database.observations),
            OverlayTable(database.coverage),
            OverlayTable(database.jobs),
            OverlayTable(database.chunks),
            OverlayTable(database.dataset_limits),
        )
        observations, coverage, jobs, chunks, limits = self._tables
        self.store = MemoryEnergyStore(observations, coverage)
        self.progress = MemoryBackfillProgress(jobs, chunks)
        self.limits = MemoryDatasetLimits(limits)
        self._open = False

    async def _begin(self) -> None:
        await self.database.lock.acquire()
        self._open = True
        self.committed = False

    async def commit(self) -> None:
        refuse_commit_when_reading(self)
        for table in self._tables:
            table.commit()
        self.committed = True

    async def rollback(self) -> None:
        for table in self._tables:
            table.rollback()
        if self._open:
            self._open = False
            self.database.lock.release()


class MemoryUnitOfWorkFactory:
    """Makes a fresh unit of work per call, all over one database."""

    def __init__(self, database: MemoryDatabase | None = None) -> None:
        self.database = database or MemoryDatabase()

    def __call__(self, *, reading: bool = False) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.database, reading=reading)
