"""The HTTP API over real HTTP: uvicorn on loopback, the emulator as the source, SQLite files."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

from adapters.sqlalchemy import SqlUnitOfWorkFactory
from entrypoints.emulator import (
    EmulatorConfig,
    FaultSettings,
    SyntheticModel,
    emulator_in_thread,
    expected_value,
)
from entrypoints.http_api import api_in_thread, shaped
from entrypoints.settings import BackfillSettings, Secret, Settings
from entrypoints.wire import EXPORT_FIELDS, SPARSE_FIELDS
from entsoe_core.areas import AREAS
from entsoe_core.datasets import DATASETS
from entsoe_core.limits import LearnedLimit, RequestSpan
from entsoe_core.observations import SeriesKey
from entsoe_core.timeline import Interval, utc
from tests.integration.databases import open_engine, run_blocking

SEED = 4242
API_TOKEN = "emulator-secret-4242"
HTTP_TOKEN = "http-secret-0f9a"
AUTH = {"Authorization": f"Bearer {HTTP_TOKEN}"}
PROBLEM = "application/problem+json"
KEY_FIELDS = tuple(a.name for a in attrs.fields(SeriesKey))
ROUTES = {
    ("post", "/backfills"),
    ("get", "/backfills"),
    ("get", "/backfills/{job_id}"),
    ("post", "/backfills/{job_id}/resume"),
    ("post", "/backfills/{job_id}/cancel"),
    ("get", "/coverage"),
    ("get", "/observations"),
    ("get", "/export"),
    ("get", "/quality"),
    ("get", "/health"),
    ("get", "/datasets"),
    ("get", "/areas"),
    ("get", "/metrics"),
    ("get", "/coverage/grid"),
    ("get", "/freshness"),
    ("get", "/chunks"),
    ("get", "/backfills/{job_id}/chunks"),
    ("get", "/budget"),
}


# -- support --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    with emulator_in_thread(EmulatorConfig(seed=SEED, token=API_TOKEN)) as url:
        yield url


def settings_for(database: Path, api_url: str, **changes: Any) -> Settings:
    """Settings of a server on ``database`` fetching from ``api_url``, quick to give up."""
    tuning = BackfillSettings(retry_attempts=2, retry_base_seconds=0.01, retry_max_seconds=0.05)
    base = Settings(
        database_url=f"sqlite+aiosqlite:///{database}",
        api_url=api_url,
        api_token=Secret(API_TOKEN),
        http_token=Secret(HTTP_TOKEN),
        backfill=tuning,
    )
    return attrs.evolve(base, **changes)


@contextlib.contextmanager
def client_for(settings: Settings) -> Iterator[httpx.Client]:
    with api_in_thread(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def wait_for(client: httpx.Client, job_id: str, done: Any) -> dict[str, Any]:
    """Poll the job until ``done(job)``; fails (rather than hangs) if that never happens."""
    for _ in range(1200):
        job: dict[str, Any] = client.get(f"/backfills/{job_id}").json()
        if done(job):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never got there; last seen: {job}")


def finished(job: dict[str, Any]) -> bool:
    return job["status"] in ("completed", "failed", "cancelled") and not job["running"]


def backfill_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "areas": ["DE_LU"],
        "datasets": ["day_ahead_prices"],
        "start": "2024-03-04",
        "end": "2024-03-06",
        "span": "day",
    }
    body.update(changes)
    return body


def run_backfill(client: httpx.Client, **changes: Any) -> dict[str, Any]:
    answer = client.post("/backfills", json=backfill_body(**changes), headers=AUTH)
    assert answer.status_code == 202, answer.text
    return wait_for(client, answer.json()["id"], finished)


def assert_problem(answer: httpx.Response, status: int, *, detail: str = "") -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    problem = answer.json()
    assert problem["status"] == status
    assert problem["instance"] == answer.request.url.path
    assert problem["type"]
    assert problem["title"]
    assert detail.lower() in problem["detail"].lower(), problem
    assert API_TOKEN not in answer.text
    assert HTTP_TOKEN not in answer.text
    found: dict[str, Any] = problem
    return found


def expected_rows(dataset: str, area: str, start: datetime, end: datetime) -> int:
    return sum(
        len(series.points)
        for series in SyntheticModel(SEED).published_series(
            DATASETS.get(dataset), AREAS.key(area), Interval(start, end), now=datetime.now(UTC)
        )
    )


def all_pages(client: httpx.Client, params: dict[str, Any]) -> list[httpx.Response]:
    pages = []
    cursor = None
    for _ in range(1000):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = client.get("/observations", params=query)
        assert page.status_code == 200, page.text
        pages.append(page)
        cursor = page.headers.get("x-next-cursor")
        if cursor is None:
            return pages
    raise AssertionError("the cursor never ran out")


# -- a server with data ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded(emulator: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A server whose database holds two days of DE-LU prices, backfilled over HTTP."""
    database = tmp_path_factory.mktemp("loaded") / "api.sqlite3"
    with client_for(settings_for(database, emulator)) as client:
        yield client


@pytest.fixture(scope="module")
def prices_job(loaded: httpx.Client) -> dict[str, Any]:
    return run_backfill(loaded)


def test_a_backfill_started_over_http_runs_in_the_background_to_the_end(
    loaded: httpx.Client,
) -> None:
    answer = loaded.post("/backfills", json=backfill_body(areas=["NL"]), headers=AUTH)

    assert answer.status_code == 202
    job = answer.json()
    assert answer.headers["location"] == str(loaded.base_url.join(f"/backfills/{job['id']}"))
    assert job["status"] in ("pending", "in_progress")
    assert job["chunks_total"] == 2
    assert job["areas"] == [AREAS.get("NL").code]
    done = wait_for(loaded, job["id"], finished)
    assert done["status"] == "completed"
    assert done["chunks"]["done"] == 2
    assert done["points_written"] == expected_rows(
        "day_ahead_prices", "NL", utc(2024, 3, 4), utc(2024, 3, 6)
    )


def test_jobs_are_listed_and_filtered_by_status(
    loaded: httpx.Client, prices_job: dict[str, Any]
) -> None:
    every = loaded.get("/backfills")
    completed = loaded.get("/backfills", params={"status": "completed"})
    failed = loaded.get("/backfills", params=[("status", "failed"), ("status", "cancelled")])

    assert prices_job["id"] in [j["id"] for j in every.json()]
    assert prices_job["id"] in [j["id"] for j in completed.json()]
    assert all(j["status"] == "completed" for j in completed.json())
    assert prices_job["id"] not in [j["id"] for j in failed.json()]
    assert loaded.get(f"/backfills/{prices_job['id']}").json() == prices_job


def test_a_job_list_holds_the_newest_as_asked_and_counts_them_all(
    loaded: httpx.Client, prices_job: dict[str, Any]
) -> None:
    every = loaded.get("/backfills")
    newest = loaded.get("/backfills", params={"limit": 1})
    completed = loaded.get("/backfills", params={"status": "completed", "limit": 1})

    assert every.headers["x-total-count"] == str(len(every.json())) != "0"
    assert newest.json() == every.json()[:1]
    assert newest.headers["x-total-count"] == every.headers["x-total-count"]
    done = [j for j in every.json() if j["status"] == "completed"]
    assert completed.json() == done[:1]
    assert completed.headers["x-total-count"] == str(len(done))
    assert_problem(loaded.get("/backfills", params={"limit": 0}), 422, detail="limit")


def test_coverage_shows_what_the_backfill_covered(
    loaded: httpx.Client, prices_job: dict[str, Any]
) -> None:
    answer = loaded.get(
        "/coverage",
        params={
            "area": "DE_LU",
            "dataset": "day_ahead_prices",
            "start": "2024-03-01",
            "end": "2024-03-10T00:00:00+00:00",
        },
    )

    assert answer.status_code == 200
    [report] = answer.json()
    assert report["area_label"] == "DE_LU"
    assert report["covered"] == [{"start": "2024-03-04T00:00:00Z", "end": "2024-03-06T00:00:00Z"}]
    assert report["missing"] == [
        {"start": "2024-03-01T00:00:00Z", "end": "2024-03-04T00:00:00Z"},
        {"start": "2024-03-06T00:00:00Z", "end": "2024-03-10T00:00:00Z"},
    ]


PRICES = {
    "area": "DE_LU",
    "dataset": "day_ahead_prices",
    "start": "2024-03-04",
    "end": "2024-03-06",
}


def test_json_pages_hold_every_observation_once_in_order(
    loaded: httpx.Client, prices_job: dict[str, Any]
) -> None:
    pages = all_pages(loaded, {**PRICES, "limit": 37})

    items = [item for page in pages for item in page.json()["items"]]
    assert len(pages) > 2
    assert all(len(page.json()["items"]) == 37 for page in pages[:-1])
    assert [page.json()["next_cursor"] for page in pages[:-1]] == [
        page.headers["x-next-cursor"] for page in pages[:-1]
    ]
    assert pages[-1].json()["next_cursor"] is None
    assert len(items) == prices_job["points_written"]
    positions = [(i["timestamp"], *(i.get(f, "") for f in KEY_FIELDS)) for i in items]
    assert positions == sorted(set(positions))
    assert len({position[1:] for position in positions}) > 1  # pages run across series
    for item in items:
        key = SeriesKey(*(item.get(f, "") for f in KEY_FIELDS))
        instant = datetime.fromisoformat(item["timestamp"].replace("Z", "+00:00"))
        assert item["value"] == expected_value(SEED, "day_ahead_prices", key, instant)


def test_csv_pages_match_the_json_ones(loaded: httpx.Client, prices_job: dict[str, Any]) -> None:
    json_items = loaded.get("/observations", params={**PRICES, "limit": 10000}).json()["items"]
    pages = all_pages(loaded, {**PRICES, "format": "csv", "limit": 50})

    rows: list[list[str]] = []
    for page in pages:
        assert page.headers["content-type"].startswith("text/csv")
        header, *lines = csv.reader(io.StringIO(page.text))
        assert tuple(header) == EXPORT_FIELDS
        rows.extend(lines)
    assert len(pages) == -(-len(json_items) // 50)
    assert "x-next-cursor" not in pages[-1].headers
    # A price has no price category: its JSON item leaves the field out, its CSV row has it
    # empty. Both keep the documented order, timestamp first.
    assert all(
        list(item) == [f for f in EXPORT_FIELDS if f not in SPARSE_FIELDS] for item in json_items
    )
    assert rows == [[str(item.get(field, "")) for field in EXPORT_FIELDS] for item in json_items]
    assert {(item["unit"], item["area"], item["area_name"]) for item in json_items} == {
        ("EUR/MWh", "DE_LU", "DE-LU BZ / MBA")
    }


def test_a_wide_read_has_a_field_per_series_and_a_row_per_instant(
    loaded: httpx.Client, prices_job: dict[str, Any]
) -> None:
    items = loaded.get("/observations", params={**PRICES, "limit": 10000}).json()["items"]
    wide = loaded.get("/observations", params={**PRICES, "wide": "true"})
    as_csv = loaded.get("/observations", params={**PRICES, "wide": "true", "format": "csv"})

    assert wide.status_code == 200, wide.text
    body = wide.json()
    # DE-LU publishes two classification positions: each is a column of its own.
    assert body["fields"] == ["timestamp", "unit", "DE_LU / 1", "DE_LU / 2"]
    assert body["next_cursor"] is None
    rows = {row["timestamp"]: row for row in body["items"]}
    assert list(rows) == sorted(rows) == sorted({item["timestamp"] for item in items})
    for item in items:
        column = f"DE_LU / {item['classification_position']}"
        assert rows[item["timestamp"]][column] == item["value"]
    assert {row["unit"] for row in rows.values()} == {"EUR/MWh"}
    header, *lines = csv.reader(io.StringIO(as_csv.text))
    assert header == body["fields"]
    assert len(lines) == len(rows)


def test_a_shaped_read_in_a_zone_carries_its_offset_and_names_it(
    loaded: httpx.Client, prices_job: dict[str, Any]
) -> None:
    # The period in UTC, so that the zone changes how instants are written, not which.
    shape = {**PRICES, "start": "2024-03-04T00:00:00Z", "end": "2024-03-06T00:00:00Z"}
    in_utc = loaded.get("/observations", params={**shape, "wide": "true"}).json()
    local = loaded.get(
        "/observations", params={**shape, "wide": "true", "tz": "Europe/Berlin"}
    ).json()
    lines = loaded.get(
        "/observations",
        params={**shape, "wide": "true", "tz": "Europe/Berlin", "format": "jsonl"},
    )

    assert local["fields"] == [*in_utc["fields"], "tz"]
    assert len(local["items"]) == len(in_utc["items"]) > 0
    for there, here in zip(in_utc["items"], local["items"], strict=True):
        assert here["tz"] == "Europe/Berlin"
        assert here["timestamp"].endswith("+01:00")
        assert datetime.fromisoformat(here["timestamp"]) == datetime.fromisoformat(
            there["timestamp"]
        )
        assert {k: v for k, v in here.items() if k not in ("timestamp", "tz")} == {
            k: v for k, v in there.items() if k != "timestamp"
        }
    assert lines.headers["content-type"].startswith("application/x-ndjson")
    assert [json.loads(line) for line in lines.text.splitlines()] == local["items"]


def test_a_resolution_rule_gives_one_series_at_that_resolution(
    loaded: httpx.Client, prices_job: dict[str, Any]
) -> None:
    native = loaded.get("/observations", params={**PRICES, "limit": 10000}).json()["items"]
    hourly = loaded.get("/observations", params={**PRICES, "resolution": "PT60M:mean"}).json()

    assert {item["resolution"] for item in native} >= {"PT15M"}
    assert {item["resolution"] for item in hourly["items"]} == {"PT60M"}
    assert hourly["fields"] == list(EXPORT_FIELDS)
    quarters = [
        i["value"]
        for i in native
        if i["resolution"] == "PT15M" and i["timestamp"][:13] == "2024-03-04T10"
    ]
    position = next(i for i in native if i["resolution"] == "PT15M")["classification_position"]
    (mean,) = [
        i["value"]
        for i in hourly["items"]
        if i["timestamp"] == "2024-03-04T10:00:00Z" and i["classification_position"] == position
    ]
    assert mean == pytest.approx(sum(quarters) / len(quarters))


def test_a_shaped_read_longer_than_one_answer_is_refused_not_cut(
    loaded: httpx.Client, prices_job: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shaped, "MAX_ROWS", 100)

    answer = loaded.get("/observations", params={**PRICES, "wide": "true"})

    assert_problem(answer, 422, detail="rows in this shape, more than the 100 one answer holds")


def test_reading_starts_over_without_a_cursor_and_refuses_a_forged_one(
    loaded: httpx.Client, prices_job: dict[str, Any]
) -> None:
    first = loaded.get("/observations", params={**PRICES, "limit": 5})
    again = loaded.get("/observations", params={**PRICES, "limit": 5})
    forged = loaded.get("/observations", params={**PRICES, "cursor": "bm90LWEtY3Vyc29y"})

    assert first.json() == again.json()
    assert_problem(forged, 422, detail="cursor")


# -- auth -----------------------------------------------------------------------------------


def test_mutating_routes_need_the_bearer_token(
    loaded: httpx.Client, prices_job: dict[str, Any]
) -> None:
    job = prices_job["id"]
    for path in ("/backfills", f"/backfills/{job}/resume", f"/backfills/{job}/cancel"):
        missing = loaded.post(path, json=backfill_body())
        wrong = loaded.post(path, json=backfill_body(), headers={"Authorization": "Bearer nope"})
        basic = loaded.post(path, json=backfill_body(), headers={"Authorization": "Basic eDp5"})

        assert_problem(missing, 401, detail="Authorization: Bearer")
        assert missing.headers["www-authenticate"].startswith("Bearer")
        assert_problem(wrong, 401, detail="not the one")
        assert 'error="invalid_token"' in wrong.headers["www-authenticate"]
        assert_problem(basic, 401)
    assert loaded.get(f"/backfills/{job}").json()["status"] == "completed"


def test_reading_routes_need_no_token(loaded: httpx.Client, prices_job: dict[str, Any]) -> None:
    for path in ("/health", "/backfills", f"/backfills/{prices_job['id']}", "/schema"):
        assert loaded.get(path).status_code == 200
    assert loaded.get("/observations", params=PRICES).status_code == 200


def test_without_a_token_mutating_routes_are_refused(emulator: str, tmp_path: Path) -> None:
    with client_for(settings_for(tmp_path / "db.sqlite3", emulator, http_token=None)) as client:
        refused = client.post("/backfills", json=backfill_body(), headers=AUTH)
        resume = client.post("/backfills/abc/resume")
        listed = client.get("/backfills")

    assert_problem(refused, 403, detail="ENTSOE_HTTP_ALLOW_UNAUTHENTICATED")
    assert_problem(resume, 403)
    assert listed.json() == []


def test_allowing_unauthenticated_use_opens_them(emulator: str, tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path / "db.sqlite3", emulator, http_token=None, http_allow_unauthenticated=True
    )
    with client_for(settings) as client:
        answer = client.post("/backfills", json=backfill_body())
        job = wait_for(client, answer.json()["id"], finished)

    assert answer.status_code == 202
    assert job["status"] == "completed"


# -- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"areas": ["ATLANTIS"]}, "unknown area"),
        ({"datasets": ["weather"]}, "weather"),
        ({"start": "2024-03-04T00:00"}, "no UTC offset"),
        ({"start": "yesterday"}, "not a date"),
        ({"end": "2024-03-01"}, "must be after"),
        ({"span": "fortnight"}, "span"),
        ({"areas": []}, "areas"),
        ({"extra": 1}, "unknown field `extra`"),
        ({"areas": "NL"}, "areas"),
        ({"start": "2019-01-01"}, "years"),
        ({"start": "2001-01-01"}, "start 2001-01-01T00:00:00+00:00 is outside the range"),
        ({"start": "9999-12-30", "end": "9999-12-31"}, "2014-01-01 to 2100-01-01"),
        ({"end": "9999-12-31T23:00-05:00"}, "outside the range"),
    ],
)
def test_invalid_backfills_are_422(
    loaded: httpx.Client, changes: dict[str, Any], detail: str
) -> None:
    before = len(loaded.get("/backfills").json())

    answer = loaded.post("/backfills", json=backfill_body(**changes), headers=AUTH)

    assert_problem(answer, 422, detail=detail)
    assert len(loaded.get("/backfills").json()) == before


def test_a_body_that_is_not_json_is_422(loaded: httpx.Client) -> None:
    answer = loaded.post(
        "/backfills", content=b"{areas", headers={**AUTH, "content-type": "application/json"}
    )

    assert_problem(answer, 422, detail="JSON")


GOOD_BODY = b'{"areas": ["NL"], "datasets": ["actual_total_load"], "start": "2024-03-04", '


@pytest.mark.parametrize(
    ("content", "content_type", "status", "detail"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "application/json", 422, "deeper than can be decoded"),
        (b'{"a": ' * 100_000, "application/json", 422, "nested"),
        (b"[" * 17 + b"]" * 17, "application/json", 422, "nested 17 levels deep; at most 16"),
        (
            GOOD_BODY + b'"end": "2024-03-06", "x": ' + b"[" * 900 + b"]" * 900 + b"}",
            "application/json",
            422,
            "nested 901 levels deep",
        ),
        (GOOD_BODY + b'"end": "2024-03-\xff\xfe"}', "application/json", 422, "byte 0xff at offset"),
        (b'{"areas": ["\xff\xfe"]}', "application/json", 422, "is not UTF-8"),
        (b"", "application/json", 422, "not valid JSON"),
        (b'{"areas": ["NL"],}', "application/json", 422, "not valid JSON"),
        (GOOD_BODY + b'"end": "2024-03-06"}', "text/plain", 415, "got 'text/plain'"),
        (GOOD_BODY + b'"end": "2024-03-06"}', "application/x-www-form-urlencoded", 415, "JSON"),
        (GOOD_BODY + b'"end": "2024-03-06"}', "application/json; charset=latin-1", 415, "UTF-8"),
        (GOOD_BODY + b'"end": "2024-03-06"}', None, 415, "no Content-Type"),
        (b'{"areas": ["' + b"N" * 2_000_000 + b'"]}', "application/json", 413, "1048576 bytes"),
    ],
    ids=[
        "arrays 100000 deep",
        "objects 100000 deep",
        "arrays 17 deep",
        "an extra field 900 deep",
        "invalid UTF-8 in a date",
        "invalid UTF-8 in a name",
        "empty",
        "malformed",
        "text",
        "a form",
        "latin-1",
        "no content type",
        "2 MB",
    ],
)
def test_a_body_that_cannot_be_a_backfill_is_a_problem_and_starts_nothing(
    loaded: httpx.Client, content: bytes, content_type: str | None, status: int, detail: str
) -> None:
    before = len(loaded.get("/backfills").json())
    headers = {**AUTH, **({"content-type": content_type} if content_type else {})}

    answer = loaded.post("/backfills", content=content, headers=headers)

    assert_problem(answer, status, detail=detail)
    assert len(loaded.get("/backfills").json()) == before


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 10001}, "limit"),
        ({"format": "xml"}, "format"),
        ({"start": "2024-13-01"}, "not a date"),
        ({"area": "DE_LU>FR"}, ""),
        ({"cursor": "%%%"}, "cursor"),
        ({"start": "9999-12-30", "end": "9999-12-31"}, "2014-01-01 to 2100-01-01"),
        ({"start": "2013-06-01"}, "start 2013-06-01T00:00:00+00:00 is outside the range"),
        ({"resolution": "hourly"}, "unknown resolution 'hourly'; accepted: native, finest"),
        ({"wide": "true", "cursor": "abc"}, "leave the cursor out"),
        ({"wide": "true", "format": "parquet"}, "answers json, csv, jsonl, not parquet"),
        ({"resolution": "PT30M:mean"}, "series at PT60M are coarser than PT30M"),
    ],
)
def test_invalid_reads_are_422(loaded: httpx.Client, changes: dict[str, Any], detail: str) -> None:
    assert_problem(loaded.get("/observations", params={**PRICES, **changes}), 422, detail=detail)


@pytest.mark.parametrize(
    ("window", "detail"),
    [
        ({"start": "9999-12-30", "end": "9999-12-31"}, "start 9999-12-30T00:00:00+00:00"),
        ({"end": "9999-12-31"}, "end 9999-12-31T00:00:00+00:00 is outside the range"),
        ({"start": "2000-01-01", "end": "2001-01-01"}, "2014-01-01 to 2100-01-01"),
    ],
)
def test_coverage_outside_the_sane_range_is_422(
    loaded: httpx.Client, window: dict[str, str], detail: str
) -> None:
    params = {"area": "NL", "dataset": "actual_total_load", **window}

    assert_problem(loaded.get("/coverage", params=params), 422, detail=detail)


def test_missing_parameters_are_422_naming_them(loaded: httpx.Client) -> None:
    observations = assert_problem(loaded.get("/observations", params={"area": "NL"}), 422)
    coverage = assert_problem(loaded.get("/coverage", params={"dataset": "x"}), 422)

    assert re.search(r"'(dataset|start|end)'", observations["detail"])
    assert "'area'" in coverage["detail"]


def test_unknown_jobs_are_404(loaded: httpx.Client) -> None:
    assert_problem(loaded.get("/backfills/no-such-job"), 404, detail="no-such-job")
    assert_problem(loaded.post("/backfills/no-such-job/resume", headers=AUTH), 404)
    assert_problem(loaded.post("/backfills/no-such-job/cancel", headers=AUTH), 404)
    assert_problem(loaded.get("/no/such/route"), 404)


def test_illegal_transitions_are_409(loaded: httpx.Client, prices_job: dict[str, Any]) -> None:
    cancelled = loaded.post(f"/backfills/{prices_job['id']}/cancel", headers=AUTH)
    resumed = loaded.post(f"/backfills/{prices_job['id']}/resume", headers=AUTH)

    assert_problem(cancelled, 409, detail="cannot go from 'completed' to 'cancelled'")
    assert resumed.status_code == 200  # a completed job has nothing left to run
    assert resumed.json()["status"] == "completed"
    assert "location" not in resumed.headers


def test_a_cancelled_job_cannot_be_resumed_or_cancelled_again(
    emulator: str, tmp_path: Path
) -> None:
    slow = EmulatorConfig(
        seed=SEED, token=API_TOKEN, faults=FaultSettings(slow=1.0, slow_seconds=0.2)
    )
    with (
        emulator_in_thread(slow) as api_url,
        client_for(settings_for(tmp_path / "db.sqlite3", api_url)) as client,
    ):
        started = client.post("/backfills", json=backfill_body(end="2024-03-20"), headers=AUTH)
        job_id = started.json()["id"]
        cancelled = client.post(f"/backfills/{job_id}/cancel", headers=AUTH)
        settled = wait_for(client, job_id, finished)
        resumed = client.post(f"/backfills/{job_id}/resume", headers=AUTH)
        again = client.post(f"/backfills/{job_id}/cancel", headers=AUTH)

    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert settled["status"] == "cancelled"
    assert settled["chunks"]["pending"] == settled["chunks"]["in_flight"] == 0
    assert settled["chunks"]["cancelled"] > 0
    assert_problem(resumed, 409, detail="cancelled")
    assert_problem(again, 409)


def test_without_an_api_token_reads_work_and_backfills_are_503(
    emulator: str, tmp_path: Path
) -> None:
    with client_for(settings_for(tmp_path / "db.sqlite3", emulator, api_token=None)) as client:
        health = client.get("/health")
        started = client.post("/backfills", json=backfill_body(), headers=AUTH)
        resumed = client.post("/backfills/abc/resume", headers=AUTH)
        invalid = client.post("/backfills", json=backfill_body(areas=["ATLANTIS"]), headers=AUTH)
        listed = client.get("/backfills")

    assert health.status_code == 200
    assert health.json()["source"] == "not configured"
    assert "ENTSOE_API_TOKEN" in health.json()["source_detail"]
    assert_problem(started, 503, detail="ENTSOE_API_TOKEN")
    assert_problem(resumed, 503, detail="cannot fetch")
    assert_problem(invalid, 422)
    assert listed.json() == []


def test_a_source_address_that_is_not_a_url_is_503_for_backfills(
    emulator: str, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path / "db.sqlite3", "web-api.example/api")
    with client_for(settings) as client:
        health = client.get("/health").json()
        started = client.post("/backfills", json=backfill_body(), headers=AUTH)

    assert health["source"] == "not configured"
    assert "ENTSOE_API_URL" in health["source_detail"]
    assert_problem(started, 503, detail="ENTSOE_API_URL")


def test_an_unavailable_database_is_503(emulator: str, tmp_path: Path) -> None:
    database = tmp_path / "no" / "such" / "folder" / "db.sqlite3"
    with client_for(settings_for(database, emulator)) as client:
        answers = [
            client.get("/health"),
            client.get("/backfills"),
            client.get("/backfills/abc"),
            client.get("/observations", params=PRICES),
            client.post("/backfills", json=backfill_body(), headers=AUTH),
        ]

    for answer in answers:
        problem = assert_problem(answer, 503, detail="database")
        assert str(tmp_path) not in problem["detail"]


def test_a_source_that_refuses_the_token_fails_chunks_not_requests(
    tmp_path: Path,
) -> None:
    wrong = EmulatorConfig(seed=SEED, token="another-token")
    with (
        emulator_in_thread(wrong) as api_url,
        client_for(settings_for(tmp_path / "db.sqlite3", api_url)) as client,
    ):
        started = client.post("/backfills", json=backfill_body(), headers=AUTH)
        failed = wait_for(client, started.json()["id"], finished)
        resumed = client.post(f"/backfills/{failed['id']}/resume", headers=AUTH)
        again = wait_for(client, failed["id"], finished)

    assert started.status_code == 202
    assert failed["status"] == "failed"
    assert failed["chunks"]["failed"] == 2
    assert "401" in failed["last_error"] or "token" in failed["last_error"].lower()
    assert API_TOKEN not in failed["last_error"]
    assert resumed.status_code == 202
    assert again["status"] == "failed"
    assert again["requests"] > failed["requests"]


# -- stopping and starting again ------------------------------------------------------------


def test_a_backfill_stopped_with_the_server_is_resumed_after_a_restart(tmp_path: Path) -> None:
    slow = EmulatorConfig(
        seed=SEED, token=API_TOKEN, faults=FaultSettings(slow=1.0, slow_seconds=0.2)
    )
    tuning = BackfillSettings(max_requests_in_flight=2)
    with emulator_in_thread(slow) as api_url:
        settings = settings_for(tmp_path / "db.sqlite3", api_url, backfill=tuning)
        with client_for(settings) as client:
            started = client.post("/backfills", json=backfill_body(end="2024-03-14"), headers=AUTH)
            job_id = started.json()["id"]
            wait_for(client, job_id, lambda job: job["chunks"]["done"] >= 2)

        with client_for(settings) as client:
            stopped = client.get(f"/backfills/{job_id}").json()
            resumed = client.post(f"/backfills/{job_id}/resume", headers=AUTH)
            done = wait_for(client, job_id, finished)
            items = client.get(
                "/observations", params={**PRICES, "end": "2024-03-14", "limit": 10000}
            ).json()["items"]

    assert stopped["status"] == "in_progress"
    assert not stopped["running"]
    assert stopped["chunks"]["in_flight"] == 0  # handed back when the server stopped
    assert 2 <= stopped["chunks"]["done"] < stopped["chunks_total"] == 10
    assert resumed.status_code == 202
    assert resumed.headers["location"].endswith(f"/backfills/{job_id}")
    assert done["status"] == "completed"
    assert done["chunks"]["done"] == 10
    assert len(items) == expected_rows(
        "day_ahead_prices", "DE_LU", utc(2024, 3, 4), utc(2024, 3, 14)
    )


# -- datasets and learned limits ------------------------------------------------------------


async def _learn(database: Path, limit: LearnedLimit) -> None:
    async with (
        open_engine(f"sqlite+aiosqlite:///{database}") as engine,
        SqlUnitOfWorkFactory(engine)() as uow,
    ):
        await uow.limits.learn(limit)
        await uow.commit()


def test_datasets_show_the_catalogue_and_what_refusals_taught(
    emulator: str, tmp_path: Path
) -> None:
    database = tmp_path / "api.sqlite3"
    refusal = "larger than maximum allowed period 'P1M' for 'ENERGY_PRICES:XML' export"
    with client_for(settings_for(database, emulator)) as client:
        before = client.get("/datasets")
        run_blocking(
            lambda: _learn(
                database,
                LearnedLimit("day_ahead_prices", RequestSpan(months=1), utc(2026, 9, 3), refusal),
            )
        )
        after = {d["key"]: d for d in client.get("/datasets").json()}
        job = run_backfill(client)

    assert before.status_code == 200
    assert [d["key"] for d in before.json()] == list(DATASETS.keys)
    assert all(d["learned_limit"] is None for d in before.json())
    assert after["day_ahead_prices"] == {
        "key": "day_ahead_prices",
        "title": "Day-ahead prices",
        "document_type": "A44",
        "process_type": None,
        "business_type": None,
        "contract_type": "A01",
        "domain": "in_Domain=out_Domain",
        "area_kind": "area",
        "catalogue_limit": "P1Y",
        "learned_limit": "P1M",
        "learned_at": "2026-09-03T00:00:00Z",
        "learned_message": refusal,
        "effective_limit": "P1M",
        "publication_horizon": "P2D",
        "resolutions": ["PT15M", "PT30M", "PT60M"],
        "unit": "EUR/MWh",
    }
    assert after["actual_total_load"]["learned_limit"] is None
    assert job["status"] == "completed"
    assert job["chunks"]["split"] == 0
    assert job["span"] == "day"
    assert job["learned_limits"] == [
        {
            "dataset": "day_ahead_prices",
            "limit": "P1M",
            "learned_at": "2026-09-03T00:00:00Z",
            "message": refusal,
        }
    ]


# -- the OpenAPI document and the command ---------------------------------------------------


def test_the_openapi_document_describes_every_route(loaded: httpx.Client) -> None:
    document = loaded.get("/schema").json()

    routes = {(method, path) for path, item in document["paths"].items() for method in item}
    assert routes == ROUTES
    for method, path in ROUTES:
        operation = document["paths"][path][method]
        assert "400" not in operation["responses"]
        if method == "post":
            assert operation["security"] == [{"bearerToken": []}]
            assert "401" in operation["responses"]
    observations = document["paths"]["/observations"]["get"]["responses"]["200"]
    assert set(observations["content"]) == {
        "application/json",
        "text/csv",
        "application/x-ndjson",
        "application/vnd.apache.parquet",
    }
    quality = document["paths"]["/quality"]["get"]["responses"]["200"]
    assert set(quality["content"]) == {"application/json", "text/csv"}


def test_entsoe_serve_starts_the_api_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("ENTSOE_")}
    env["ENTSOE_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    command = [
        sys.executable,
        "-c",
        "from entrypoints.cli import run; run()",
        "serve",
        "--port",
        "0",
    ]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
        found = re.search(r"HTTP API on (http://127\.0\.0\.1:\d+)", first)
        assert found, first
        url = found.group(1)
        with httpx.Client(base_url=url, timeout=10) as client:
            for _ in range(200):
                with contextlib.suppress(httpx.TransportError):
                    health = client.get("/health")
                    break
                time.sleep(0.05)
            refused = client.post("/backfills", json=backfill_body())
        process.send_signal(signal.SIGTERM)
        _, log = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert health.json()["source"] == "not configured"
    assert_problem(refused, 403)
    # uvicorn shuts down gracefully, then ends by the signal it was sent, as it should.
    assert "Application shutdown complete" in log
    assert process.returncode in (0, -signal.SIGTERM)


def test_the_access_log_of_entsoe_serve_redacts_tokens_in_query_strings(tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("ENTSOE_")}
    env["ENTSOE_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    env["ENTSOE_HTTP_TOKEN"] = HTTP_TOKEN
    command = [sys.executable, "-c", "from entrypoints.cli import run; run()", "serve"]
    command += ["--port", "0", "--log-level", "info"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stderr is not None
        found = re.search(r"HTTP API on (http://127\.0\.0\.1:\d+)", process.stderr.readline())
        assert found
        with httpx.Client(base_url=found.group(1), timeout=10) as client:
            for _ in range(200):
                with contextlib.suppress(httpx.TransportError):
                    client.get("/health")
                    break
                time.sleep(0.05)
            refused = client.post(f"/backfills?token={HTTP_TOKEN}", json=backfill_body())
            read = client.get(
                "/observations", params={**PRICES, "securityToken": API_TOKEN, "limit": 5}
            )
            client.get(f"/health?area=NL&api_key=key-{API_TOKEN}&%74oken=t-{HTTP_TOKEN}")
        process.send_signal(signal.SIGTERM)
        access, log = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert refused.status_code == 401
    assert read.status_code == 200
    assert '"POST /backfills?token=REDACTED HTTP/1.1" 401' in access
    assert "&securityToken=REDACTED&limit=5 HTTP/1.1" in access
    assert '"GET /health?area=NL&api_key=REDACTED&%74oken=REDACTED HTTP/1.1" 200' in access
    for secret in (HTTP_TOKEN, API_TOKEN):
        assert secret not in access
        assert secret not in log
