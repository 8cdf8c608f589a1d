"""The CLI and the HTTP API render through one module: the same job, coverage and rows."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from entrypoints.http_api import api_in_thread
from entrypoints.settings import Settings
from tests.e2e.harness import Cli, base_environment, jsonl, running_emulator

pytestmark = pytest.mark.slow

WINDOW = ("--start", "2024-01-01", "--end", "2024-01-03")


def test_status_coverage_and_export_print_what_the_http_api_answers(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'entsoe.sqlite3'}"
    with running_emulator(tmp_path, seed=4) as emulator:
        cli = Cli(tmp_path, {**base_environment(), "ENTSOE_DATABASE_URL": url, **emulator.env()})
        job_id = cli("backfill", "--area", "NL", "--dataset", "actual_total_load", *WINDOW).job_id()

    status = json.loads(cli("status", job_id, "--json").ok().stdout)
    jobs = json.loads(cli("jobs", "--json").ok().stdout)
    coverage = json.loads(
        cli("coverage", "--area", "NL", "--dataset", "actual_total_load", *WINDOW, "--json")
        .ok()
        .stdout
    )
    rows = jsonl(
        cli("export", "--area", "NL", "--dataset", "actual_total_load", *WINDOW).ok().stdout
    )

    with api_in_thread(Settings(database_url=url)) as base, httpx.Client(base_url=base) as http:
        assert status == http.get(f"/backfills/{job_id}").json()
        assert jobs == http.get("/backfills").json()
        assert (
            coverage
            == http.get(
                "/coverage",
                params={
                    "area": "NL",
                    "dataset": "actual_total_load",
                    "start": WINDOW[1],
                    "end": WINDOW[3],
                },
            ).json()
        )
        page = http.get(
            "/observations",
            params={
                "area": "NL",
                "dataset": "actual_total_load",
                "start": WINDOW[1],
                "end": WINDOW[3],
                "limit": 10_000,
            },
        ).json()
    assert status["status"] == "completed"
    assert len(rows) == 2 * 96
    assert rows == page["items"]
