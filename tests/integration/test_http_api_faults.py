"""A backfill started over HTTP that meets an unexpected error: the chunk fails with the error,
the other chunks go on, and ``GET /backfills/{id}``, ``GET /health`` and ``entsoe status``
agree that the job failed and nothing runs."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.entsoe_http import EntsoeHttpSource
from adapters.sqlalchemy import upgrade
from adapters.sqlalchemy.tables import to_micros
from entsoe_core.plan import Chunk
from entsoe_core.ports import SourceAnswer
from entsoe_core.timeline import utc
from tests.integration.databases import run_blocking
from tests.integration.test_http_api import (
    AUTH,
    backfill_body,
    client_for,
    emulator,
    finished,
    settings_for,
    wait_for,
)

__all__ = ["emulator"]  # the module's emulator fixture, shared with the HTTP API tests

CRASH_DAY = date(2024, 3, 5)
BODY = {"areas": ["NL"], "datasets": ["actual_total_load"], "end": "2024-03-07"}


def crashing_source(monkeypatch: pytest.MonkeyPatch, _: Path) -> None:
    """The real HTTP source, but its answer for CRASH_DAY ends in an error nobody planned for."""
    fetch = EntsoeHttpSource.fetch

    async def crashing(self: EntsoeHttpSource, chunk: Chunk) -> SourceAnswer:
        answer = await fetch(self, chunk)
        if chunk.interval.start.date() == CRASH_DAY:
            raise OverflowError("date value out of range")
        return answer

    monkeypatch.setattr(EntsoeHttpSource, "fetch", crashing)


def refusing_database(_: pytest.MonkeyPatch, path: Path) -> None:
    """A database whose coverage table refuses CRASH_DAY, as a constraint would."""
    run_blocking(lambda: upgrade(f"sqlite+aiosqlite:///{path}"))
    start = to_micros(utc(CRASH_DAY.year, CRASH_DAY.month, CRASH_DAY.day))
    end = start + 86_400 * 1_000_000
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TRIGGER refuse_the_day BEFORE INSERT ON coverage "
            f"WHEN NEW.interval_start >= {start} AND NEW.interval_start < {end} "
            "BEGIN SELECT RAISE(ABORT, 'refused by a constraint of the test'); END"
        )


def entsoe_status(database: Path, job_id: str) -> dict[str, Any]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("ENTSOE_")}
    env["ENTSOE_DATABASE_URL"] = f"sqlite+aiosqlite:///{database}"
    command = [sys.executable, "-c", "from entrypoints.cli import run; run()"]
    done = subprocess.run(
        [*command, "status", job_id, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def idle_health(client: httpx.Client) -> dict[str, Any]:
    """/health once the server's run has wound up (it settles just after the last chunk)."""
    for _ in range(200):
        health: dict[str, Any] = client.get("/health").json()
        if health["running_jobs"] == 0:
            return health
        time.sleep(0.05)
    raise AssertionError(f"the server still runs a job: {health}")


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (crashing_source, "unexpected error: OverflowError: date value out of range"),
        (refusing_database, "database error: could not record coverage"),
    ],
)
def test_an_unexpected_error_over_http_fails_its_chunk_and_everyone_says_so(
    emulator: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fault: Callable[[pytest.MonkeyPatch, Path], None],
    error: str,
) -> None:
    database = tmp_path / "db.sqlite3"
    fault(monkeypatch, database)

    with client_for(settings_for(database, emulator)) as client:
        started = client.post("/backfills", json=backfill_body(**BODY), headers=AUTH)
        assert started.status_code == 202, started.text
        job_id = started.json()["id"]
        job = wait_for(client, job_id, finished)
        health = idle_health(client)
        listed = client.get("/backfills").json()

    assert job["status"] == "failed"
    assert job["running"] is False
    assert job["chunks"] == {
        "pending": 0,
        "in_flight": 0,
        "done": 2,
        "failed": 1,
        "cancelled": 0,
        "split": 0,
    }
    assert job["last_error"].startswith(error)
    assert health["status"] == "ok"
    assert [j for j in listed if j["id"] == job_id] == [job]

    cli = entsoe_status(database, job_id)
    assert (cli["status"], cli["running"], cli["chunks"], cli["last_error"]) == (
        job["status"],
        job["running"],
        job["chunks"],
        job["last_error"],
    )
