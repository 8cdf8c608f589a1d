"""In-memory units of work whose database connection is lost on demand."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from adapters.memory import MemoryDatabase, MemoryUnitOfWork
from entsoe_core.errors import TransientStorageError


@attrs.frozen
class Moment:
    """Where a unit of work stands when the connection may be lost."""

    stage: str  # "begin" or "commit"
    number: int  # the unit of work's number, 1-based, in the order they were made
    writes_data: bool  # whether it holds observations or coverage: a chunk's commit


LossRule = Callable[[Moment], bool]


class FlakyUnitOfWork(MemoryUnitOfWork):
    """A memory unit of work that raises what a terminated connection raises, when told to.

    A loss at ``commit`` commits nothing: the block is left with the error and rolls back.
    """

    def __init__(
        self,
        database: MemoryDatabase,
        number: int,
        lose: LossRule,
        lost: list[Moment],
        *,
        reading: bool = False,
    ) -> None:
        super().__init__(database, reading=reading)
        self._number = number
        self._lose = lose
        self._lost = lost

    async def _begin(self) -> None:
        self._maybe_lose("begin")
        await super()._begin()

    async def commit(self) -> None:
        self._maybe_lose("commit")
        await super().commit()

    def _maybe_lose(self, stage: str) -> None:
        observations, coverage = self._tables[0], self._tables[1]
        writes_data = len(observations) > len(self.database.observations) or len(coverage) > len(
            self.database.coverage
        )
        moment = Moment(stage, self._number, writes_data)
        if self._lose(moment):
            self._lost.append(moment)
            raise TransientStorageError(
                f"could not {stage}: the database connection was lost: terminating connection "
                "due to administrator command (scripted)"
            )


class FlakyUnitOfWorkFactory:
    """Makes :class:`FlakyUnitOfWork` over one database.

    ``made`` counts the units of work made so far; ``lost`` records every loss.
    """

    def __init__(self, lose: LossRule, database: MemoryDatabase | None = None) -> None:
        self.database = database or MemoryDatabase()
        self._lose = lose
        self.made = 0
        self.lost: list[Moment] = []

    def __call__(self, *, reading: bool = False) -> FlakyUnitOfWork:
        self.made += 1
        return FlakyUnitOfWork(self.database, self.made, self._lose, self.lost, reading=reading)
