"""The recorded documents of the datasets beyond the first eleven (``fixtures/entsoe/more/``).

Each recording parses to the points written in ``more_expected/NAME.jsonl`` and is filed under
its dataset and area. The expected points were checked by hand against the XML; the values
checked are asserted again below, each with where it stands in the recording.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.entsoe_xml import Acknowledgement, parse_document
from entrypoints.wire import iter_rows
from entsoe_core.areas import AREAS
from entsoe_core.observations import Series
from entsoe_core.validation import check_series
from tests.unit.entsoe_documents import FIXTURES

MORE = FIXTURES / "more"
EXPECTED = Path(__file__).parent / "more_expected"

# Each recording with expected points, and the (dataset, area) its series are filed under.
FILED = {
    "generation141_a_installed_capacity_per_production_type": (
        "installed_capacity_per_type",
        "BE",
    ),
    "generation161_d_water_reservoirs_and_hydro_storage_plants": ("water_reservoirs", "BG"),
}


def parsed(stem: str) -> tuple[Series, ...]:
    result = parse_document(MORE / f"{stem}.xml")
    assert not isinstance(result, Acknowledgement), result
    return result


def test_every_expected_file_has_its_recording_and_its_dataset() -> None:
    stems = sorted(p.stem for p in EXPECTED.glob("*.jsonl"))
    assert stems == sorted(FILED)
    assert all((MORE / f"{stem}.xml").is_file() for stem in stems)


@pytest.mark.parametrize("stem", sorted(FILED))
def test_a_recording_parses_to_its_expected_points(stem: str) -> None:
    expected_text = (EXPECTED / f"{stem}.jsonl").read_text()
    rows = list(iter_rows(parsed(stem)))
    assert rows
    assert rows == [json.loads(line) for line in expected_text.splitlines()]
    assert "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows) == expected_text


@pytest.mark.parametrize("stem", sorted(FILED))
def test_a_recording_is_filed_under_its_dataset_and_area(stem: str) -> None:
    dataset, area = FILED[stem]
    filed = check_series(parsed(stem))
    assert {(f.dataset.key, f.area) for f in filed} == {(dataset, AREAS.key(area))}
    slots = [(s.key, p.timestamp) for s in parsed(stem) for p in s.points]
    assert len(slots) == len(set(slots))


def test_installed_capacity_by_hand() -> None:
    # The one TimeSeries: businessType A37, psrType B01 (biomass) in BE, a P1Y Period
    # 2022-12-31T23:00Z/2023-12-31T23:00Z (the local year 2023), position 1 = 730.34 MAW.
    (series,) = parsed("generation141_a_installed_capacity_per_production_type")
    assert (series.key.business_type, series.key.psr_type) == ("A37", "B01")
    assert series.key.in_domain == AREAS.get("BE").code
    assert series.unit == "MAW"
    assert [(p.timestamp.isoformat(), p.value) for p in series.points] == [
        ("2022-12-31T23:00:00+00:00", 730.34)
    ]


def test_water_reservoirs_by_hand() -> None:
    # The one TimeSeries: businessType A01 in BG, a P7D Period 2023-07-09T21:00Z/
    # 2023-07-16T21:00Z (the local week from Monday 10 July), position 1 = 1909687.74 MWH.
    (series,) = parsed("generation161_d_water_reservoirs_and_hydro_storage_plants")
    assert (series.key.business_type, series.key.psr_type) == ("A01", "")
    assert series.key.in_domain == AREAS.get("BG").code
    assert series.unit == "MWH"
    assert [(p.timestamp.isoformat(), p.value) for p in series.points] == [
        ("2023-07-09T21:00:00+00:00", 1909687.74)
    ]
