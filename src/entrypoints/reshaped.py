"""Reads in another shape than the stored rows, for ``entsoe export`` and ``GET
/observations``: a resolution rule applied, or the wide shape (:mod:`entrypoints.wide`).

Such a read holds the period's observations at once (a rule looks across series and a wide row
across columns), where the plain export streams a page at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from entrypoints.wide import wide_table
from entrypoints.wire import EXPORT_FIELDS, observation_rows, wide_rows
from entsoe_core.datasets import DATASETS
from entsoe_core.resolution_rules import ResolutionRule
from entsoe_core.services.reads import ReadService
from entsoe_core.services.requests import BackfillRequest

__all__ = ["Reshaped", "reshaped_read"]

Reshaped = tuple[tuple[str, ...], Sequence[Mapping[str, str | float | None]]]
"""The fields of the rows, in order, and the rows."""


async def reshaped_read(
    reads: ReadService, request: BackfillRequest, rule: ResolutionRule, *, wide: bool
) -> Reshaped:
    """The rows of the request's one dataset with ``rule`` applied: exported rows, or wide
    ones (one per instant) with ``wide``."""
    observations = await reads.read_all(request, rule)
    if wide:
        table = wide_table(
            observations, names=True, several_areas=len(request.areas) > 1, rule=rule
        )
        return wide_rows(table, DATASETS.get(request.datasets[0]).unit)
    return EXPORT_FIELDS, list(observation_rows(observations))
