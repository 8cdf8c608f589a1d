"""Where exported rows go: Parquet row groups, partitions by year, and time zones."""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from entrypoints.export_files import TextPages, YearPartitions, export_format_for, target_stem
from entrypoints.inputs import parse_instant
from entrypoints.parquet_rows import PARQUET_EXTRA, ParquetRows, ParquetStream, require_pyarrow
from entrypoints.wire import EXPORT_FIELDS
from entrypoints.zones import parse_zone, zoned_rows
from entsoe_core.areas import AREAS
from entsoe_core.columns import ObservationColumns
from entsoe_core.errors import ConfigurationError, InvalidRequest
from entsoe_core.observations import Observation, SeriesKey

BERLIN = ZoneInfo("Europe/Berlin")
NL = AREAS.key("NL")
PRICES = SeriesKey("A44", in_domain="10YNL----------L", resolution="PT60M")
IMBALANCE = SeriesKey("A85", resolution="PT15M", price_category="A04")


def hourly(start: datetime, hours: int, key: SeriesKey = PRICES) -> list[Observation]:
    return [
        Observation("day_ahead_prices", NL, key, start + timedelta(hours=i), float(i))
        for i in range(hours)
    ]


def page(observations: list[Observation]) -> ObservationColumns:
    return ObservationColumns.of_observations("day_ahead_prices", NL, observations)


def test_each_page_is_one_row_group_with_the_fixed_schema(tmp_path: Path) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = ParquetRows(tmp_path / "a.parquet", BERLIN)

    rows.write(page(hourly(start, 5)))
    rows.write(page([]))
    rows.write(page(hourly(start + timedelta(hours=5), 3, IMBALANCE)))
    rows.close()

    file = pq.ParquetFile(tmp_path / "a.parquet")
    assert file.metadata.num_row_groups == 2
    table = file.read()
    assert table.schema.names == list(EXPORT_FIELDS)
    assert table.schema.field("timestamp").type == pa.timestamp("us", tz="Europe/Berlin")
    assert table.schema.field("value").type == pa.float64()
    assert table.column("value").to_pylist() == [0.0, 1.0, 2.0, 3.0, 4.0, 0.0, 1.0, 2.0]
    # A sparse key field a series does not have is null; one it has is its value.
    assert table.column("price_category").to_pylist() == [None] * 5 + ["A04"] * 3
    assert table.column("document_type").to_pylist() == ["A44"] * 5 + ["A85"] * 3
    assert table.column("timestamp").to_pylist()[0] == datetime(2024, 1, 1, 1, tzinfo=BERLIN)


def test_a_stream_gives_back_a_whole_file_in_pieces() -> None:
    stream = ParquetStream(UTC)
    start = datetime(2024, 1, 1, tzinfo=UTC)

    pieces = [stream.write(page(hourly(start, 4))), stream.write(page(hourly(start, 2, IMBALANCE)))]
    pieces.append(stream.close())

    assert all(pieces)
    table = pq.read_table(io.BytesIO(b"".join(pieces)))
    assert table.num_rows == 6


def test_without_pyarrow_parquet_is_refused_with_the_command_that_installs_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)

    with pytest.raises(ConfigurationError, match="pyarrow") as error:
        require_pyarrow()
    assert PARQUET_EXTRA in str(error.value)
    assert PARQUET_EXTRA == "pip install 'entsoe-backfill[pandas]'"


def test_partitions_split_pages_at_the_local_new_year(tmp_path: Path) -> None:
    # 22:00 UTC on 31 December is 23:00 in Berlin; 23:00 UTC is already the new year there.
    start = datetime(2024, 12, 31, 22, tzinfo=UTC)
    with YearPartitions(tmp_path, "day_ahead_prices", NL, BERLIN) as partitions:
        partitions.write(page(hourly(start, 3)))

    folder = tmp_path / "dataset=day_ahead_prices" / "area=NL"
    assert pq.read_table(folder / "year=2024" / "part-0.parquet").num_rows == 1
    assert pq.read_table(folder / "year=2025" / "part-0.parquet").num_rows == 2
    assert sorted(p.name for p in folder.rglob("*")) == [
        "part-0.parquet",
        "part-0.parquet",
        "year=2024",
        "year=2025",
    ]


def test_a_failed_partitioned_export_leaves_no_file_of_the_open_year(tmp_path: Path) -> None:
    start = datetime(2024, 12, 31, 22, tzinfo=UTC)

    def export_failing_in_the_new_year() -> None:
        with YearPartitions(tmp_path, "day_ahead_prices", NL, UTC) as partitions:
            partitions.write(page(hourly(start, 3)))
            raise RuntimeError("the read failed")

    with pytest.raises(RuntimeError):
        export_failing_in_the_new_year()

    folder = tmp_path / "dataset=day_ahead_prices" / "area=NL"
    # 2024 was complete and renamed into place; 2025 was open and is gone, temporary and all.
    assert [p.name for p in (folder / "year=2024").iterdir()] == ["part-0.parquet"]
    assert list((folder / "year=2025").iterdir()) == []


def test_text_rows_in_a_zone_carry_its_offset_and_name() -> None:
    out = io.StringIO()
    TextPages(out, "csv", BERLIN).write(hourly(datetime(2024, 7, 1, tzinfo=UTC), 1))

    header, row = (line.split(",") for line in out.getvalue().splitlines())
    assert header == [*EXPORT_FIELDS, "tz"]
    assert row[header.index("timestamp")] == "2024-07-01T02:00:00+02:00"
    assert row[-1] == "Europe/Berlin"


def test_utc_rows_keep_the_shape_of_parse_rows() -> None:
    rows: list[dict[str, str | float]] = [{"timestamp": "2024-01-01T00:00:00Z", "value": 1.0}]

    assert list(zoned_rows(rows, UTC)) == [{"timestamp": "2024-01-01T00:00:00Z", "value": 1.0}]
    assert list(zoned_rows([dict(r) for r in rows], BERLIN)) == [
        {"timestamp": "2024-01-01T01:00:00+01:00", "value": 1.0, "tz": "Europe/Berlin"}
    ]


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("2024-01-01", None, datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-01-01", BERLIN, datetime(2023, 12, 31, 23, tzinfo=UTC)),
        ("2024-07-01", BERLIN, datetime(2024, 6, 30, 22, tzinfo=UTC)),
        ("2024-07-01T06:00", BERLIN, datetime(2024, 7, 1, 4, tzinfo=UTC)),
        ("2024-07-01T06:00Z", BERLIN, datetime(2024, 7, 1, 6, tzinfo=UTC)),
    ],
)
def test_dates_are_read_in_the_zone_named(
    text: str, zone: ZoneInfo | None, expected: datetime
) -> None:
    assert parse_instant(text, "start", zone) == expected


def test_a_naive_time_needs_a_zone_and_must_exist_in_it() -> None:
    with pytest.raises(InvalidRequest, match="no UTC offset"):
        parse_instant("2024-07-01T06:00", "start")
    with pytest.raises(InvalidRequest, match=r"'2024-03-31T02:30' does not exist in Europe/Berlin"):
        parse_instant("2024-03-31T02:30", "start", BERLIN)


def test_an_unknown_zone_is_refused_naming_it_and_what_is_close() -> None:
    with pytest.raises(InvalidRequest, match=r"unknown time zone 'Berlin'.*Europe/Berlin"):
        parse_zone("Berlin")
    assert parse_zone("utc") is UTC
    assert parse_zone(None) is UTC


def test_file_names_and_formats() -> None:
    assert target_stem("cross_border_physical_flows", AREAS.key("NL>BE")) == (
        "cross_border_physical_flows_NL-BE"
    )
    assert export_format_for(Path("x.PARQUET")) == "parquet"
    assert export_format_for(Path("x.csv")) == "csv"
    assert export_format_for(None) == "jsonl"
