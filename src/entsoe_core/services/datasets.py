"""The dataset catalogue as the source has taught it: each dataset's limits, read only."""

from __future__ import annotations

import attrs

from entsoe_core.datasets import DATASETS, Dataset
from entsoe_core.limits import LearnedLimit, RequestSpan, tighter
from entsoe_core.ports import UnitOfWorkFactory

__all__ = ["DatasetReport", "DatasetReports"]


@attrs.frozen
class DatasetReport:
    """A dataset of the catalogue, with the limit learned from the source's refusals."""

    dataset: Dataset
    learned: LearnedLimit | None

    @property
    def effective_limit(self) -> RequestSpan:
        """The longest request every plan asks for: the tighter of the catalogue's and the
        learned limit."""
        if self.learned is None:
            return self.dataset.max_request_span
        return tighter(self.dataset.max_request_span, self.learned.span)


class DatasetReports:
    """Reports on the catalogue, read in one reading unit of work."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def datasets(self) -> list[DatasetReport]:
        """Every dataset of the catalogue, in its order."""
        async with self._uow(reading=True) as uow:
            learned = await uow.limits.learned()
        return [DatasetReport(dataset, learned.get(dataset.key)) for dataset in DATASETS]
