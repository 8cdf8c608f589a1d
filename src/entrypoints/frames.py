"""Stored observations as pandas DataFrames: long (one row per point) or wide (the shapes of
the entsoe-py client, :mod:`entrypoints.wide`).

Long frames have the columns of an exported row (:data:`entrypoints.wire.EXPORT_FIELDS`), the
timestamp as time-zone-aware datetimes. Wide frames are indexed by the instant, one column per
series; labels of two levels make a two-level column index.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import pandas as pd

from entrypoints.wide import wide_table
from entrypoints.wire import EXPORT_FIELDS, export_row
from entsoe_core.observations import Observation, SeriesKey
from entsoe_core.resolution_rules import ResolutionRule

__all__ = ["NAME_FIELDS", "long_frame", "wide_frame"]

NAME_FIELDS: Final = ("area_name", "psr_type_name", "business_type_name")
"""The columns of a long frame that ``names=False`` leaves out."""

_UNSET: Final = {"price_category": "", "flow_direction": ""}
"""A frame has a column for the sparse key fields, empty where a series has none."""


def long_frame(observations: Sequence[Observation], *, tz: str, names: bool) -> pd.DataFrame:
    """One row per observation, the columns of an exported row in their order."""
    templates: dict[tuple[str, str, SeriesKey, str], dict[str, str | float]] = {}
    records = []
    for one in observations:
        identity = (one.dataset, str(one.area), one.key, one.curve_type)
        template = templates.get(identity)
        if template is None:
            template = templates[identity] = export_row(one)
        records.append({**_UNSET, **template, "timestamp": one.timestamp, "value": one.value})
    columns = [f for f in EXPORT_FIELDS if names or f not in NAME_FIELDS]
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True).dt.tz_convert(tz)
    frame["value"] = frame["value"].astype("float64")
    return frame


def wide_frame(
    observations: Sequence[Observation],
    *,
    tz: str,
    names: bool,
    several_areas: bool,
    rule: ResolutionRule,
) -> pd.DataFrame:
    """One column per series (:mod:`entrypoints.wide`), indexed by the instant in ``tz``."""
    table = wide_table(observations, names=names, several_areas=several_areas, rule=rule)
    index = pd.DatetimeIndex(pd.to_datetime([t for t, _ in table.rows], utc=True)).tz_convert(tz)
    deep = any(len(label) > 1 for label in table.columns)
    columns = (
        pd.MultiIndex.from_tuples(table.columns)
        if deep
        else pd.Index([label[0] for label in table.columns])
    )
    values = [[float("nan") if v is None else v for v in row] for _, row in table.rows]
    return pd.DataFrame(values, index=index, columns=columns, dtype="float64")
