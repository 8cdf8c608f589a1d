"""``entsoe export --wide`` and ``--resolution``, driven as a user does, against what the
emulator publishes."""

from __future__ import annotations

import csv
import io

import pytest

from entsoe_core.names import PSR_TYPES
from tests.e2e.harness import Cli, Emulator, jsonl, utc

pytestmark = pytest.mark.slow

DAY = ("--start", "2024-01-01", "--end", "2024-01-02")
# Day-ahead prices came by the hour until delivery day 2025-10-01, by the quarter hour since.
SWITCH = ("--start", "2025-09-30", "--end", "2025-10-02")


def test_a_wide_export_has_a_column_per_production_type_and_a_row_per_instant(
    cli: Cli, emulator: Emulator
) -> None:
    app = cli.with_env(**emulator.env())
    app("backfill", "--area", "NL", "--dataset", "actual_generation_per_type", *DAY).ok()

    done = app(
        "export", "--area", "NL", "--dataset", "actual_generation_per_type", *DAY, "--wide",
        "--format", "csv",
    ).ok()  # fmt: skip

    header, *lines = list(csv.reader(io.StringIO(done.stdout)))
    published = emulator.rows(
        "actual_generation_per_type", "NL", utc("2024-01-01"), utc("2024-01-02")
    )
    names = sorted({PSR_TYPES[row["psr_type"]] for row in published})
    assert header == ["timestamp", "unit", *names]
    assert len(lines) == len({row["timestamp"] for row in published})
    cells = {
        (line[0], name): float(value)
        for line in lines
        for name, value in zip(header[2:], line[2:], strict=True)
    }
    assert cells == {
        (row["timestamp"], PSR_TYPES[row["psr_type"]]): row["value"] for row in published
    }
    assert {line[1] for line in lines} == {"MW"}
    assert done.stderr.strip() == f"exported {len(lines)} row(s)"


def test_an_export_across_the_price_resolution_switch_takes_a_rule(
    cli: Cli, emulator: Emulator
) -> None:
    app = cli.with_env(**emulator.env())
    app("backfill", "--area", "NL", "--dataset", "day_ahead_prices", *SWITCH).ok()
    export = ("export", "--area", "NL", "--dataset", "day_ahead_prices", *SWITCH)

    mixed = app(*export, "--wide")
    hourly = jsonl(app(*export, "--resolution", "PT60M:mean").ok().stdout)
    finest = jsonl(app(*export, "--resolution", "finest").ok().stdout)
    native = jsonl(app(*export).ok().stdout)
    bad = app(*export, "--resolution", "PT60M:median")

    assert mixed.code == 2
    assert "column NL has series at PT15M, PT60M" in mixed.stderr
    assert mixed.stdout == ""
    assert {row["resolution"] for row in native} == {"PT15M", "PT60M"}
    assert {row["resolution"] for row in hourly} == {"PT60M"}
    assert len(hourly) == 48
    assert finest == native  # the emulator publishes one resolution per day
    assert bad.code == 2
    assert "unknown resolution 'PT60M:median'; accepted: native, finest, coarsest" in bad.stderr
