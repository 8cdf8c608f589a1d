"""The datasets beyond the first eleven, emulator → ``entsoe backfill`` → ``entsoe export``:
what is exported is exactly what the emulator served; and their recordings through ``entsoe
import``."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest

from tests.e2e.harness import FIXTURES, Cli, Emulator, exported, jsonl, query, sorted_rows, utc

EXPECTED = Path(__file__).resolve().parents[1] / "unit" / "more_expected"

pytestmark = pytest.mark.slow

# Each dataset, an area it is published for, and a period holding several of its steps.
ROUND_TRIPS = [
    ("installed_capacity_per_type", "BE", "2021-01-01", "2024-01-01"),
    ("water_reservoirs", "BG", "2023-01-01", "2023-07-01"),
    # Three auctions, two of them at every quarter hour, the third from local noon.
    ("intraday_auction_prices", "ES", "2025-01-01", "2025-02-01"),
    # Ten days a request at most: three chunks, each answered as a ZIP.
    ("imbalance_prices", "AT", "2024-01-01", "2024-01-25"),
    ("total_imbalance_volumes", "AT", "2024-01-01", "2024-01-25"),
    ("current_balancing_state", "HU", "2024-01-01", "2024-01-03"),
    # Six series: up and down, each offered, activated and unavailable.
    ("aggregated_bids_afrr", "AT", "2024-01-01", "2024-01-04"),
    # One day a request: three chunks; every unit a series of its own.
    ("actual_generation_per_unit", "NL", "2024-01-01", "2024-01-04"),
]


@pytest.mark.parametrize(("dataset", "area", "start", "end"), ROUND_TRIPS, ids=lambda v: v)
def test_a_backfill_exports_exactly_what_the_emulator_served(
    cli: Cli, emulator: Emulator, dataset: str, area: str, start: str, end: str
) -> None:
    app = cli.with_env(**emulator.env())

    result = app(
        "backfill", "--area", area, "--dataset", dataset, "--start", start, "--end", end
    ).ok()

    assert " completed, " in result.stdout.splitlines()[-1], result.explain()
    served = emulator.rows(dataset, area, utc(start), utc(end))
    assert len({row["timestamp"] for row in served}) > 1, "the period holds several steps"
    assert exported(cli, dataset, area, utc(start), utc(end)) == served


@pytest.mark.parametrize(
    ("area", "datasets"),
    [
        ("NL>DE_LU", ("scheduled_exchanges_day_ahead", "scheduled_exchanges_total")),
        (
            "NL>DE_LU",
            tuple(
                f"forecast_transfer_capacity_{horizon}_ahead"
                for horizon in ("day", "week", "month", "year")
            ),
        ),
        ("BE", ("net_positions_day_ahead", "net_positions_intraday")),
        (
            "NL",
            ("wind_solar_forecast", "wind_solar_forecast_intraday", "wind_solar_forecast_current"),
        ),
    ],
    ids=["scheduled_exchanges", "forecast_transfer_capacity", "net_positions", "wind_solar"],
)
def test_the_time_frames_of_one_area_are_stored_apart(
    cli: Cli, emulator: Emulator, area: str, datasets: tuple[str, ...]
) -> None:
    # One document type, one area or border, one job: each time frame is its own request and
    # keeps its own values, although their series keys are alike.
    app = cli.with_env(**emulator.env())
    start, end = utc("2024-01-01"), utc("2024-03-01")

    result = app(
        "backfill",
        "--area",
        area,
        "--dataset",
        ",".join(datasets),
        "--start",
        start.date().isoformat(),
        "--end",
        end.date().isoformat(),
    ).ok()

    assert " completed, " in result.stdout.splitlines()[-1], result.explain()
    served = {dataset: emulator.rows(dataset, area, start, end) for dataset in datasets}
    for dataset in datasets:
        assert served[dataset], dataset
        assert exported(cli, dataset, area, start, end) == served[dataset], dataset
    values = [[row["value"] for row in rows] for rows in served.values()]
    assert all(one != other for n, one in enumerate(values) for other in values[n + 1 :])


# The recordings whose documents say which dataset they are, and the area each is filed under.
IMPORTED = {
    "generation141_a_installed_capacity_per_production_type": ("installed_capacity_per_type", "BE"),
    "generation161_d_water_reservoirs_and_hydro_storage_plants": ("water_reservoirs", "BG"),
    "transmission121_f_commercial_schedules": ("scheduled_exchanges_day_ahead", "DE_LU>FR"),
    "market121_e_implicit_auction_net_positions": ("net_positions_intraday", "BE"),
    # The ZIP the API served: both price categories of every instant.
    "balancing171_g_imbalance_prices": ("imbalance_prices", "AT"),
    "balancing171_h_total_imbalance_volumes": ("total_imbalance_volumes", "AT"),
    "balancing123_a_current_balancing_state_gl_eb": ("current_balancing_state", "HU"),
    # Three values in every Point, in a TimeSeries per direction.
    "tut_aggregated_bids_AT_2023": ("aggregated_bids_afrr", "AT"),
}


def recording(stem: str) -> Path:
    """The recorded answer: an XML document, or the ZIP the API served it in."""
    xml = FIXTURES / "more" / f"{stem}.xml"
    return xml if xml.is_file() else xml.with_suffix(".zip")


def test_imported_recordings_export_their_expected_points(cli: Cli) -> None:
    files = [str(recording(stem)) for stem in IMPORTED]

    result = cli("import", *files).ok()

    for stem, (dataset, area) in IMPORTED.items():
        rows = sorted_rows(jsonl((EXPECTED / f"{stem}.jsonl").read_text()))
        start = utc(rows[0]["timestamp"].removesuffix("Z"))
        end = utc(rows[-1]["timestamp"].removesuffix("Z")) + timedelta(seconds=1)
        assert exported(cli, dataset, area, start, end) == rows, stem
    points = sum(1 for stem in IMPORTED for _ in (EXPECTED / f"{stem}.jsonl").open())
    assert f"{points} points read, {points} written" in result.stdout


def test_a_forecast_transfer_capacity_document_is_not_imported_for_want_of_its_time_frame(
    cli: Cli,
) -> None:
    recording = FIXTURES / "more" / "transmission111_a_forecasted_transfer_capacities.xml"

    result = cli("import", str(recording))

    assert result.code != 0, result.explain()
    assert "names no contract type" in result.stderr, result.explain()
    assert "forecast_transfer_capacity_year_ahead" in result.stderr
    assert query(cli.env["ENTSOE_DATABASE_URL"], "SELECT count(*) FROM observations") == [(0,)]


@pytest.mark.parametrize(
    ("dataset", "area", "field", "values", "steps"),
    [
        ("imbalance_prices", "AT", "price_category", {"A04", "A05"}, 96),
        ("total_imbalance_volumes", "AT", "flow_direction", {"A01", "A02"}, 96),
        ("current_balancing_state", "HU", "flow_direction", {"A01", "A02"}, 1440),
    ],
    ids=["price_categories", "flow_directions", "flow_directions_by_the_minute"],
)
def test_both_values_of_every_instant_are_exported_in_csv(
    cli: Cli, emulator: Emulator, dataset: str, area: str, field: str, values: set[str], steps: int
) -> None:
    app = cli.with_env(**emulator.env())
    window = ("--area", area, "--dataset", dataset, "--start", "2024-03-01", "--end", "2024-03-03")
    app("backfill", *window).ok()

    csv_out = app("export", *window, "--format", "csv").ok()

    rows = list(csv.DictReader(io.StringIO(csv_out.stdout)))
    by_instant: dict[str, dict[str, str]] = {}
    for row in rows:
        by_instant.setdefault(row["timestamp"], {})[row[field]] = row["value"]
    assert len(by_instant) == 2 * steps
    assert all(set(found) == values for found in by_instant.values())
    # Two series, neither overwriting the other: their values differ now and then (the two
    # prices of dual pricing; the direction the system was not imbalanced in holds zero).
    assert any(len(set(found.values())) == 2 for found in by_instant.values())


def test_every_value_of_every_bid_is_exported_in_csv(cli: Cli, emulator: Emulator) -> None:
    app = cli.with_env(**emulator.env())
    window = (
        "--area",
        "AT",
        "--dataset",
        "aggregated_bids_afrr",
        "--start",
        "2024-03-01",
        "--end",
        "2024-03-03",
    )
    app("backfill", *window).ok()

    csv_out = app("export", *window, "--format", "csv").ok()

    rows = list(csv.DictReader(io.StringIO(csv_out.stdout)))
    by_instant: dict[str, dict[tuple[str, str, str], float]] = {}
    for row in rows:
        key = (row["flow_direction"], row["market_product"], row["quantity_kind"])
        by_instant.setdefault(row["timestamp"], {})[key] = float(row["value"])
    bid_values = {
        (direction, "A01", kind)
        for direction in ("A01", "A02")
        for kind in ("", "secondaryQuantity", "unavailable_Quantity.quantity")
    }
    assert len(by_instant) == 2 * 96
    assert all(set(found) == bid_values for found in by_instant.values())
    # Six series, none overwriting another: what is activated is less than what is offered,
    # and some of it is unavailable now and then.
    assert all(
        found[(direction, "A01", "secondaryQuantity")] < found[(direction, "A01", "")]
        for found in by_instant.values()
        for direction in ("A01", "A02")
    )
    assert any(
        found[("A01", "A01", "unavailable_Quantity.quantity")] for found in by_instant.values()
    )
