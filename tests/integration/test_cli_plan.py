"""``entsoe plan``, the plan ``entsoe backfill`` shows first, the scopes, and ``entsoe datasets``
as real subprocesses on SQLite files."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from entrypoints.dataset_table import markdown_table
from entsoe_core.areas import AREAS
from entsoe_core.datasets import DATASETS

pytestmark = pytest.mark.slow

ENTSOE = Path(sys.executable).parent / "entsoe"

PERIOD = ("--start", "2018-08-01", "--end", "2018-12-01")


def entsoe(
    url: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("ENTSOE_")}
    clean.update(env or {}, ENTSOE_DATABASE_URL=url)
    return subprocess.run(
        [str(ENTSOE), *args], env=clean, capture_output=True, text=True, timeout=120, check=False
    )


def budget_seconds(requests: int, per_minute: int, burst: int = 10) -> float:
    """The burst at once, the rest at the refill (the rate less the burst and one)."""
    return max(0, requests - burst) / (per_minute - burst - 1) * 60


def budget_text(requests: int, per_minute: int) -> str:
    minutes, seconds = divmod(round(budget_seconds(requests, per_minute)), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}"


def url_of(database: Path) -> str:
    return f"sqlite+aiosqlite:///{database}"


def dump(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        return list(connection.iterdump())


def test_plan_prints_the_chunks_by_dataset_and_area_and_writes_nothing(tmp_path: Path) -> None:
    database = tmp_path / "entsoe.sqlite3"
    url = url_of(database)
    assert entsoe(url, "db", "upgrade").returncode == 0
    before = dump(database)

    shown = entsoe(url, "plan", "--area", "NL,all", "--dataset", "actual_total_load", *PERIOD)

    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == (
        f"plan: 1 dataset(s) x {len(AREAS)} area(s) over 2018-08-01 00:00Z..2018-12-01 00:00Z"
    )
    requests = 4 * (len(AREAS) - 2) + 2 + 2
    assert lines[1] == (
        f"  actual_total_load: {requests} chunk(s) in {len(AREAS)} area(s), 2018-08-01..2018-12-01"
    )
    by_area = {line.split()[0]: line for line in lines[2:-1]}
    assert by_area["NL"].split()[1:] == (
        ["4", "chunk(s)", "first", "2018-08-01..2018-09-01", "last", "2018-11-01..2018-12-01"]
    )
    assert by_area["DE_AT_LU"].split()[1:] == (
        ["2", "chunk(s)", "first", "2018-08-01..2018-09-01", "last", "2018-09-01..2018-10-01"]
    )
    assert by_area["DE_LU"].split()[1:] == (
        ["2", "chunk(s)", "first", "2018-10-01..2018-11-01", "last", "2018-11-01..2018-12-01"]
    )
    assert lines[-1] == (
        f"{requests} request(s); at 350 per minute (ENTSOE_RATE_LIMIT_PER_MINUTE) the request "
        f"budget needs {budget_text(requests, 350)}"
    )
    assert dump(database) == before


def test_plan_json_counts_requests_and_the_budget_at_the_configured_rate(tmp_path: Path) -> None:
    database = tmp_path / "entsoe.sqlite3"
    url = url_of(database)
    assert entsoe(url, "db", "upgrade").returncode == 0
    before = dump(database)

    shown = entsoe(
        url,
        "plan",
        "--area",
        "all-borders",
        "--dataset",
        "cross_border_physical_flows",
        *PERIOD,
        "--span",
        "month",
        "--json",
        env={"ENTSOE_RATE_LIMIT_PER_MINUTE": "60"},
    )

    assert shown.returncode == 0, shown.stderr
    body = json.loads(shown.stdout)
    assert body["rate_limit_per_minute"] == 60
    assert body["budget_seconds"] == pytest.approx(budget_seconds(body["requests"], 60), abs=0.001)
    assert body["span"] == "month"
    groups = {group["area_label"]: group["chunks"] for group in body["groups"]}
    assert (groups["NL>DE_LU"], groups["DE_LU>NL"], groups["NL>DE_AT_LU"]) == (2, 2, 2)
    assert all(">" in area for area in body["areas"])
    assert dump(database) == before


@pytest.mark.parametrize("command", ["plan", "backfill"])
@pytest.mark.parametrize(
    ("area", "dataset", "message"),
    [
        (
            "all-borders",
            "actual_total_load",
            "dataset actual_total_load takes single areas (outBiddingZone_Domain), not "
            "all-borders; give all or areas such as NL, DE_LU",
        ),
        (
            "NL,all",
            "cross_border_physical_flows",
            "dataset cross_border_physical_flows is about borders (out_Domain>in_Domain)",
        ),
    ],
)
def test_a_scope_of_the_wrong_kind_is_refused_before_anything_is_written(
    tmp_path: Path, command: str, area: str, dataset: str, message: str
) -> None:
    database = tmp_path / "entsoe.sqlite3"

    refused = entsoe(url_of(database), command, "--area", area, "--dataset", dataset, *PERIOD)

    assert refused.returncode == 2
    assert message in refused.stderr
    assert not database.exists()


def test_backfill_shows_its_plan_in_short_before_the_job(tmp_path: Path) -> None:
    database = tmp_path / "entsoe.sqlite3"

    started = entsoe(
        url_of(database),
        "backfill",
        "--no-run",
        "--area",
        "all",
        "--dataset",
        "day_ahead_prices,actual_total_load",
        *PERIOD,
    )

    assert started.returncode == 0, started.stderr
    lines = started.stderr.splitlines()
    months = 4 * (len(AREAS) - 2) + 2 + 2
    assert lines[:4] == [
        f"plan: 2 dataset(s) x {len(AREAS)} area(s) over 2018-08-01 00:00Z..2018-12-01 00:00Z",
        f"  day_ahead_prices: {len(AREAS)} chunk(s) in {len(AREAS)} area(s), "
        "2018-08-01..2018-12-01",
        f"  actual_total_load: {months} chunk(s) in {len(AREAS)} area(s), 2018-08-01..2018-12-01",
        f"{months + len(AREAS)} request(s); at 350 per minute (ENTSOE_RATE_LIMIT_PER_MINUTE) "
        f"the request budget needs {budget_text(months + len(AREAS), 350)}",
    ]
    job_line = started.stdout.splitlines()[0]
    assert job_line.startswith("job ")
    status = json.loads(entsoe(url_of(database), "status", job_line[4:], "--json").stdout)
    assert status["chunks_total"] == months + len(AREAS)
    assert AREAS.key("DE_AT_LU").code in status["areas"]


def test_datasets_names_the_area_kind_and_renders_the_readme_table(tmp_path: Path) -> None:
    url = url_of(tmp_path / "entsoe.sqlite3")

    listed = json.loads(entsoe(url, "datasets", "--json").stdout)
    text = entsoe(url, "datasets").stdout
    markdown = entsoe(url_of(tmp_path / "never.sqlite3"), "datasets", "--markdown")

    kinds = {body["key"]: body["area_kind"] for body in listed}
    assert kinds == {d.key: "border" if d.is_border else "area" for d in DATASETS}
    assert "A11; border FROM>TO (out_Domain>in_Domain);" in text
    assert "A65/A16; single area (outBiddingZone_Domain);" in text
    assert markdown.returncode == 0, markdown.stderr
    assert markdown.stdout == markdown_table(DATASETS)
    assert not (tmp_path / "never.sqlite3").exists()
