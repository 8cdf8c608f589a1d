"""The read service (one window rule, paging) and the import use case (one read per file, all
or nothing), on the in-memory adapters."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

import attrs
import pytest

from adapters.fakes import FakeClock
from adapters.memory import MemoryUnitOfWorkFactory
from adapters.memory.store import MemoryEnergyStore
from entsoe_core.areas import AREAS
from entsoe_core.observations import Observation, Point, Series, SeriesKey
from entsoe_core.ports import Acknowledged
from entsoe_core.services.importing import ImportRefused, ImportService
from entsoe_core.services.reads import ReadService
from entsoe_core.timeline import Interval, utc

NOW = utc(2024, 6, 15, 12)
NL = AREAS.key("NL")
LOAD = SeriesKey("A65", "A16", "A04", "", "", NL.code, "", "PT60M")


def hours(start_hour: int, count: int, value: float = 1.0) -> Series:
    start = utc(2024, 1, 1) + timedelta(hours=start_hour)
    points = tuple(Point(start + timedelta(hours=i), value + i) for i in range(count))
    return Series(LOAD, points, "MAW", "A01", 1, NOW)


class RecordingReader:
    """Saved documents by name, counting how often each is read."""

    def __init__(self, documents: dict[str, list[Series | Acknowledged]]) -> None:
        self._documents = documents
        self.reads: list[str] = []

    def __call__(self, name: str) -> Iterable[Series | Acknowledged]:
        self.reads.append(name)
        yield from self._documents[name]


def test_the_default_window_runs_from_the_history_years_to_tomorrow() -> None:
    reads = ReadService(MemoryUnitOfWorkFactory(), FakeClock(NOW), history_years=2)

    assert reads.window() == (utc(2022, 6, 15), utc(2024, 6, 16))
    assert reads.window(utc(2024, 1, 1)) == (utc(2024, 1, 1), utc(2024, 6, 16))
    request = reads.request(["NL"], ["actual_total_load"], end=utc(2024, 2, 1))
    assert (request.period.start, request.period.end) == (utc(2022, 6, 15), utc(2024, 2, 1))


async def test_export_hands_over_every_observation_once_a_page_at_a_time() -> None:
    uow = MemoryUnitOfWorkFactory()
    imports = ImportService(uow, RecordingReader({"year.xml": [hours(0, 25)]}))
    await imports.import_files(["year.xml"])
    reads = ReadService(uow, FakeClock(NOW))
    pages: list[Sequence[Observation]] = []

    count = await reads.export(
        reads.request(["NL"], ["actual_total_load"], utc(2024, 1, 1), utc(2024, 1, 3)),
        pages.append,
        page_size=10,
    )

    assert count == 25
    assert [len(page) for page in pages] == [10, 10, 5]
    instants = [o.timestamp for page in pages for o in page]
    assert instants == sorted(set(instants))


async def test_an_import_reads_each_file_once_and_stores_all_of_them() -> None:
    uow = MemoryUnitOfWorkFactory()
    reader = RecordingReader(
        {
            "a.xml": [hours(0, 24)],
            "ack.xml": [Acknowledged("999", "No matching data found")],
            "b.xml": [hours(24, 24)],
        }
    )

    report = await ImportService(uow, reader).import_files(["a.xml", "ack.xml", "b.xml"])

    assert reader.reads == ["a.xml", "ack.xml", "b.xml"]
    assert (report.files, report.stored.written, report.stored.kept_newer) == (3, 48, 0)
    assert report.acknowledgements == (("ack.xml", "No matching data found"),)


async def test_one_bad_file_and_nothing_of_the_import_is_stored() -> None:
    uow = MemoryUnitOfWorkFactory()
    broken = hours(24, 24, value=float("nan"))
    reader = RecordingReader({"good.xml": [hours(0, 24)], "bad.xml": [broken]})

    with pytest.raises(ImportRefused, match=r"bad\.xml: .*finite.*; nothing was imported"):
        await ImportService(uow, reader).import_files(["good.xml", "bad.xml"])

    async with uow(reading=True) as unit:
        stored = await unit.store.read(
            "actual_total_load", NL, Interval(utc(2024, 1, 1), utc(2024, 1, 3))
        )
    assert stored == []


async def test_two_values_at_one_instant_in_one_file_and_nothing_is_imported() -> None:
    # Two series of one key in one file, overlapping by an hour: the second would be stored
    # over the first, so the file breaks the rule, as an answer to a chunk would.
    uow = MemoryUnitOfWorkFactory()
    reader = RecordingReader(
        {"good.xml": [hours(0, 24)], "both.xml": [hours(24, 24), hours(47, 2, value=9.0)]}
    )

    with pytest.raises(
        ImportRefused,
        match=r"both\.xml: .*one value per instant.* series 2 .*series 1 has a value at the "
        r"same instant .*2024-01-02T23:00",
    ):
        await ImportService(uow, reader).import_files(["good.xml", "both.xml"])

    async with uow(reading=True) as unit:
        stored = await unit.store.read(
            "actual_total_load", NL, Interval(utc(2024, 1, 1), utc(2024, 1, 3))
        )
    assert stored == []


async def test_the_same_instants_in_two_files_are_revisions_not_a_fault() -> None:
    # One value per instant holds within a file; across files the version rule decides.
    uow = MemoryUnitOfWorkFactory()
    reader = RecordingReader({"a.xml": [hours(0, 24)], "again.xml": [hours(0, 24)]})

    report = await ImportService(uow, reader).import_files(["a.xml", "again.xml"])

    # The second file holds the first one's values again: left as they are, not a fault.
    assert (report.stored.written, report.stored.unchanged) == (24, 24)


async def test_pages_over_a_long_period_read_slices_and_keep_the_order_of_one_read() -> None:
    # Sparse at first (a point a day), then dense (three series an hour): the slices have to
    # grow through the sparse months and shrink again.
    uow = MemoryUnitOfWorkFactory()
    sparse = Series(
        LOAD,
        tuple(Point(utc(2023, 1, 1) + timedelta(days=i), float(i)) for i in range(300)),
        "MAW",
        "A01",
        1,
        NOW,
    )
    dense = [
        Series(
            attrs.evolve(LOAD, psr_type=psr),
            tuple(Point(utc(2023, 11, 1) + timedelta(hours=i), float(i)) for i in range(2000)),
            "MAW",
            "A01",
            1,
            NOW,
        )
        for psr in ("B01", "B02", "B03")
    ]
    imports = ImportService(uow, RecordingReader({"all.xml": [sparse, *dense]}))
    await imports.import_files(["all.xml"])
    reads = ReadService(uow, FakeClock(NOW))
    request = reads.request(["NL"], ["actual_total_load"], utc(2022, 6, 1), utc(2024, 6, 1))
    async with uow(reading=True) as reading:
        everything = await reading.store.read("actual_total_load", NL, request.period)

    pages = [page async for page in reads.pages(request, page_size=97)]

    assert len(everything) == 300 + 3 * 2000
    assert [o for page in pages for o in page] == everything
    assert all(len(page) == 97 for page in pages[:-1])
    assert 0 < len(pages[-1]) <= 97


async def test_pages_of_nothing_are_one_empty_page() -> None:
    reads = ReadService(MemoryUnitOfWorkFactory(), FakeClock(NOW))
    request = reads.request(["NL"], ["actual_total_load"], utc(2020, 1, 1), utc(2024, 1, 1))

    assert [page async for page in reads.pages(request, page_size=10)] == [()]


async def test_a_slice_is_sized_to_the_room_of_its_page_so_it_is_read_about_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A slice that held more than its page had room for was read twice: once ordered whole to
    # find the page's last rows, once more after a cursor. Each read makes the store consider
    # the points of its slice from the cursor on: about every point once in all.
    uow = MemoryUnitOfWorkFactory()
    dense: list[Series | Acknowledged] = [
        Series(
            attrs.evolve(LOAD, psr_type=psr),
            tuple(Point(utc(2023, 11, 1) + timedelta(hours=i), float(i)) for i in range(2000)),
            "MAW",
            "A01",
            1,
            NOW,
        )
        for psr in ("B01", "B02", "B03")
    ]
    await ImportService(uow, RecordingReader({"all.xml": dense})).import_files(["all.xml"])
    considered: list[int] = []
    read = MemoryEnergyStore.read

    async def counting(store: MemoryEnergyStore, *args: Any, **options: Any) -> list[Observation]:
        dataset, area, window = args
        after = options.get("after")
        start = window.start if after is None else after[0]
        everything = await read(store, dataset, area, Interval(start, window.end))
        considered.append(len(everything))
        return await read(store, *args, **options)

    monkeypatch.setattr(MemoryEnergyStore, "read", counting)
    reads = ReadService(uow, FakeClock(NOW))
    request = reads.request(["NL"], ["actual_total_load"], utc(2023, 11, 1), utc(2024, 2, 1))

    pages = [page async for page in reads.column_pages(request, page_size=500)]

    assert sum(map(len, pages)) == 6000
    assert all(len(page) == 500 for page in pages)
    assert sum(considered) < 1.1 * 6000
