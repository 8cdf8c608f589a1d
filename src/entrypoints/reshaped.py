"""Reads in another shape than the stored rows, for ``entsoe export`` and ``GET
/observations``: a resolution rule applied, or the wide shape (:mod:`entrypoints.wide`).

Such a read holds the period's observations at once (a rule looks across series and a wide row
across columns), where the plain export streams a page at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo

from entrypoints.wide import wide_table
from entrypoints.wire import EXPORT_FIELDS, observation_rows, wide_rows
from entrypoints.zones import TZ_FIELD, local_text, zone_name
from entsoe_core.datasets import DATASETS
from entsoe_core.resolution_rules import ResolutionRule
from entsoe_core.services.reads import ReadService
from entsoe_core.services.requests import BackfillRequest

__all__ = ["Reshaped", "reshaped_read"]

Reshaped = tuple[tuple[str, ...], Sequence[Mapping[str, str | float | None]]]
"""The fields of the rows, in order, and the rows."""


async def reshaped_read(
    reads: ReadService,
    request: BackfillRequest,
    rule: ResolutionRule,
    *,
    wide: bool,
    zone: tzinfo = UTC,
) -> Reshaped:
    """The rows of the request's one dataset with ``rule`` applied: exported rows, or wide
    ones (one per instant) with ``wide``. In a ``zone`` other than UTC the timestamps carry
    its offset and a last field names it, as the plain rows do."""
    observations = await reads.read_all(request, rule)
    rows: Sequence[Mapping[str, str | float | None]]
    if wide:
        table = wide_table(
            observations, names=True, several_areas=len(request.areas) > 1, rule=rule
        )
        fields, rows = wide_rows(table, DATASETS.get(request.datasets[0]).unit)
    else:
        fields, rows = EXPORT_FIELDS, list(observation_rows(observations))
    if zone is UTC:
        return fields, rows
    name = zone_name(zone)
    local = [
        {
            **row,
            "timestamp": local_text(datetime.fromisoformat(str(row["timestamp"])), zone),
            TZ_FIELD: name,
        }
        for row in rows
    ]
    return (*fields, TZ_FIELD), local
