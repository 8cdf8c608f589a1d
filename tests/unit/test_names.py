"""Names and units of what leaves the store: the shipped code lists, the catalogue's units, and
the exported row."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from entrypoints.code_table import TARGET, module_text
from entrypoints.emulator import SyntheticModel
from entrypoints.wire import EXPORT_FIELDS, SPARSE_FIELDS, export_row
from entsoe_core.areas import AREAS
from entsoe_core.datasets import DATASETS, Dataset
from entsoe_core.errors import InvalidRequest
from entsoe_core.names import BUSINESS_TYPES, PSR_TYPES, area_name, code_list
from entsoe_core.observations import Observation, SeriesKey
from entsoe_core.timeline import Interval

CODES = Path(__file__).resolve().parents[3] / "shared" / "codes.csv"
DOCUMENT_UNITS = {"MAW": "MW", "MWH": "MWh", "EUR/MWH": "EUR/MWh"}


def test_the_shipped_code_lists_are_the_ones_generated_from_codes_csv() -> None:
    with CODES.open(encoding="utf-8", newline="") as source:
        rendered = module_text(csv.DictReader(source))
    assert TARGET.read_text(encoding="utf-8") == rendered, (
        "stale: run python -m entrypoints.code_table ../shared/codes.csv"
    )


def test_production_types_are_named_as_the_entsoe_py_client_names_its_columns() -> None:
    from entsoe.mappings import PSRTYPE_MAPPINGS

    assert dict(PSR_TYPES) == PSRTYPE_MAPPINGS
    assert PSR_TYPES["B16"] == "Solar"


def test_business_types_and_areas_have_their_names() -> None:
    assert BUSINESS_TYPES["A04"] == "Consumption"
    assert area_name(AREAS.key("NL")) == "Netherlands, TenneT NL BZ / CA/ MBA"
    assert (
        area_name(AREAS.key("NL>DE_LU")) == "Netherlands, TenneT NL BZ / CA/ MBA > DE-LU BZ / MBA"
    )


def test_an_unknown_code_list_is_refused_with_the_known_ones() -> None:
    with pytest.raises(InvalidRequest, match=r"unknown code list 'colour'; one of business_type"):
        code_list("colour")


@pytest.mark.parametrize("dataset", list(DATASETS), ids=lambda d: d.key)
def test_every_dataset_has_the_unit_its_documents_are_published_in(dataset: Dataset) -> None:
    area = AREAS.key("NL>BE" if dataset.is_border else "NL")
    # Long enough for one value of the yearly datasets.
    start = datetime(2025, 1, 1, tzinfo=UTC)
    period = Interval(
        start, start + (timedelta(days=366) if "P1Y" in dataset.resolutions else timedelta(days=8))
    )
    series = SyntheticModel(3).series_for(dataset, area, period)
    assert series, dataset.key
    assert {DOCUMENT_UNITS[one.unit] for one in series} == {dataset.unit}


def test_an_exported_row_leads_with_timestamp_value_and_unit_and_names_its_codes() -> None:
    key = SeriesKey("A75", "A16", "A01", "B16", in_domain="10YNL----------L", resolution="PT15M")
    observation = Observation(
        "actual_generation_per_type",
        AREAS.key("NL"),
        key,
        datetime(2024, 1, 1, 12, tzinfo=UTC),
        812.5,
        curve_type="A03",
    )

    row = export_row(observation)

    assert list(row) == [f for f in EXPORT_FIELDS if f not in SPARSE_FIELDS]
    assert row == {
        "timestamp": "2024-01-01T12:00:00Z",
        "value": 812.5,
        "unit": "MW",
        "dataset": "actual_generation_per_type",
        "area": "NL",
        "area_name": "Netherlands, TenneT NL BZ / CA/ MBA",
        "resolution": "PT15M",
        "psr_type": "B16",
        "psr_type_name": "Solar",
        "business_type": "A01",
        "business_type_name": "Production",
        "document_type": "A75",
        "process_type": "A16",
        "in_domain": "10YNL----------L",
        "out_domain": "",
        "classification_position": "",
        "curve_type": "A03",
    }
