"""Reads only read: on SQLite they answer while another process holds the write lock.

A writer (a worker committing a year of quarter-hours, say) holds SQLite's write lock for a
while. Reads begin deferred transactions, which under WAL read a snapshot without waiting for
that lock: status, health and observations answer at once instead of after the writer.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from entrypoints.emulator import EmulatorConfig, emulator_in_thread
from tests.e2e.harness import CLI, base_environment
from tests.integration.test_http_api import (
    API_TOKEN,
    AUTH,
    SEED,
    backfill_body,
    client_for,
    finished,
    settings_for,
    wait_for,
)


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    with emulator_in_thread(EmulatorConfig(seed=SEED, token=API_TOKEN)) as url:
        yield url


ANSWER_SECONDS = 10.0
"""Well under SQLite's busy timeout (30 s): a read that waited for the writer would exceed it."""


def test_status_health_and_observations_answer_while_a_writer_holds_the_lock(
    tmp_path: Path, emulator: str
) -> None:
    database = tmp_path / "api.sqlite3"
    settings = settings_for(database, emulator)
    with client_for(settings) as client:
        body = backfill_body(areas=["NL"], datasets=["actual_total_load"])
        body.update(start="2024-01-01", end="2024-01-03")
        job = client.post("/backfills", json=body, headers=AUTH).json()
        assert wait_for(client, job["id"], finished)["status"] == "completed"

        writer = sqlite3.connect(database, isolation_level=None, timeout=1)
        try:
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("UPDATE backfill_chunks SET updated_at = updated_at")
            began = time.monotonic()
            health = client.get("/health", timeout=ANSWER_SECONDS)
            page = client.get(
                "/observations",
                params={
                    "area": "NL",
                    "dataset": "actual_total_load",
                    "start": "2024-01-01",
                    "end": "2024-01-03",
                },
                timeout=ANSWER_SECONDS,
            )
            job_body = client.get(f"/backfills/{job['id']}", timeout=ANSWER_SECONDS)
            status = subprocess.run(
                [*CLI, "status", job["id"], "--json"],
                env={**base_environment(), "ENTSOE_DATABASE_URL": settings.database_url},
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=ANSWER_SECONDS,
                check=False,
            )
            waited = time.monotonic() - began
            # The writer still holds the lock: nothing of the above took it.
            assert writer.in_transaction
        finally:
            writer.execute("ROLLBACK")
            writer.close()

    assert health.status_code == 200, health.text
    assert page.status_code == 200, page.text
    assert len(page.json()["items"]) == 2 * 96
    assert job_body.status_code == 200, job_body.text
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout) == job_body.json()
    assert waited < ANSWER_SECONDS


def test_the_check_catches_a_read_that_takes_the_write_lock(tmp_path: Path) -> None:
    database = tmp_path / "plain.sqlite3"
    sqlite3.connect(database).execute("CREATE TABLE t (x)").connection.close()
    writer = sqlite3.connect(database, isolation_level=None, timeout=1)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("BEGIN IMMEDIATE")
    try:
        reader = sqlite3.connect(database, isolation_level=None, timeout=0.2)
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM t").fetchone() == (0,)
        reader.execute("ROLLBACK")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            reader.execute("BEGIN IMMEDIATE")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
