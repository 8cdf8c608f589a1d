"""``POST /backfills?dry_run=true`` and the scopes over real HTTP: the plan is answered, nothing
is written, and it is the body ``entsoe plan --json`` prints."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from entsoe_core.areas import AREAS
from tests.integration.test_http_api import AUTH, assert_problem, client_for, settings_for

ENTSOE = Path(sys.executable).parent / "entsoe"
STRADDLING = {"start": "2018-08-01", "end": "2018-12-01"}


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "plan.sqlite3"


@pytest.fixture
def client(database: Path) -> Iterator[httpx.Client]:
    # No source: a dry run needs none, and nothing could start by mistake.
    with client_for(settings_for(database, "http://127.0.0.1:9")) as found:
        yield found


def dump(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        return list(connection.iterdump())


def dry_run(client: httpx.Client, **body: Any) -> httpx.Response:
    return client.post("/backfills", params={"dry_run": "true"}, json=body, headers=AUTH)


def test_a_dry_run_answers_the_plan_and_writes_nothing(
    client: httpx.Client, database: Path
) -> None:
    assert client.get("/backfills").json() == []
    before = dump(database)

    answer = dry_run(
        client, areas=["NL", "all"], datasets=["actual_total_load"], span="month", **STRADDLING
    )

    assert answer.status_code == 200, answer.text
    assert "location" not in answer.headers
    plan = answer.json()
    groups = {group["area_label"]: group for group in plan["groups"]}
    assert groups["NL"]["chunks"] == 4
    assert groups["NL"]["first"] == {"start": "2018-08-01T00:00:00Z", "end": "2018-09-01T00:00:00Z"}
    assert groups["NL"]["last"] == {"start": "2018-11-01T00:00:00Z", "end": "2018-12-01T00:00:00Z"}
    # DE-AT-LU ended and DE-LU began on 2018-10-01: each is planned within its lifetime.
    assert (groups["DE_AT_LU"]["chunks"], groups["DE_LU"]["chunks"]) == (2, 2)
    assert groups["DE_AT_LU"]["last"]["end"] == groups["DE_LU"]["first"]["start"]
    assert len(plan["areas"]) == len(AREAS)
    assert plan["requests"] == plan["chunks"] == sum(g["chunks"] for g in plan["groups"])
    rate = plan["rate_limit_per_minute"]
    # The default burst of 10 at once, the rest at the refill of the rate less 11.
    after_burst = max(0, plan["requests"] - 10)
    assert plan["budget_seconds"] == pytest.approx(after_burst / (rate - 11) * 60, abs=0.001)
    assert client.get("/backfills").json() == []
    assert dump(database) == before


def test_the_dry_run_and_entsoe_plan_answer_the_same_body(
    client: httpx.Client, database: Path
) -> None:
    body: dict[str, Any] = {
        "areas": ["all-borders"],
        "datasets": ["cross_border_physical_flows"],
        **STRADDLING,
    }
    answer = dry_run(client, **body)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENTSOE_")}
    env["ENTSOE_DATABASE_URL"] = f"sqlite+aiosqlite:///{database}"
    options = ["--area", "all-borders", "--dataset", body["datasets"][0]]
    period = ["--start", body["start"], "--end", body["end"]]
    printed = subprocess.run(
        [str(ENTSOE), "plan", *options, *period, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert answer.status_code == 200, answer.text
    assert json.loads(printed.stdout) == answer.json()
    assert str(AREAS.key("NL>DE_LU")) in answer.json()["areas"]


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"areas": ["all-borders"], "datasets": ["day_ahead_prices"]}, "takes single areas"),
        ({"areas": ["all"], "datasets": ["cross_border_physical_flows"]}, "give all-borders"),
    ],
)
@pytest.mark.parametrize("dry", [True, False])
def test_a_scope_of_the_wrong_kind_is_422_and_nothing_is_written(
    client: httpx.Client, database: Path, body: dict[str, Any], detail: str, dry: bool
) -> None:
    before = dump(database) if database.exists() else None
    answer = client.post(
        "/backfills",
        params={"dry_run": str(dry).lower()},
        json={**body, **STRADDLING},
        headers=AUTH,
    )
    assert_problem(answer, 422, detail=detail)
    assert client.get("/backfills").json() == []
    assert before is None or dump(database) == before


def test_coverage_and_quality_take_the_scopes_too(client: httpx.Client) -> None:
    coverage = client.get(
        "/coverage", params={"area": "all", "dataset": "actual_total_load", **STRADDLING}
    )
    assert coverage.status_code == 200, coverage.text
    periods = {body["area_label"]: (body["start"], body["end"]) for body in coverage.json()}
    assert periods["DE_LU"] == ("2018-10-01T00:00:00Z", "2018-12-01T00:00:00Z")
    assert periods["DE_AT_LU"] == ("2018-08-01T00:00:00Z", "2018-10-01T00:00:00Z")
    quality = client.get(
        "/quality", params={"area": "all-borders", "dataset": "actual_total_load", **STRADDLING}
    )
    assert_problem(quality, 422, detail="takes single areas")
