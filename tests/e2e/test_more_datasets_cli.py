"""The datasets beyond the first eleven, emulator → ``entsoe backfill`` → ``entsoe export``:
what is exported is exactly what the emulator served."""

from __future__ import annotations

import pytest

from tests.e2e.harness import Cli, Emulator, exported, utc

pytestmark = pytest.mark.slow

# Each dataset, an area it is published for, and a period holding several of its steps.
ROUND_TRIPS = [
    ("installed_capacity_per_type", "BE", "2021-01-01", "2024-01-01"),
    ("water_reservoirs", "BG", "2023-01-01", "2023-07-01"),
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
    ],
    ids=["scheduled_exchanges", "forecast_transfer_capacity", "net_positions"],
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
