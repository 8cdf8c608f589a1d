"""The Python API over a real SQLite store backfilled from the emulator on loopback: long and
wide frames, time zones, resolution rules, names, a notebook's running loop, the missing
extra."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime

import pandas as pd
import pytest

from entrypoints import Store, open_store
from entrypoints.emulator import EmulatorConfig, emulator_in_thread
from entrypoints.emulator.app import DEFAULT_TOKEN
from entrypoints.frames import NAME_FIELDS
from entrypoints.wire import EXPORT_FIELDS
from entsoe_core.errors import InvalidRequest

DAYS = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 3, tzinfo=UTC)
# Day-ahead prices came by the hour until delivery day 2025-10-01, by the quarter hour since.
SWITCH = datetime(2025, 9, 30, tzinfo=UTC), datetime(2025, 10, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    database = tmp_path_factory.mktemp("python-api") / "entsoe.sqlite3"
    with (
        emulator_in_thread(EmulatorConfig(seed=5)) as url,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setenv("ENTSOE_API_URL", url)
        patch.setenv("ENTSOE_API_TOKEN", DEFAULT_TOKEN)
        store = open_store(f"sqlite+aiosqlite:///{database}")
        for job in (
            store.backfill("NL,FR", "actual_total_load", *DAYS),
            store.backfill(["NL"], ["day_ahead_prices"], *SWITCH),
        ):
            assert job is not None
            assert job.status == "completed"
    return store


def test_a_long_frame_has_every_identity_column_in_the_export_order(store: Store) -> None:
    frame = store.read("actual_total_load", "NL", "2024-01-01", "2024-01-03")

    assert list(frame.columns) == list(EXPORT_FIELDS)
    assert len(frame) == 2 * 96
    assert str(frame["timestamp"].dt.tz) == "Europe/Amsterdam"
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2024-01-01T01:00", tz="Europe/Amsterdam")
    assert set(frame["unit"]) == {"MW"}
    assert set(frame["area_name"]) == {"Netherlands, TenneT NL BZ / CA/ MBA"}
    assert frame["value"].dtype == "float64"


def test_raw_codes_leave_the_name_columns_out(store: Store) -> None:
    frame = store.read("actual_total_load", "NL", *DAYS, names=False)

    assert list(frame.columns) == [f for f in EXPORT_FIELDS if f not in NAME_FIELDS]


def test_several_areas_are_read_in_utc_side_by_side(store: Store) -> None:
    wide = store.read("actual_total_load", ["NL", "FR"], *DAYS, wide=True)
    one = store.read("actual_total_load", "FR", *DAYS, wide=True)

    columns: list[object] = list(wide.columns)
    assert columns == [("FR", "Actual Load"), ("NL", "Actual Load")]
    assert str(pd.DatetimeIndex(wide.index).tz) == "UTC"
    assert str(pd.DatetimeIndex(one.index).tz) == "Europe/Paris"
    # NL is published by the quarter hour, FR by the hour: FR has no value at the quarters.
    assert wide[("NL", "Actual Load")].notna().all()
    pd.testing.assert_series_equal(
        wide[("FR", "Actual Load")].dropna().tz_convert("Europe/Paris"),
        one["Actual Load"],
        check_names=False,
        check_freq=False,
    )


def test_a_time_zone_given_reads_the_dates_and_shows_the_index_in_it(store: Store) -> None:
    frame = store.read("actual_total_load", "NL", "2024-01-01T12:00", "2024-01-02", tz="Asia/Tokyo")

    assert frame["timestamp"].iloc[0] == pd.Timestamp("2024-01-01T12:00", tz="Asia/Tokyo")
    assert frame["timestamp"].iloc[-1] == pd.Timestamp("2024-01-01T23:45", tz="Asia/Tokyo")
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2024-01-01T03:00Z")


def test_a_wide_frame_refuses_to_mix_resolutions_unless_a_rule_is_named(store: Store) -> None:
    with pytest.raises(InvalidRequest, match="column NL has series at PT15M, PT60M: a wide"):
        store.read("day_ahead_prices", "NL", *SWITCH, wide=True)

    finest = store.read("day_ahead_prices", "NL", *SWITCH, wide=True, resolution="finest")
    hourly = store.read("day_ahead_prices", "NL", *SWITCH, wide=True, resolution="PT60M:mean")
    long = store.read("day_ahead_prices", "NL", *SWITCH)

    assert len(finest) == len(long) == 22 + 24 * 4 + 2 * 4
    assert len(hourly) == 48
    quarters = long[long["resolution"] == "PT15M"].set_index("timestamp")["value"]
    first_hour = quarters.index[0]
    assert hourly.loc[first_hour, "NL"] == pytest.approx(quarters.iloc[:4].mean())


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"resolution": "hourly"}, "unknown resolution 'hourly'; accepted: native, finest"),
        ({"tz": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'; expected an IANA name"),
    ],
)
def test_bad_options_are_refused_with_what_is_accepted(
    store: Store, options: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidRequest, match=message):
        store.read("actual_total_load", "NL", *DAYS, **options)  # type: ignore[arg-type]


def test_a_bad_date_is_named(store: Store) -> None:
    with pytest.raises(InvalidRequest, match="start 'yesterday' is not a date or date-time"):
        store.read("actual_total_load", "NL", "yesterday", "2024-01-02")


async def test_it_works_inside_a_running_event_loop_as_in_a_notebook(store: Store) -> None:
    frame = store.read("actual_total_load", "NL", *DAYS, wide=True)

    assert list(frame.columns) == ["Actual Load"]
    assert len(frame) == 2 * 96


def test_a_backfill_with_a_bad_span_is_refused_with_the_spans(store: Store) -> None:
    with pytest.raises(InvalidRequest, match="unknown span 'weekly'; one of day, month"):
        store.backfill("BE", "actual_total_load", *DAYS, span="weekly", wait=False)


def jobs_in(store: Store) -> int:
    path = str(store._settings.database_url).removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(path) as db:
        (count,) = db.execute("SELECT count(*) FROM backfill_jobs").fetchone()
    return int(count)


def test_a_backfill_of_what_is_covered_makes_no_job(store: Store) -> None:
    before = jobs_in(store)

    assert store.backfill("NL", "actual_total_load", *DAYS, wait=False) is None

    assert jobs_in(store) == before > 0


def test_a_backfill_left_to_workers_needs_no_token(store: Store) -> None:
    job = store.backfill("BE", "actual_total_load", *DAYS, wait=False)

    assert job is not None
    assert job.status == "in_progress"
    assert job.chunks.pending == job.chunks_total > 0


def test_without_pandas_the_import_says_how_to_install_it() -> None:
    script = (
        "import sys; sys.modules['pandas'] = None\n"
        "try:\n"
        "    from entrypoints import open_store\n"
        "except ImportError as error:\n"
        "    print(error)\n"
        "import entrypoints.cli\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )

    assert "pip install 'entsoe-backfill[pandas]'" in done.stdout
