"""``entsoe export`` for analysts: Parquet, several areas and datasets, partitions, time zones,
against the emulator on a SQLite file."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from entrypoints.wire import EXPORT_FIELDS
from tests.e2e.harness import (
    Cli,
    Emulator,
    Row,
    as_parsed,
    base_environment,
    jsonl,
    sorted_rows,
    utc,
)

pytestmark = pytest.mark.slow

BERLIN = ZoneInfo("Europe/Berlin")
WINDOW = ("--start", "2024-12-30", "--end", "2025-01-03")
START, END = utc("2024-12-30"), utc("2025-01-03")


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory, emulator: Emulator) -> Cli:
    """A store holding load and prices of NL and BE over a new year."""
    cwd = tmp_path_factory.mktemp("export")
    url = f"sqlite+aiosqlite:///{cwd / 'entsoe.sqlite3'}"
    cli = Cli(cwd, {**base_environment(), "ENTSOE_DATABASE_URL": url})
    cli.with_env(**emulator.env())(
        "backfill",
        "--area",
        "NL,BE",
        "--dataset",
        "actual_total_load,day_ahead_prices",
        *WINDOW,
    ).ok()
    return cli


def parquet_rows(table: pa.Table, dataset: str, area: str) -> list[Row]:
    """Parquet rows as parsed rows (see ``as_parsed``): UTC ``Z`` text, sparse fields left
    out."""
    rows = []
    for found in table.to_pylist():
        stamp: datetime = found["timestamp"]
        found["timestamp"] = stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows.append({k: v for k, v in found.items() if v is not None})
    return sorted_rows(as_parsed(rows, dataset, area))


def test_parquet_holds_the_rows_of_jsonl_with_a_fixed_schema(
    filled: Cli, emulator: Emulator
) -> None:
    export = ("export", "--area", "NL", "--dataset", "day_ahead_prices", *WINDOW)

    done = filled(*export, "-o", "prices.parquet").ok()

    expected = emulator.rows("day_ahead_prices", "NL", START, END)
    assert done.stderr.strip() == f"exported {len(expected)} observation(s)"
    table = pq.read_table(filled.cwd / "prices.parquet")
    assert table.schema.names == list(EXPORT_FIELDS)
    assert table.schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("value").type == pa.float64()
    assert parquet_rows(table, "day_ahead_prices", "NL") == expected


def test_several_areas_and_datasets_go_to_one_file_each(filled: Cli, emulator: Emulator) -> None:
    done = filled(
        "export",
        "--area",
        "NL,BE",
        "--dataset",
        "actual_total_load,day_ahead_prices",
        *WINDOW,
        "--format",
        "csv",
        "-o",
        "out",
    ).ok()

    names = sorted(p.name for p in (filled.cwd / "out").iterdir())
    assert names == [
        "actual_total_load_BE.csv",
        "actual_total_load_NL.csv",
        "day_ahead_prices_BE.csv",
        "day_ahead_prices_NL.csv",
    ]
    total = 0
    for name in names:
        dataset, area = name.removesuffix(".csv").rsplit("_", 1)
        with (filled.cwd / "out" / name).open(newline="") as file:
            header, *lines = list(csv.reader(file))
        assert tuple(header) == EXPORT_FIELDS
        assert len(lines) == len(emulator.rows(dataset, area, START, END)) > 0
        total += len(lines)
    assert done.stderr.strip() == f"exported {total} observation(s)"


def test_several_pairs_without_a_directory_are_refused_and_nothing_is_written(
    filled: Cli,
) -> None:
    result = filled("export", "--area", "NL,BE", "--dataset", "actual_total_load", *WINDOW)

    assert result.code == 2, result.explain()
    assert "give -o DIR" in result.stderr
    assert result.stdout == ""


def test_partitioned_parquet_splits_by_dataset_area_and_local_year(
    filled: Cli, emulator: Emulator
) -> None:
    filled(
        "export",
        "--area",
        "NL,BE",
        "--dataset",
        "day_ahead_prices",
        *WINDOW,
        "--tz",
        "Europe/Berlin",
        "--partition",
        "-o",
        "lake",
    ).ok()

    lake = filled.cwd / "lake"
    files = sorted(str(p.relative_to(lake)) for p in lake.rglob("*.parquet"))
    assert files == [
        f"dataset=day_ahead_prices/area={area}/year={year}/part-0.parquet"
        for area in ("BE", "NL")
        for year in (2024, 2025)
    ]
    for area in ("BE", "NL"):
        folder = lake / "dataset=day_ahead_prices" / f"area={area}"
        for year in (2024, 2025):
            table = pq.read_table(folder / f"year={year}" / "part-0.parquet")
            assert table.schema.field("timestamp").type == pa.timestamp("us", tz="Europe/Berlin")
            years = {t.astimezone(BERLIN).year for t in table.column("timestamp").to_pylist()}
            assert years == {year}
        # Read as one data set, the partition adds its key as a column.
        both = pq.read_table(folder, partitioning="hive")
        assert set(both.column("year").to_pylist()) == {2024, 2025}
        rows = parquet_rows(both.drop_columns(["year"]), "day_ahead_prices", area)
        # Berlin's 2025-01-03 began at 23:00 UTC; the store begins at 2024-12-30 UTC.
        assert rows == emulator.rows("day_ahead_prices", area, START, utc("2025-01-02T23:00"))


def test_tz_reads_dates_in_that_zone_and_writes_timestamps_in_it(
    filled: Cli, emulator: Emulator
) -> None:
    done = filled(
        "export",
        "--area",
        "NL",
        "--dataset",
        "actual_total_load",
        "--start",
        "2025-01-01",
        "--end",
        "2025-01-02",
        "--tz",
        "Europe/Berlin",
    ).ok()

    rows = jsonl(done.stdout)
    # Berlin midnight is 23:00 UTC the day before.
    expected = emulator.rows(
        "actual_total_load", "NL", utc("2024-12-31T23:00"), utc("2025-01-01T23:00")
    )
    assert len(rows) == len(expected) > 0
    assert rows[0]["timestamp"] == "2025-01-01T00:00:00+01:00"
    assert {row["tz"] for row in rows} == {"Europe/Berlin"}
    back = [
        {
            **row,
            "timestamp": datetime.fromisoformat(row["timestamp"])
            .astimezone(UTC)
            .strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        for row in rows
    ]
    without_tz = [{k: v for k, v in r.items() if k != "tz"} for r in back]
    assert sorted_rows(as_parsed(without_tz, "actual_total_load", "NL")) == expected


def test_tz_from_the_environment_and_named_in_the_csv(filled: Cli) -> None:
    done = filled.with_env(ENTSOE_TZ="Europe/Berlin")(
        "export",
        "--area",
        "NL",
        "--dataset",
        "actual_total_load",
        "--start",
        "2025-01-01",
        "--end",
        "2025-01-02",
        "--format",
        "csv",
    ).ok()

    header, first, *_ = list(csv.reader(io.StringIO(done.stdout)))
    assert tuple(header) == (*EXPORT_FIELDS, "tz")
    assert first[header.index("timestamp")] == "2025-01-01T00:00:00+01:00"
    assert first[header.index("tz")] == "Europe/Berlin"


def test_a_bad_zone_is_refused_naming_it(filled: Cli) -> None:
    result = filled(
        "export", "--area", "NL", "--dataset", "actual_total_load", *WINDOW, "--tz", "Europe/Berln"
    )

    assert result.code == 2, result.explain()
    assert "'Europe/Berln'" in result.stderr
    assert "Europe/Berlin" in result.stderr
    assert result.stdout == ""


def test_without_pyarrow_parquet_names_the_extra_and_writes_nothing(
    filled: Cli, tmp_path: Path
) -> None:
    # A pyarrow that cannot be imported stands in front of the installed one.
    hidden = tmp_path / "hidden" / "pyarrow"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError('pyarrow is not installed')\n")

    result = filled.with_env(PYTHONPATH=str(hidden.parent))(
        "export", "--area", "NL", "--dataset", "actual_total_load", *WINDOW, "-o", "none.parquet"
    )

    assert result.code == 2, result.explain()
    assert "pip install 'entsoe-backfill[pandas]'" in result.stderr
    assert not (filled.cwd / "none.parquet").exists()
