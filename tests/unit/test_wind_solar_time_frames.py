"""The intraday (A69/A40) and current (A69/A18) wind and solar forecasts.

There is no recording of either. The API guide gives them the document of the day-ahead
forecast (A69/A01) with another process type, so their documents here are *derived*: the
recorded day-ahead document with its ``process.processType`` changed, nothing else. They
parse to the recording's expected points with that process type, and are filed under their
own dataset, never under the day-ahead one.
"""

from __future__ import annotations

import json

import attrs
import pytest

from adapters.entsoe_xml import Acknowledgement, parse_document
from entrypoints.wire import iter_rows
from entsoe_core.areas import AREAS
from entsoe_core.errors import DocumentFault
from entsoe_core.observations import Series
from entsoe_core.plan import Chunk
from entsoe_core.ports import ChunkData
from entsoe_core.validation import check_answer, check_series
from tests.unit.entsoe_documents import FIXTURES

RECORDED = "generation_141d_wind_solar_forecast_NL"
DAY_AHEAD = "<process.processType>A01</process.processType>"
TIME_FRAMES = {"wind_solar_forecast_intraday": "A40", "wind_solar_forecast_current": "A18"}


def derived_document(process_type: str) -> bytes:
    """The recorded day-ahead forecast with its process type changed to ``process_type``."""
    recorded = (FIXTURES / f"{RECORDED}.xml").read_text()
    assert recorded.count(DAY_AHEAD) == 1
    return recorded.replace(DAY_AHEAD, DAY_AHEAD.replace("A01", process_type)).encode()


def derived_series(process_type: str) -> tuple[Series, ...]:
    result = parse_document(derived_document(process_type))
    assert not isinstance(result, Acknowledgement), result
    return result


def answered_chunk(dataset: str, series: tuple[Series, ...]) -> Chunk:
    periods = [s.period for s in series if s.period is not None]
    asked = attrs.evolve(periods[0], start=min(p.start for p in periods))
    asked = attrs.evolve(asked, end=max(p.end for p in periods))
    return Chunk(dataset, AREAS.key("NL"), asked)


@pytest.mark.parametrize("dataset", sorted(TIME_FRAMES))
def test_a_derived_document_parses_to_the_recorded_points_with_its_process_type(
    dataset: str,
) -> None:
    process_type = TIME_FRAMES[dataset]
    expected_text = (FIXTURES / "expected" / f"{RECORDED}.jsonl").read_text()
    expected = [
        {**json.loads(line), "process_type": process_type} for line in expected_text.splitlines()
    ]

    rows = list(iter_rows(derived_series(process_type)))

    assert len(rows) == len(expected) > 0
    assert rows == expected


@pytest.mark.parametrize("dataset", sorted(TIME_FRAMES))
def test_a_derived_document_is_filed_under_its_time_frame(dataset: str) -> None:
    series = derived_series(TIME_FRAMES[dataset])

    filed = check_series(series)

    assert {(f.dataset.key, f.area) for f in filed} == {(dataset, AREAS.key("NL"))}
    answer = ChunkData(series)
    assert check_answer(answered_chunk(dataset, series), answer) == answer


@pytest.mark.parametrize("dataset", sorted(TIME_FRAMES))
def test_a_forecast_of_another_time_frame_is_refused(dataset: str) -> None:
    process_type = TIME_FRAMES[dataset]
    series = derived_series(process_type)
    for other in ("wind_solar_forecast", *(d for d in TIME_FRAMES if d != dataset)):
        with pytest.raises(DocumentFault, match=rf"\(process type\).*{process_type}"):
            check_answer(answered_chunk(other, series), ChunkData(series))
