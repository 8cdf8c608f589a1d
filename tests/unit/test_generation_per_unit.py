"""Actual generation per generation unit (A73): every unit is a series of its own.

No recorded answer of the API was found, so the documents here are written in the shape the
API guide and the clients reading it describe: a ``GL_MarketDocument`` whose TimeSeries each
name their unit as ``registeredResource.mRID`` (and again, with its name, under
``MktPSRType/PowerSystemResources``), with objectAggregation A06. Two units of one production
type in one area have the same key but for their registered resource: both are kept.
"""

from __future__ import annotations

import asyncio
import io
import json
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.entsoe_xml import parse_document
from adapters.memory import MemoryDatabase, MemoryUnitOfWork
from entrypoints.wire import observation_rows, row_writer
from entsoe_core.areas import AREAS
from entsoe_core.errors import DocumentFault
from entsoe_core.observations import Observation, Series
from entsoe_core.plan import Chunk
from entsoe_core.ports import ChunkData
from entsoe_core.timeline import Interval, utc
from entsoe_core.validation import check_answer, check_series

BE = AREAS.get("BE").code
START = utc(2024, 3, 1, 23)
HOUR = timedelta(hours=1)
# Two units of one production type (gas), as Belgian documents have many.
UNITS = ("22WAMERCO000010Y", "22WDROGEN000001Q")

Units = dict[str, list[float]]


def render(units: Units, *, named: bool = True) -> bytes:
    """An A73 document of ``units`` (unit → one value an hour), every unit of psr type B04;
    ``named=False`` leaves out each series' registeredResource.mRID."""
    steps = len(next(iter(units.values())))
    bounds = (
        f"<start>{START:%Y-%m-%dT%H:%MZ}</start><end>{START + steps * HOUR:%Y-%m-%dT%H:%MZ}</end>"
    )
    series = "".join(
        f"<TimeSeries><mRID>{number}</mRID><businessType>A01</businessType>"
        "<objectAggregation>A06</objectAggregation>"
        f'<inBiddingZone_Domain.mRID codingScheme="A01">{BE}</inBiddingZone_Domain.mRID>'
        + (
            f'<registeredResource.mRID codingScheme="A01">{unit}</registeredResource.mRID>'
            if named
            else ""
        )
        + "<quantity_Measure_Unit.name>MAW</quantity_Measure_Unit.name>"
        "<curveType>A01</curveType>"
        "<MktPSRType><psrType>B04</psrType><PowerSystemResources>"
        f'<mRID codingScheme="A01">{unit}</mRID><name>Unit {number}</name>'
        "</PowerSystemResources></MktPSRType>"
        f"<Period><timeInterval>{bounds}</timeInterval><resolution>PT60M</resolution>"
        + "".join(
            f"<Point><position>{n}</position><quantity>{value!r}</quantity></Point>"
            for n, value in enumerate(values, 1)
        )
        + "</Period></TimeSeries>"
        for number, (unit, values) in enumerate(units.items(), 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<GL_MarketDocument xmlns="urn:iec62325.351:tc57wg16:451-6:generationloaddocument:3:0">'
        "<mRID>test</mRID><revisionNumber>1</revisionNumber><type>A73</type>"
        "<process.processType>A16</process.processType>"
        "<createdDateTime>2024-03-03T10:00:00Z</createdDateTime>"
        f"<time_Period.timeInterval>{bounds}</time_Period.timeInterval>"
        f"{series}</GL_MarketDocument>"
    ).encode()


def answer_of(document: bytes, steps: int) -> tuple[Series, ...]:
    parsed = parse_document(document)
    assert isinstance(parsed, tuple)
    chunk = Chunk(
        "actual_generation_per_unit", AREAS.key("BE"), Interval(START, START + steps * HOUR)
    )
    answer = check_answer(chunk, ChunkData(parsed))
    assert isinstance(answer, ChunkData)
    return answer.series


async def store_and_read(series: tuple[Series, ...], interval: Interval) -> list[Observation]:
    database = MemoryDatabase()
    async with MemoryUnitOfWork(database) as uow:
        await uow.store.upsert("actual_generation_per_unit", AREAS.key("BE"), series)
        await uow.commit()
    async with MemoryUnitOfWork(database, reading=True) as uow:
        return await uow.store.read("actual_generation_per_unit", AREAS.key("BE"), interval)


def test_each_unit_is_a_series_filed_under_generation_per_unit() -> None:
    series = answer_of(render({UNITS[0]: [410.0, 412.0], UNITS[1]: [0.0, 95.5]}), 2)

    assert [(s.key.registered_resource, s.key.psr_type) for s in series] == [
        (UNITS[0], "B04"),
        (UNITS[1], "B04"),
    ]
    assert [[p.value for p in s.points] for s in series] == [[410.0, 412.0], [0.0, 95.5]]
    filed = check_series(series)
    assert {(f.dataset.key, str(f.area)) for f in filed} == {
        ("actual_generation_per_unit", str(AREAS.key("BE")))
    }


value = st.integers(0, 200_000).map(lambda tenths: tenths / 10)


@settings(max_examples=40, deadline=None)
@given(steps=st.integers(1, 24), data=st.data())
def test_every_unit_of_every_instant_is_stored_and_exported(
    steps: int, data: st.DataObject
) -> None:
    units = {unit: data.draw(st.lists(value, min_size=steps, max_size=steps)) for unit in UNITS}
    interval = Interval(START, START + steps * HOUR)

    stored = asyncio.run(store_and_read(answer_of(render(units), steps), interval))

    assert len(stored) == len(UNITS) * steps
    out = io.StringIO()
    row_writer(out, "jsonl")(observation_rows(stored))
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert {(r["registered_resource"], r["timestamp"]): r["value"] for r in rows} == {
        (unit, f"{START + n * HOUR:%Y-%m-%dT%H:%M:%SZ}"): values[n]
        for unit, values in units.items()
        for n in range(steps)
    }


def test_without_their_registered_resource_two_units_at_one_instant_are_a_fault() -> None:
    document = render({UNITS[0]: [1.0], UNITS[1]: [2.0]}, named=False)
    with pytest.raises(DocumentFault, match="one value per instant"):
        answer_of(document, 1)
