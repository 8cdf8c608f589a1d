"""Many requests at once on SQLite: they queue for a connection, and a queue that runs out of
time is answered "busy" (503 with Retry-After), never "database unavailable".

The write lock of the SQLite file is held by another connection, as a worker committing a
large chunk would hold it, while the requests arrive: reads do not wait for it (they read a
snapshot beside the writer), but they still wait for their turn in the pool.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from pathlib import Path

import httpx
import pytest

from adapters.sqlalchemy import engine as sql_engine
from entrypoints.emulator import EmulatorConfig, emulator_in_thread
from entrypoints.http_api import api_in_thread
from entsoe_core.timeline import utc
from tests.integration.test_http_api import (
    API_TOKEN,
    AUTH,
    HTTP_TOKEN,
    SEED,
    assert_problem,
    backfill_body,
    client_for,
    expected_rows,
    finished,
    settings_for,
    wait_for,
)

MONTH: dict[str, str | int] = {
    "area": "DE_LU",
    "dataset": "day_ahead_prices",
    "start": "2024-03-01",
    "end": "2024-04-01",
    "limit": 5000,
}
# Mostly pages of observations, which keep a request busy longest.
READS: list[tuple[str, dict[str, str | int]]] = [
    ("/observations", MONTH),
    ("/coverage", {"area": "DE_LU", "dataset": "day_ahead_prices"}),
    ("/observations", MONTH),
    ("/backfills", {}),
    ("/observations", MONTH),
    ("/health", {}),
    ("/observations", MONTH),
    ("/observations", MONTH),
]


def database_with_a_month_of_prices(folder: Path) -> Path:
    database = folder / "api.sqlite3"
    with (
        emulator_in_thread(EmulatorConfig(seed=SEED, token=API_TOKEN)) as api_url,
        client_for(settings_for(database, api_url)) as client,
    ):
        body = backfill_body(start=MONTH["start"], end=MONTH["end"], span="month")
        started = client.post("/backfills", json=body, headers=AUTH)
        assert wait_for(client, started.json()["id"], finished)["status"] == "completed"
    return database


async def reads_while_locked(
    url: str, database: Path, count: int, hold: float
) -> list[httpx.Response]:
    """``count`` GETs sent at once while another connection holds the write lock ``hold`` s."""
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
        async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as client:

            async def get(index: int) -> httpx.Response:
                route, params = READS[index % len(READS)]
                return await client.get(route, params=params)

            async def release() -> None:
                await asyncio.sleep(hold)
                writer.execute("ROLLBACK")

            answers, _ = await asyncio.gather(
                asyncio.gather(*(get(i) for i in range(count))), release()
            )
            return list(answers)
    finally:
        writer.close()


@pytest.mark.slow
def test_200_concurrent_reads_queue_for_the_database_instead_of_failing(
    tmp_path: Path,
) -> None:
    database = database_with_a_month_of_prices(tmp_path)
    settings = settings_for(database, "http://127.0.0.1:9")

    with api_in_thread(settings) as url:
        # The schema is checked once, by the first request; the others then go to the pool.
        assert httpx.get(f"{url}/health").status_code == 200
        answers = asyncio.run(reads_while_locked(url, database, count=200, hold=20.0))

    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {200: 200}, [a.text for a in answers if a.status_code != 200][:3]
    pages = [a.json() for a in answers if a.request.url.path == "/observations"]
    assert len({len(page["items"]) for page in pages}) == 1
    assert len(pages[0]["items"]) == expected_rows(
        "day_ahead_prices", "DE_LU", utc(2024, 3, 1), utc(2024, 4, 1)
    )


def test_a_queue_that_outlasts_the_pool_wait_is_503_busy_with_retry_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = database_with_a_month_of_prices(tmp_path)
    # One connection, and a wait in line far shorter than a page of a month of prices takes.
    monkeypatch.setattr(sql_engine, "SQLITE_POOL_SIZE", 1)
    monkeypatch.setattr(sql_engine, "POOL_TIMEOUT_SECONDS", 0.01)
    settings = settings_for(database, "http://127.0.0.1:9")

    with api_in_thread(settings) as url:
        assert httpx.get(f"{url}/health").status_code == 200
        answers = asyncio.run(reads_while_locked(url, database, count=40, hold=1.0))

    statuses = Counter(answer.status_code for answer in answers)
    assert set(statuses) == {200, 503}, statuses
    for answer in answers:
        if answer.status_code == 503:
            problem = assert_problem(answer, 503, detail="the server is busy")
            assert problem["type"].endswith(":server-busy")
            assert answer.headers["retry-after"] == "10"
            assert HTTP_TOKEN not in answer.text
