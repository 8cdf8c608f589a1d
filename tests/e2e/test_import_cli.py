"""``entsoe import`` of the recorded ENTSO-E documents: idempotent, and ``entsoe export`` gives
back exactly the rows each document must parse to."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.e2e.harness import FIXTURES, Cli, exported, jsonl, query, sorted_rows, utc

pytestmark = pytest.mark.slow

# Each recorded document with data, and the (dataset, area) it is filed under.
FILED = {
    "DK-DK1_consumption": ("actual_total_load", "DK_1"),
    "ES_day_ahead_price": ("day_ahead_prices", "ES"),
    "FI_production": ("actual_generation_per_type", "FI"),
    "FR_prices": ("day_ahead_prices", "FR"),
    "NO-NO5_production-negatives": ("actual_generation_per_type", "NO_5"),
    "generation_141c_forecast_day_ahead_NL": ("day_ahead_generation_forecast", "NL"),
    "generation_141d_wind_solar_forecast_NL": ("wind_solar_forecast", "NL"),
    "generation_161bc_actual_per_psr_NL": ("actual_generation_per_type", "NL"),
    "load61_a_actual_total_load": ("actual_total_load", "CZ"),
    "load61_c_week_ahead_total_load_forecast": ("week_ahead_total_load_forecast", "CZ"),
    "load61_e_year_ahead_total_load_forecast": ("year_ahead_total_load_forecast", "CZ"),
    "load81_year_ahead_forecast_margin": ("year_ahead_forecast_margin", "CZ"),
    "load_61a_actual_total_load_NL": ("actual_total_load", "NL"),
    "load_61b_day_ahead_forecast_NL": ("day_ahead_total_load_forecast", "NL"),
    "load_61d_month_ahead_forecast_NL": ("month_ahead_total_load_forecast", "NL"),
    "market_121d_day_ahead_prices_NL": ("day_ahead_prices", "NL"),
    "transmission_121g_cross_border_NL_DE": ("cross_border_physical_flows", "DE_LU>NL"),
}
ACKNOWLEDGEMENTS = ("ack_invalid_request", "load61_d_month_ahead_total_load_forecast")


def test_importing_the_recorded_documents_twice_stores_each_point_once(cli: Cli) -> None:
    documents = sorted(FIXTURES.glob("*.xml"))
    assert {d.stem for d in documents} == {*FILED, *ACKNOWLEDGEMENTS}
    expected = {
        name: jsonl((FIXTURES / "expected" / f"{name}.jsonl").read_text()) for name in FILED
    }
    points = sum(len(rows) for rows in expected.values())
    url = cli.env["ENTSOE_DATABASE_URL"]

    first = cli("import", *map(str, documents)).ok()

    assert first.stdout.strip().startswith(
        f"imported {len(documents)} file(s): {points} points read, {points} written"
    )
    said = first.stderr.splitlines()
    assert len(said) == len(ACKNOWLEDGEMENTS)
    for name, line in zip(ACKNOWLEDGEMENTS, said, strict=True):
        assert line.startswith(f"{FIXTURES / name}.xml: acknowledgement, nothing to import: ")
    stored = _observations(url)
    assert len(stored) == points

    second = cli("import", *map(str, documents)).ok()

    assert second.stdout.strip().endswith(
        f"{points} points read, 0 written, 0 kept (stored values are newer), {points} unchanged"
    )
    assert _observations(url) == stored
    assert query(url, "SELECT count(*) FROM backfill_jobs") == [(0,)]
    for name, (dataset, area) in FILED.items():
        rows = sorted_rows(expected[name])
        start = utc(rows[0]["timestamp"].removesuffix("Z"))
        end = utc(rows[-1]["timestamp"].removesuffix("Z")) + timedelta(seconds=1)
        assert exported(cli, dataset, area, start, end) == rows, name


def _observations(url: str) -> list[tuple[object, ...]]:
    """Every stored point with its series, value, revision and provenance (not when it was
    written)."""
    return query(
        url,
        "SELECT s.dataset, s.area, s.document_type, s.process_type, s.business_type, "
        "s.psr_type, s.in_domain, s.out_domain, s.classification_position, s.resolution, "
        "o.ts, o.value, o.unit, o.curve_type, o.revision, o.created_at "
        "FROM observations o JOIN series s ON s.id = o.series_id ORDER BY 1, 2, 3, 4, 5, 6, 7, "
        "8, 9, 10, 11",
    )
