"""The wide shape: labels as entsoe-py names its columns, one row per instant, and what is
refused rather than merged."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pandas as pd
import pytest

from entrypoints.frames import wide_frame
from entrypoints.wide import WideTable, wide_table
from entsoe_core.areas import AREAS, AreaKey
from entsoe_core.errors import InvalidRequest
from entsoe_core.observations import Observation, SeriesKey
from entsoe_core.resolution_rules import NATIVE, ResolutionRule
from entsoe_core.timeline import utc

START = utc(2024, 1, 1)
NL, DE_LU = AREAS.key("NL"), AREAS.key("DE_LU")
SOLAR = SeriesKey("A75", "A16", "A01", "B16", in_domain=NL.code, resolution="PT60M")
GAS = attrs.evolve(SOLAR, psr_type="B04")
PUMPING = attrs.evolve(SOLAR, psr_type="B10", in_domain="", out_domain=NL.code)
LOAD = SeriesKey("A65", "A16", "A04", out_domain=NL.code, resolution="PT60M")


def at(
    key: SeriesKey, hours: range, *, area: AreaKey = NL, dataset: str = "x", value: float = 1.0
) -> list[Observation]:
    return [Observation(dataset, area, key, START + timedelta(hours=h), value + h) for h in hours]


def table(observations: list[Observation], **options: object) -> WideTable:
    settings: dict[str, object] = {"names": True, "several_areas": False, "rule": NATIVE}
    settings.update(options)
    return wide_table(observations, **settings)  # type: ignore[arg-type]


def test_generation_has_a_column_per_production_type_name() -> None:
    found = table([*at(SOLAR, range(2)), *at(GAS, range(1, 3))])

    assert found.columns == (("Fossil Gas",), ("Solar",))
    assert found.rows == (
        (START, (None, 1.0)),
        (START + timedelta(hours=1), (2.0, 2.0)),
        (START + timedelta(hours=2), (3.0, None)),
    )


def test_the_consumption_of_pumped_storage_makes_two_levels() -> None:
    found = table([*at(SOLAR, range(1)), *at(PUMPING, range(1))])

    assert found.columns == (
        ("Hydro Pumped Storage", "Actual Consumption"),
        ("Solar", "Actual Aggregated"),
    )


def test_raw_codes_name_the_columns_without_names() -> None:
    assert table(at(SOLAR, range(1)), names=False).columns == (("B16",),)
    prices = SeriesKey("A44", "", "A62", "", NL.code, NL.code, "1", "PT60M")
    assert table(at(prices, range(1)), names=False).columns == ((NL.code,),)


def test_what_tells_series_apart_beyond_the_label_is_a_level_of_it() -> None:
    first = SeriesKey("A44", "", "A62", "", DE_LU.code, DE_LU.code, "1", "PT60M")
    prices = [
        *at(first, range(1), area=DE_LU),
        *at(attrs.evolve(first, classification_position="2"), range(1), area=DE_LU),
    ]
    imbalance = SeriesKey("A85", "A16", "A19", in_domain=NL.code, resolution="PT15M")
    categories = [
        *at(attrs.evolve(imbalance, price_category="A04"), range(1)),
        *at(attrs.evolve(imbalance, price_category="A05"), range(1)),
    ]

    assert table(prices).columns == (("DE_LU", "1"), ("DE_LU", "2"))
    assert table(categories).columns == (("NL", "Excess balance"), ("NL", "Insufficient balance"))


def test_several_areas_lead_with_the_area_unless_the_column_is_the_area() -> None:
    fr_load = attrs.evolve(LOAD, out_domain=AREAS.key("FR").code)
    loads = [*at(LOAD, range(1)), *at(fr_load, range(1), area=AREAS.key("FR"))]

    assert table(loads, several_areas=True).columns == (
        ("FR", "Actual Load"),
        ("NL", "Actual Load"),
    )


def test_two_series_in_one_column_are_refused() -> None:
    other = attrs.evolve(LOAD, process_type="A16", business_type="A05")

    with pytest.raises(InvalidRequest, match="column Actual Load would hold two series at 2024"):
        table([*at(LOAD, range(1)), *at(other, range(1))])


def test_a_column_of_two_resolutions_needs_a_rule() -> None:
    quarters = attrs.evolve(LOAD, resolution="PT15M")
    both = [*at(LOAD, range(1)), *at(quarters, range(2, 3))]

    with pytest.raises(InvalidRequest, match="column Actual Load has series at PT15M, PT60M"):
        table(both)
    assert len(table(both, rule=ResolutionRule("finest")).rows) == 2


def test_a_frame_of_nothing_is_empty_with_an_index_in_the_zone() -> None:
    frame = wide_frame([], tz="Europe/Paris", names=True, several_areas=False, rule=NATIVE)

    assert frame.empty
    assert str(pd.DatetimeIndex(frame.index).tz) == "Europe/Paris"
