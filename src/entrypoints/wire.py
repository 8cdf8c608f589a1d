"""Series as flat rows: the shape of ``entsoe parse`` output and of the recorded fixtures."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Final

from entsoe_core.observations import Series, SeriesKey

__all__ = ["ROW_FIELDS", "iter_rows", "row"]

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


def row(
    key: SeriesKey, curve_type: str, timestamp: datetime, value: float
) -> dict[str, str | float]:
    """One observation as a row: the series' key fields, the UTC timestamp with ``Z``, the value."""
    return {
        "business_type": key.business_type,
        "classification_position": key.classification_position,
        "curve_type": curve_type,
        "document_type": key.document_type,
        "in_domain": key.in_domain,
        "out_domain": key.out_domain,
        "process_type": key.process_type,
        "psr_type": key.psr_type,
        "resolution": key.resolution,
        "timestamp": timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "value": value,
    }


def iter_rows(series: Iterable[Series]) -> Iterator[dict[str, str | float]]:
    """One row per point of every series, series by series."""
    for one in series:
        for point in one.points:
            yield row(one.key, one.curve_type, point.timestamp, point.value)
