"""The wide shape of stored observations: one column per series, labelled as the entsoe-py
client labels its frames, one row per instant. Pure Python, so that ``entsoe export --wide``
and ``GET /observations?wide=true`` need no pandas; :mod:`entrypoints.frames` turns it into a
DataFrame.

Labels:

- generation per production type: one column per production type's name; where any series is
  the consumption side (of pumped storage), two levels, ``(name, "Actual Aggregated")`` and
  ``(name, "Actual Consumption")``;
- total load: ``Actual Load``, ``Forecasted Load``, or ``Min Forecasted Load`` and ``Max
  Forecasted Load`` for the forecasts ahead of the week, month and year;
- prices, flows and everything else: one column per area or border (``NL``, ``NL>DE_LU``).

Where the series of a table differ in a key field the label does not name (a classification
position, a business type, a price category, a direction), that field's names are one more
level of the label. Several areas put the area in front (``("NL", "Actual Load")``), unless the
label already is the area. Columns are in the order of their labels. Two series never share a
column, and a column never mixes resolutions unless a resolution rule was named: both are
refused, not averaged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Final

import attrs

from entsoe_core.areas import AREAS
from entsoe_core.errors import InvalidRequest
from entsoe_core.names import BUSINESS_TYPES, FLOW_DIRECTIONS, PRICE_CATEGORIES, PSR_TYPES
from entsoe_core.observations import Observation, SeriesKey
from entsoe_core.resolution_rules import ResolutionRule

__all__ = ["Label", "WideTable", "column_text", "wide_table"]

_LOAD_LABELS: Final = {"A16": "Actual Load", "A01": "Forecasted Load"}
_LOAD_RANGE_LABELS: Final = {"A60": "Min Forecasted Load", "A61": "Max Forecasted Load"}
_GENERATED, _CONSUMED = "Actual Aggregated", "Actual Consumption"
_EXTRA_FIELDS: Final = ("classification_position", "price_category", "flow_direction")

Label = tuple[str, ...]


@attrs.frozen
class WideTable:
    """Columns (labels, each of one or more levels, all of one depth) and rows (an instant and
    one value per column, ``None`` where the column has none), in time order."""

    columns: tuple[Label, ...]
    rows: tuple[tuple[datetime, tuple[float | None, ...]], ...]


def wide_table(
    observations: Sequence[Observation], *, names: bool, several_areas: bool, rule: ResolutionRule
) -> WideTable:
    """The table of ``observations`` (see the module); ``rule`` is the one they were read with."""
    label = _labeller(observations, names=names, several_areas=several_areas)
    cells: dict[Label, dict[datetime, float]] = {}
    resolutions: dict[Label, set[str]] = {}
    for one in observations:
        name = label(one)
        column = cells.setdefault(name, {})
        if one.timestamp in column:
            raise InvalidRequest(
                f"column {column_text(name)} would hold two series at "
                f"{one.timestamp.isoformat()}: read them in the long shape to see them apart"
            )
        column[one.timestamp] = one.value
        resolutions.setdefault(name, set()).add(one.key.resolution)
    for name, found in resolutions.items():
        if rule.kind == "native" and len(found) > 1:
            raise InvalidRequest(
                f"column {column_text(name)} has series at {', '.join(sorted(found))}: a wide "
                "table needs one resolution per column; name a resolution rule: finest, "
                "coarsest or RESOLUTION:mean (such as PT60M:mean)"
            )
    columns = tuple(sorted(cells))
    instants = sorted({instant for column in cells.values() for instant in column})
    return WideTable(
        columns,
        tuple((t, tuple(cells[c].get(t) for c in columns)) for t in instants),
    )


def column_text(label: Label) -> str:
    """A label as one text: its levels joined by `` / ``."""
    return " / ".join(label)


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
