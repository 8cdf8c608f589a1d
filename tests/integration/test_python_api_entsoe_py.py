"""Acceptance: the wide frames of the Python API are the frames entsoe-py 0.8 builds from the same
answers of the emulator (over loopback): same index, same columns, same values."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TypeVar, cast

import httpx
import pandas as pd
import pytest
from entsoe import parsers

from adapters.entsoe_http.params import request_params
from entrypoints import Store, open_store
from entrypoints.emulator import EmulatorConfig, emulator_in_thread
from entrypoints.emulator.app import DEFAULT_TOKEN
from entsoe_core.areas import AREAS
from entsoe_core.plan import Chunk
from entsoe_core.timeline import Interval

# A week across the spring DST change, and a week of a year when prices came by the hour.
START, END = datetime(2024, 3, 25, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC)
DATASETS = ("actual_generation_per_type", "day_ahead_prices", "actual_total_load")
BORDER = "NL>DE_LU"


pytestmark = pytest.mark.filterwarnings(
    # entsoe-py's own: it reads XML with an HTML parser, and sorts in place.
    "ignore::bs4.XMLParsedAsHTMLWarning",
    "ignore:The inplace keyword:DeprecationWarning",
    "ignore:The inplace keyword:FutureWarning",
)


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    with emulator_in_thread(EmulatorConfig(seed=11)) as url:
        yield url


@pytest.fixture(scope="module")
def store(emulator: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The store the settings name, backfilled from the emulator through the Python API."""
    database = tmp_path_factory.mktemp("python-api") / "entsoe.sqlite3"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ENTSOE_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
        patch.setenv("ENTSOE_API_URL", emulator)
        patch.setenv("ENTSOE_API_TOKEN", DEFAULT_TOKEN)
        store = open_store()
        job = store.backfill(["NL", "DE_LU"], DATASETS, START, END)
        flows = store.backfill(BORDER, "cross_border_physical_flows", START, END)
        assert job is not None
        assert flows is not None
        assert job.status == flows.status == "completed", (job, flows)
        assert job.points_written > 0
        yield store


def entsoe_py_text(emulator: str, dataset: str, area: str) -> str:
    """What the emulator answers to the request for ``dataset`` in the period, as entsoe-py
    would receive it."""
    chunk = Chunk(dataset, AREAS.key(area), Interval(START, END))
    params = {**request_params(chunk), "securityToken": DEFAULT_TOKEN}
    answer = httpx.get(emulator, params=params, timeout=30)
    answer.raise_for_status()
    return answer.text


Frame = TypeVar("Frame", pd.DataFrame, "pd.Series[float]")

# entsoe-py's parsers, typed as they behave.
parse_generation = cast(Callable[[str], pd.DataFrame], parsers.parse_generation)
parse_prices = cast(Callable[[str], dict[str, "pd.Series[float]"]], parsers.parse_prices)
parse_loads = cast(Callable[..., pd.DataFrame], parsers.parse_loads)
parse_flows = cast(Callable[[str], "pd.Series[float]"], parsers.parse_crossborder_flows)


def in_period(frame: Frame, area: str) -> Frame:
    """As entsoe-py's client hands it over: in the area's time zone, cut to [START, END)."""
    local = frame.tz_convert(AREAS.get(area).timezone)
    return local[(local.index >= START) & (local.index < END)]


@pytest.mark.parametrize("area", ["NL", "DE_LU"])
def test_generation_per_type_is_the_frame_entsoe_py_parses(
    store: Store, emulator: str, area: str
) -> None:
    theirs = in_period(
        parse_generation(entsoe_py_text(emulator, "actual_generation_per_type", area)),
        area,
    )

    ours = store.read("actual_generation_per_type", area, START, END, wide=True)

    assert isinstance(theirs, pd.DataFrame)
    assert "Solar" in ours.columns.get_level_values(0)
    assert set(ours.columns) == set(theirs.columns)
    pd.testing.assert_frame_equal(ours, theirs[ours.columns], check_freq=False)


def test_the_consumption_of_pumped_storage_is_a_column_apart(store: Store) -> None:
    # The emulator's DE_LU has pumped storage, NL none.
    ours = store.read("actual_generation_per_type", "DE_LU", START, END, wide=True)
    without = store.read("actual_generation_per_type", "NL", START, END, wide=True)

    assert without.columns.nlevels == 1
    assert ours.columns.nlevels == 2
    assert ("Hydro Pumped Storage", "Actual Consumption") in ours.columns
    assert ("Hydro Pumped Storage", "Actual Aggregated") in ours.columns


def test_day_ahead_prices_are_the_series_entsoe_py_parses(store: Store, emulator: str) -> None:
    parsed = parse_prices(entsoe_py_text(emulator, "day_ahead_prices", "NL"))
    theirs = in_period(pd.concat([s for s in parsed.values() if len(s)]).sort_index(), "NL")

    ours = store.read("day_ahead_prices", "NL", START, END, wide=True)

    assert list(ours.columns) == ["NL"]
    pd.testing.assert_series_equal(ours["NL"], theirs, check_names=False, check_freq=False)


def test_load_is_the_frame_entsoe_py_parses(store: Store, emulator: str) -> None:
    text = entsoe_py_text(emulator, "actual_total_load", "NL")
    theirs = in_period(parse_loads(text, process_type="A16"), "NL")

    ours = store.read("actual_total_load", "NL", START, END, wide=True)

    assert list(ours.columns) == ["Actual Load"]
    pd.testing.assert_frame_equal(ours, theirs, check_freq=False)


def test_flows_are_the_series_entsoe_py_parses_in_the_time_zone_of_the_first_area(
    store: Store, emulator: str
) -> None:
    theirs = in_period(
        parse_flows(entsoe_py_text(emulator, "cross_border_physical_flows", BORDER)), "NL"
    )

    ours = store.read("cross_border_physical_flows", BORDER, START, END, wide=True)

    assert list(ours.columns) == [BORDER]
    assert str(pd.DatetimeIndex(ours.index).tz) == "Europe/Amsterdam"
    pd.testing.assert_series_equal(ours[BORDER], theirs, check_names=False, check_freq=False)
