"""Stored observations as pandas DataFrames: long (one row per point) or wide (the shapes of
the entsoe-py client).

Long frames have the columns of an exported row (:data:`entrypoints.wire.EXPORT_FIELDS`), the
timestamp as time-zone-aware datetimes. Wide frames are indexed by the instant, one column per
series, labelled as entsoe-py labels its frames:

- generation per production type: one column per production type's name; where any series is
  the consumption side (of pumped storage), two levels, ``(name, "Actual Aggregated")`` and
  ``(name, "Actual Consumption")``;
- total load: ``Actual Load``, ``Forecasted Load``, or ``Min Forecasted Load`` and ``Max
  Forecasted Load`` for the forecasts ahead of the week, month and year;
- prices, flows and everything else: one column per area or border (``NL``, ``NL>DE_LU``).

Where the series of a frame differ in a key field the label does not name (a classification
position, a business type, a price category, a direction), that field's names are one more
level of the label. Several areas put the area in front (``("NL", "Actual Load")``), unless the
label already is the area. Two series never share a column: that is refused, not averaged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Final

import pandas as pd

from entrypoints.wire import EXPORT_FIELDS, export_row
from entsoe_core.areas import AREAS
from entsoe_core.errors import InvalidRequest
from entsoe_core.names import BUSINESS_TYPES, FLOW_DIRECTIONS, PRICE_CATEGORIES, PSR_TYPES
from entsoe_core.observations import Observation, SeriesKey
from entsoe_core.resolution_rules import ResolutionRule

__all__ = ["NAME_FIELDS", "long_frame", "wide_frame"]

NAME_FIELDS: Final = ("area_name", "psr_type_name", "business_type_name")
"""The columns of a long frame that ``names=False`` leaves out."""

_LOAD_LABELS: Final = {"A16": "Actual Load", "A01": "Forecasted Load"}
_LOAD_RANGE_LABELS: Final = {"A60": "Min Forecasted Load", "A61": "Max Forecasted Load"}
_GENERATED, _CONSUMED = "Actual Aggregated", "Actual Consumption"
_EXTRA_FIELDS: Final = ("classification_position", "price_category", "flow_direction")

_UNSET: Final = {"price_category": "", "flow_direction": ""}
"""A frame has a column for the sparse key fields, empty where a series has none."""

Label = tuple[str, ...]


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
    """One column per series (see the module), indexed by the instant in ``tz``."""
    label = _labeller(observations, names=names, several_areas=several_areas)
    columns: dict[Label, tuple[list[datetime], list[float], set[str]]] = {}
    for one in observations:
        stamps, values, resolutions = columns.setdefault(label(one), ([], [], set()))
        stamps.append(one.timestamp)
        values.append(one.value)
        resolutions.add(one.key.resolution)
    series = {}
    for name, (stamps, values, resolutions) in sorted(columns.items()):
        if rule.kind == "native" and len(resolutions) > 1:
            raise InvalidRequest(
                f"column {_text(name)} has series at {', '.join(sorted(resolutions))}: a wide "
                "frame needs one resolution per column; pass resolution='finest', 'coarsest' "
                "or 'RESOLUTION:mean' (such as 'PT60M:mean')"
            )
        index = pd.DatetimeIndex(stamps)
        if index.has_duplicates:
            raise InvalidRequest(
                f"column {_text(name)} would hold two series at {index[index.duplicated()][0]}: "
                "read the long frame (wide=False) to see them apart"
            )
        series[name if len(name) > 1 else name[0]] = pd.Series(values, index=index)
    if not series:
        return pd.DataFrame(index=pd.DatetimeIndex([], tz=tz), dtype="float64")
    frame = pd.concat(series, axis=1, sort=True)
    frame.index = pd.DatetimeIndex(frame.index).tz_convert(tz)
    return frame


def _labeller(
    observations: Iterable[Observation], *, names: bool, several_areas: bool
) -> Callable[[Observation], Label]:
    keys = {(o.dataset, o.key) for o in observations}
    generation = any(key.psr_type for _, key in keys)
    consumption = generation and any(_consumed(key) for _, key in keys)

    def varying(field: str) -> bool:
        return len({getattr(key, field) for _, key in keys}) > 1

    extra = [
        f for f in ("classification_position", "price_category", "flow_direction") if varying(f)
    ]
    load = all(key.document_type == "A65" for _, key in keys)
    if not load and not generation and varying("business_type"):
        extra.insert(0, "business_type")

    def label(one: Observation) -> Label:
        key = one.key
        area = AREAS.label(one.area) if names else str(one.area)
        if generation:
            psr = PSR_TYPES.get(key.psr_type, key.psr_type) if names else key.psr_type
            base: Label = (psr, _CONSUMED if _consumed(key) else _GENERATED)
            base = base if consumption else base[:1]
        elif load:
            base = (
                _LOAD_LABELS.get(key.process_type)
                or _LOAD_RANGE_LABELS.get(key.business_type, key.business_type),
            )
        else:
            base = (area,)
        lead = (area,) if several_areas and base != (area,) else ()
        return (*lead, *base, *(_name(field, getattr(key, field), names) for field in extra))

    return label


def _consumed(key: SeriesKey) -> bool:
    """The consumption side of a production type: its series names the area as out domain."""
    return bool(key.psr_type and key.out_domain and not key.in_domain)


def _name(field: str, code: str, names: bool) -> str:
    lists = {
        "business_type": BUSINESS_TYPES,
        "price_category": PRICE_CATEGORIES,
        "flow_direction": FLOW_DIRECTIONS,
    }
    return lists[field].get(code, code) if names and field in lists else code


def _text(label: Label) -> str:
    return repr(label[0]) if len(label) == 1 else repr(label)
