"""An unavailable source as the HTTP API shows it: `GET /health` and the job's body say since
when, what the source last answered and when it is probed next; the job waits, nothing fails."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.sqlalchemy import SqlSourceBreaker
from adapters.system import SystemClock
from entrypoints.emulator import EmulatorConfig, emulator_in_thread
from entsoe_core.breaker import BreakerPolicy
from tests.integration.databases import open_engine
from tests.integration.test_http_api import (
    API_TOKEN,
    AUTH,
    backfill_body,
    client_for,
    run_backfill,
    settings_for,
)

LAST_FAILURE = "404 page not found (the API answered HTML where an XML document belongs)"


async def open_breaker(database: Path) -> datetime:
    """Open the shared breaker as three outage-like failures would; when the first was."""
    async with open_engine(f"sqlite+aiosqlite:///{database}") as engine:
        breaker = SqlSourceBreaker(engine, SystemClock(), BreakerPolicy(first_probe_seconds=600))
        first = datetime.now(UTC)
        for _ in range(3):
            await breaker.record_failure(LAST_FAILURE)
    return first


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_health_and_the_job_say_the_source_is_unavailable(tmp_path: Path) -> None:
    database = tmp_path / "entsoe.sqlite3"
    with emulator_in_thread(EmulatorConfig(seed=5, token=API_TOKEN)) as api_url:
        settings = settings_for(database, api_url)
        with client_for(settings) as client:
            assert client.get("/health").json()["source"] == "ready"
            assert client.get("/health").json()["source_outage"] is None
            first = asyncio.run(open_breaker(database))

            health = client.get("/health")
            answer = client.post("/backfills", json=backfill_body(), headers=AUTH)
            job = client.get(f"/backfills/{answer.json()['id']}").json()

    assert health.status_code == 200
    body = health.json()
    assert body["source"] == "unavailable"
    assert body["source_detail"].startswith("source unavailable since ")
    outage = body["source_outage"]
    assert abs(instant(outage["since"]) - first) < timedelta(seconds=5)
    assert outage["failures"] == 3
    assert outage["last_failure"] == LAST_FAILURE
    assert instant(outage["next_probe_at"]) - instant(outage["last_failure_at"]) == timedelta(
        seconds=600
    )
    assert answer.status_code == 202
    assert job["source_outage"] == outage
    assert job["status"] == "in_progress"
    assert job["chunks"]["failed"] == 0
    assert job["chunks"]["done"] == 0
    assert job["requests"] == 0


def test_a_job_body_has_no_outage_while_the_source_answers(tmp_path: Path) -> None:
    with emulator_in_thread(EmulatorConfig(seed=5, token=API_TOKEN)) as api_url:
        settings = settings_for(tmp_path / "entsoe.sqlite3", api_url)
        with client_for(settings) as client:
            job = run_backfill(client)

    assert job["status"] == "completed"
    assert job["source_outage"] is None
