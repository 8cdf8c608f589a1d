"""The dashboard's page and the routes it reads, over real HTTP: uvicorn on loopback, the
emulator as the source, a SQLite file. The page itself is driven in a browser in
tests/browser/."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import attrs
import httpx
import pytest

from entrypoints.emulator import EmulatorConfig, emulator_in_thread
from entrypoints.http_api.dashboard import CONTENT_SECURITY_POLICY, STATIC
from tests.integration.test_http_api import (
    API_TOKEN,
    HTTP_TOKEN,
    assert_problem,
    client_for,
    run_backfill,
    settings_for,
)

REPOSITORY = Path(__file__).resolve().parents[2]
LOAD_JANUARY = {
    "areas": ["NL"],
    "datasets": ["actual_total_load"],
    "start": "2024-01-01",
    "end": "2024-02-01",
    "span": "month",
}


@attrs.frozen
class Served:
    client: httpx.Client
    job_id: str
    """The job that backfilled NL's actual load of January 2024."""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server whose database holds NL's actual load of January 2024, backfilled over HTTP."""
    database = tmp_path_factory.mktemp("dashboard") / "api.sqlite3"
    with (
        emulator_in_thread(EmulatorConfig(seed=5, token=API_TOKEN)) as api_url,
        client_for(settings_for(database, api_url)) as client,
    ):
        job = run_backfill(client, **LOAD_JANUARY)
        assert job["status"] == "completed", job
        yield Served(client, job["id"])


@pytest.fixture
def server(served: Served) -> httpx.Client:
    return served.client


def test_the_page_its_script_and_style_are_served_under_a_strict_policy(
    server: httpx.Client,
) -> None:
    page = server.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in CONTENT_SECURITY_POLICY
    assert '<script src="/static/dashboard.js"' in page.text
    script = server.get("/static/dashboard.js")
    style = server.get("/static/dashboard.css")
    assert script.status_code == style.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert style.headers["content-type"].startswith("text/css")
    # Nothing is fetched from elsewhere: no address but this server's own paths.
    for text in (page.text, script.text, style.text):
        assert "http://" not in text
        assert "https://" not in text
    assert server.get("/static/nothing.js").status_code == 404


def test_the_page_is_not_in_the_openapi_document(server: httpx.Client) -> None:
    paths = server.get("/schema").json()["paths"]
    assert "/" not in paths
    assert not any(path.startswith("/static") for path in paths)


def test_the_grid_shows_the_backfilled_month_covered_and_the_others_missing(
    server: httpx.Client,
) -> None:
    answer = server.get(
        "/coverage/grid",
        params={
            "dataset": "actual_total_load",
            "area": "NL,BE",
            "start": "2023-12-01",
            "end": "2024-03-01",
        },
    )
    assert answer.status_code == 200, answer.text
    grid = answer.json()
    assert grid["months"] == ["2023-12", "2024-01", "2024-02"]
    assert grid["states"] == ["missing", "holes", "provisional", "no_data", "covered", "outside"]
    rows = {row["area_label"]: row for row in grid["rows"]}
    assert [cell["state"] for cell in rows["NL"]["cells"]] == ["missing", "covered", "missing"]
    assert rows["NL"]["cells"][1]["shares"] == {"covered": 1.0}
    assert rows["NL"]["fetched"] is True
    assert rows["BE"]["fetched"] is False


def test_the_grid_refuses_bad_input_naming_it(server: httpx.Client) -> None:
    unknown = server.get("/coverage/grid", params={"dataset": "actual_total_lode"})
    assert_problem(unknown, 422, detail="actual_total_lode")
    too_long = server.get(
        "/coverage/grid",
        params={"dataset": "actual_total_load", "start": "2014-01-01", "end": "2026-01-01"},
    )
    assert_problem(too_long, 422, detail="10")


def test_without_areas_the_grid_and_freshness_take_every_area_or_border(
    server: httpx.Client,
) -> None:
    params = {"start": "2024-01-01", "end": "2024-02-01"}
    areas = server.get("/coverage/grid", params={"dataset": "actual_total_load", **params})
    borders = server.get(
        "/coverage/grid", params={"dataset": "cross_border_physical_flows", **params}
    )
    assert areas.status_code == borders.status_code == 200, (areas.text, borders.text)
    assert "NL" in [row["area_label"] for row in areas.json()["rows"]]
    assert "NL>BE" in [row["area_label"] for row in borders.json()["rows"]]
    flows = server.get("/freshness", params={"dataset": "cross_border_physical_flows"})
    assert all(">" in row["area_label"] for row in flows.json())
    mixed = server.get(
        "/freshness", params={"dataset": ["actual_total_load", "cross_border_physical_flows"]}
    )
    assert_problem(mixed, 422, detail="all-borders")


def test_freshness_gives_the_newest_stored_instant_and_the_horizon(server: httpx.Client) -> None:
    answer = server.get("/freshness", params={"dataset": "actual_total_load", "area": "NL,BE"})
    assert answer.status_code == 200, answer.text
    found = {row["area_label"]: row for row in answer.json()}
    assert found["NL"]["newest"] == "2024-01-31T23:45:00Z"
    assert found["NL"]["state"] == "behind"
    assert found["NL"]["lag_seconds"] > 0
    assert found["BE"]["newest"] is None
    assert found["BE"]["state"] == "empty"


def test_the_chunks_of_a_cell_and_of_a_job(served: Served) -> None:
    server, job_id = served.client, served.job_id
    cell = server.get(
        "/chunks",
        params={
            "dataset": "actual_total_load",
            "area": "NL",
            "start": "2024-01-01",
            "end": "2024-02-01",
        },
    )
    assert cell.status_code == 200, cell.text
    [chunk] = cell.json()
    assert chunk["job_id"] == job_id
    assert (chunk["status"], chunk["start"], chunk["end"]) == (
        "done",
        "2024-01-01T00:00:00Z",
        "2024-02-01T00:00:00Z",
    )
    assert chunk["points_written"] == 31 * 96
    of_job = server.get(f"/backfills/{job_id}/chunks")
    assert [c["id"] for c in of_job.json()] == [chunk["id"]]
    assert server.get(f"/backfills/{job_id}/chunks", params={"status": "failed"}).json() == []
    nothing = server.get(
        "/chunks",
        params={
            "dataset": "actual_total_load",
            "area": "BE",
            "start": "2024-01-01",
            "end": "2024-02-01",
        },
    )
    assert nothing.json() == []


def test_chunk_lookups_refuse_a_scope_and_an_unknown_job(server: httpx.Client) -> None:
    scope = server.get(
        "/chunks",
        params={
            "dataset": "actual_total_load",
            "area": "all",
            "start": "2024-01-01",
            "end": "2024-02-01",
        },
    )
    assert_problem(scope, 422, detail="one area")
    assert_problem(server.get("/backfills/nope/chunks"), 404, detail="nope")


def test_the_budget_is_the_servers_rate_limit(server: httpx.Client) -> None:
    assert server.get("/budget").json() == {"rate_limit_per_minute": 350.0, "burst": 10}


def test_no_dashboard_answer_holds_a_token(served: Served) -> None:
    server, job_id = served.client, served.job_id
    paths = [
        "/",
        "/static/dashboard.js",
        "/static/dashboard.css",
        "/budget",
        "/coverage/grid?dataset=actual_total_load",
        "/freshness?dataset=actual_total_load",
        f"/backfills/{job_id}/chunks",
        "/coverage/grid?dataset=nope",
    ]
    for path in paths:
        answer = server.get(path)
        for secret in (API_TOKEN, HTTP_TOKEN):
            assert secret not in answer.text, path
            assert secret not in str(answer.headers), path


def test_the_static_files_ship_in_the_wheel(tmp_path: Path) -> None:
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-q",
            "-w",
            str(tmp_path),
            str(REPOSITORY),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("entsoe_backfill-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = {name for name in archive.namelist() if "/static/" in name}
    expected = {f"entrypoints/http_api/static/{p.name}" for p in STATIC.iterdir() if p.is_file()}
    assert expected, "no static files found"
    assert shipped == expected
