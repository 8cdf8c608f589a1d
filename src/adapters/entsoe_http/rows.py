"""Series as flat rows: the shape of ``entsoe parse`` output and of the recorded fixtures."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC
from typing import Final

from entsoe_core.observations import Series

__all__ = ["ROW_FIELDS", "iter_rows"]

ROW_FIELDS: Final = (
    "business_type",
    "classification_position",
    "curve_type",
    "document_type",
    "in_domain",
    "out_domain",
    "process_type",
    "psr_type",
    "resolution",
    "timestamp",
    "value",
)
"""The fields of a row, in the (sorted) order they are written."""


def iter_rows(series: Iterable[Series]) -> Iterator[dict[str, str | float]]:
    """One row per point: the series' key fields, the UTC timestamp with ``Z``, the value."""
    for one in series:
        key = one.key
        fixed: dict[str, str | float] = {
            "business_type": key.business_type,
            "classification_position": key.classification_position,
            "curve_type": one.curve_type,
            "document_type": key.document_type,
            "in_domain": key.in_domain,
            "out_domain": key.out_domain,
            "process_type": key.process_type,
            "psr_type": key.psr_type,
            "resolution": key.resolution,
        }
        for point in one.points:
            stamp = point.timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            yield {**fixed, "timestamp": stamp, "value": point.value}
