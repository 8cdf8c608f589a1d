"""Exports over real HTTP: /export streams CSV, JSONL and Parquet without the page cap,
/observations pages in every format, and the ``tz`` parameter of the reading routes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from entrypoints.emulator import EmulatorConfig, emulator_in_thread
from entrypoints.wire import EXPORT_FIELDS
from tests.integration.test_http_api import (
    API_TOKEN,
    AUTH,
    SEED,
    all_pages,
    assert_problem,
    client_for,
    expected_rows,
    finished,
    settings_for,
    wait_for,
)

GENERATION = {
    "area": "DE_LU",
    "dataset": "actual_generation_per_type",
    "start": "2024-03-01",
    "end": "2024-03-15",
}
"""Two weeks of quarter-hours of every production type: more rows than a page may hold."""


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A server whose database holds two weeks of DE-LU generation per type."""
    database = tmp_path_factory.mktemp("export") / "api.sqlite3"
    with (
        emulator_in_thread(EmulatorConfig(seed=SEED, token=API_TOKEN)) as url,
        client_for(settings_for(database, url)) as client,
    ):
        body = {
            "areas": [GENERATION["area"]],
            "datasets": [GENERATION["dataset"]],
            "start": GENERATION["start"],
            "end": GENERATION["end"],
        }
        answer = client.post("/backfills", json=body, headers=AUTH)
        assert answer.status_code == 202, answer.text
        job = wait_for(client, answer.json()["id"], finished)
        assert job["status"] == "completed", job
        yield client


@pytest.fixture(scope="module")
def items(client: httpx.Client) -> list[dict[str, Any]]:
    """Every observation as /observations pages it."""
    pages = all_pages(client, {**GENERATION, "limit": 10_000})
    return [item for page in pages for item in page.json()["items"]]


def test_the_store_holds_more_than_a_page(items: list[dict[str, Any]]) -> None:
    start, end = datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 3, 15, tzinfo=UTC)
    assert len(items) == expected_rows(GENERATION["dataset"], "DE_LU", start, end) > 10_000


def test_jsonl_export_streams_every_row_in_one_response(
    client: httpx.Client, items: list[dict[str, Any]]
) -> None:
    with client.stream("GET", "/export", params={**GENERATION, "format": "jsonl"}) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/x-ndjson")
        assert "transfer-encoding" in answer.headers  # streamed, not sized up front
        disposition = answer.headers["content-disposition"]
        text = "".join(answer.iter_text())

    assert disposition == 'attachment; filename="actual_generation_per_type_DE_LU.jsonl"'
    assert [json.loads(line) for line in text.splitlines()] == items


def test_csv_export_has_a_header_and_every_row(
    client: httpx.Client, items: list[dict[str, Any]]
) -> None:
    answer = client.get("/export", params={**GENERATION, "format": "csv"})

    assert answer.headers["content-type"].startswith("text/csv")
    header, *lines = list(csv.reader(io.StringIO(answer.text)))
    assert tuple(header) == EXPORT_FIELDS
    assert [line[header.index("timestamp")] for line in lines] == [i["timestamp"] for i in items]
    assert [float(line[header.index("value")]) for line in lines] == [i["value"] for i in items]


def test_parquet_export_is_one_file_of_row_groups(
    client: httpx.Client, items: list[dict[str, Any]]
) -> None:
    answer = client.get("/export", params={**GENERATION, "format": "parquet"})

    assert answer.headers["content-type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(answer.content))
    assert table.schema.names == list(EXPORT_FIELDS)
    assert table.schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
    stamps = [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in table.column("timestamp").to_pylist()]
    assert stamps == [i["timestamp"] for i in items]
    assert table.column("psr_type").to_pylist() == [i["psr_type"] for i in items]
    assert table.column("value").to_pylist() == [i["value"] for i in items]


def test_export_in_a_time_zone(client: httpx.Client, items: list[dict[str, Any]]) -> None:
    params = {**GENERATION, "start": "2024-03-02", "end": "2024-03-03", "tz": "Europe/Berlin"}

    answer = client.get("/export", params={**params, "format": "jsonl"})
    parquet = client.get("/export", params={**params, "format": "parquet"})

    rows = [json.loads(line) for line in answer.text.splitlines()]
    # Berlin's 2 March is 23:00 UTC on 1 March to 23:00 UTC on 2 March.
    in_utc = [i for i in items if "2024-03-01T23:00:00Z" <= i["timestamp"] < "2024-03-02T23:00:00Z"]
    assert len(rows) == len(in_utc) > 0
    assert rows[0]["timestamp"] == "2024-03-02T00:00:00+01:00"
    assert {row["tz"] for row in rows} == {"Europe/Berlin"}
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.schema.field("timestamp").type == pa.timestamp("us", tz="Europe/Berlin")
    assert table.num_rows == len(in_utc)


def test_observations_pages_in_jsonl_and_parquet(
    client: httpx.Client, items: list[dict[str, Any]]
) -> None:
    jsonl = all_pages(client, {**GENERATION, "format": "jsonl", "limit": 10_000})
    parquet = all_pages(client, {**GENERATION, "format": "parquet", "limit": 10_000})

    rows = [json.loads(line) for page in jsonl for line in page.text.splitlines()]
    assert rows == items
    assert all(p.headers["content-type"] == "application/vnd.apache.parquet" for p in parquet)
    tables = [pq.read_table(io.BytesIO(page.content)) for page in parquet]
    assert [t.num_rows for t in tables] == [len(page.text.splitlines()) for page in jsonl]


def test_observations_in_a_time_zone_say_which(client: httpx.Client) -> None:
    params = {**GENERATION, "start": "2024-03-02T06:00", "tz": "Europe/Berlin", "limit": "1"}

    page = client.get("/observations", params=params).json()
    utc_page = client.get("/observations", params={**GENERATION, "limit": 1}).json()

    assert page["tz"] == "Europe/Berlin"
    assert page["items"][0]["timestamp"] == "2024-03-02T06:00:00+01:00"
    assert utc_page["tz"] == "UTC"
    assert utc_page["items"][0]["timestamp"] == "2024-03-01T00:00:00Z"


def test_coverage_reads_dates_in_the_zone(client: httpx.Client) -> None:
    params = {**GENERATION, "start": "2024-03-02", "end": "2024-03-03", "tz": "Europe/Berlin"}

    (report,) = client.get("/coverage", params=params).json()

    assert report["start"] == "2024-03-01T23:00:00Z"
    assert report["end"] == "2024-03-02T23:00:00Z"


def test_a_backfill_body_names_its_zone(client: httpx.Client) -> None:
    body = {
        "areas": ["NL"],
        "datasets": ["day_ahead_prices"],
        "start": "2024-03-04",
        "end": "2024-03-05",
        "tz": "Europe/Amsterdam",
    }

    answer = client.post("/backfills?dry_run=true", json=body, headers=AUTH)

    assert answer.status_code == 200, answer.text
    assert answer.json()["start"] == "2024-03-03T23:00:00Z"


@pytest.mark.parametrize("route", ["/export", "/observations", "/coverage"])
def test_an_unknown_zone_is_422_naming_it(client: httpx.Client, route: str) -> None:
    answer = client.get(route, params={**GENERATION, "tz": "Europe/Berln"})

    assert_problem(answer, 422, detail="unknown time zone 'Europe/Berln'")


def test_an_export_of_a_scope_is_refused_before_streaming(client: httpx.Client) -> None:
    answer = client.get("/export", params={**GENERATION, "area": "all"})

    assert_problem(answer, 422, detail="one dataset and one area")


def test_an_unknown_export_format_is_422(client: httpx.Client) -> None:
    assert_problem(client.get("/export", params={**GENERATION, "format": "xlsx"}), 422)


# -- a backfill with nothing left to fetch ----------------------------------------------------


def test_a_backfill_of_what_is_stored_is_200_with_its_plan_and_creates_no_job(
    client: httpx.Client,
) -> None:
    jobs_before = client.get("/backfills").json()
    body = {
        "areas": [GENERATION["area"]],
        "datasets": [GENERATION["dataset"]],
        "start": GENERATION["start"],
        "end": GENERATION["end"],
    }

    answer = client.post("/backfills", json=body, headers=AUTH)

    assert answer.status_code == 200, answer.text
    assert "location" not in answer.headers
    plan = answer.json()
    assert (plan["chunks"], plan["targets"], plan["complete"]) == (0, 1, 1)
    assert client.get("/backfills").json() == jobs_before


def test_areas_are_listed_as_entsoe_areas_lists_them(client: httpx.Client) -> None:
    listed = client.get("/areas").json()

    by_alias = {area["alias"]: area for area in listed}
    assert by_alias["DE_LU"]["valid_from"] == "2018-10-01T00:00:00Z"
    assert by_alias["DE_AT_LU"]["valid_until"] == "2018-10-01T00:00:00Z"
    assert "control area" in by_alias["DE_TENNET"]["kinds"]
    assert by_alias["DE"]["choose_instead"][:2] == ["DE_LU", "DE_AT_LU"]


def test_the_servers_entsoe_tz_is_the_default_zone(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "tz.sqlite3", "http://127.0.0.1:9/api", tz="Europe/Berlin")
    params = {**GENERATION, "start": "2024-03-02", "end": "2024-03-03"}

    with client_for(settings) as server:
        (berlin,) = server.get("/coverage", params=params).json()
        (utc,) = server.get("/coverage", params={**params, "tz": "UTC"}).json()

    assert berlin["start"] == "2024-03-01T23:00:00Z"
    assert utc["start"] == "2024-03-02T00:00:00Z"
