"""A backfill on PostgreSQL whose connections are all terminated twice while it runs ends as an
undisturbed run of the same job on another database does: exit 0, every chunk done and
committed once, none left in flight, the same observations.

A kill counts when it strikes the run's own work in the middle of a transaction, which the run
then tries again on a new connection (and says so on stderr). A kill that only finds idle
connections in the pool, which the pool's pre-ping replaces unseen, is repeated.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.e2e.harness import (
    Cli,
    Process,
    chunk_rows,
    exported,
    query,
    running_emulator,
    utc,
    wait_for,
)
from tests.integration.databases import asyncpg_dsn

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

START, END = utc("2024-01-01"), utc("2024-02-15")
CHUNKS = 45
KILLS = 2
TRIES_PER_KILL = 10
RUN_TIMEOUT = 180.0
"""Seconds the disturbed run may take (undisturbed: about 15 on this data)."""
TRIED_AGAIN = "; trying again in "

# Terminate every other backend of the database, but only at a moment when a chunk is in
# flight and some backend is inside a transaction or a statement: a kill the pool's pre-ping
# alone would absorb proves nothing.
KILL_WHEN_BUSY = """
WITH others AS (
    SELECT pid, state FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()
)
SELECT count(pg_terminate_backend(pid)) FROM others
WHERE EXISTS (SELECT 1 FROM others WHERE state IN ('active', 'idle in transaction'))
  AND EXISTS (SELECT 1 FROM backfill_chunks WHERE status = 'in_flight')
"""


def terminate_while_busy(url: str, *, timeout: float = 20.0) -> int:
    """Wait for a busy moment of the database of ``url``, then terminate all its backends."""

    async def watch() -> int:
        admin = await asyncpg.connect(asyncpg_dsn(url))
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                terminated: int = await admin.fetchval(KILL_WHEN_BUSY)
                if terminated:
                    return terminated
                await asyncio.sleep(0.002)
        finally:
            await admin.close()
        raise AssertionError(f"no busy moment with a chunk in flight in {timeout} s")

    return asyncio.run(watch())


@pytest.fixture
def undisturbed_url(postgres_url: str, cli: Cli) -> Iterator[str]:
    """A second database on the same server, for the run nobody disturbs."""
    name = f"entsoe_e2e_{uuid.uuid4().hex[:12]}"

    async def admin(statement: str) -> None:
        connection = await asyncpg.connect(asyncpg_dsn(postgres_url))
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    try:
        cli.with_env(ENTSOE_DATABASE_URL=url)("db", "upgrade").ok()
        yield url
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def check_running(run: Process) -> None:
    if run.popen.poll() is not None:
        raise AssertionError(f"the run ended before the kill\n{run.wait().explain()}")


def running_with_done(run: Process, url: str, wanted: int) -> bool | None:
    """Whether ``wanted`` chunks are done while the run goes on; fails if it ended."""
    check_running(run)
    [(done,)] = query(url, "SELECT count(*) FROM backfill_chunks WHERE status = 'done'")
    return int(done) >= wanted or None


def strike(run: Process, url: str) -> int:
    """Kill every backend at busy moments until the run notices; the number of kills."""
    noticed = run.stderr.count(TRIED_AGAIN)
    for kills in range(1, TRIES_PER_KILL + 1):
        check_running(run)
        assert terminate_while_busy(url) >= 1
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            if run.stderr.count(TRIED_AGAIN) > noticed:
                return kills
            time.sleep(0.02)
    raise AssertionError(f"{TRIES_PER_KILL} kills, and none struck the run mid-transaction")


def test_a_backfill_survives_its_database_connections_terminated_twice(
    cli: Cli, postgres_url: str, undisturbed_url: str, tmp_path: Path
) -> None:
    args = (
        "backfill",
        "--area",
        "NL",
        "--dataset",
        "actual_total_load",
        "--start",
        "2024-01-01",
        "--end",
        "2024-02-15",
        "--span",
        "day",
    )
    # Every answer takes a second, so chunks are in flight whenever the test looks.
    with running_emulator(tmp_path, "--fail-slow", "1.0", "--slow-seconds", "1", seed=17) as api:
        app = cli.with_env(**api.env(), ENTSOE_MAX_REQUESTS_IN_FLIGHT="3")
        disturbed = app.with_env(ENTSOE_DATABASE_URL=postgres_url)
        run = disturbed.start(*args, name="disturbed")
        started = time.monotonic()
        try:
            kills = []
            for kill in range(KILLS):
                wait_for(
                    "chunks to be done before the kill",
                    partial(running_with_done, run, postgres_url, 3 + 10 * kill),
                )
                kills.append(strike(run, postgres_url))
            result = run.wait(timeout=RUN_TIMEOUT)
        finally:
            run.stop()
        took = time.monotonic() - started

        result.ok()
        tried_again = [line for line in result.stderr.splitlines() if TRIED_AGAIN in line]
        assert len(tried_again) >= KILLS, f"kills: {kills}\n{result.explain()}"
        assert all("the database connection was lost" in line for line in tried_again)
        job_id = result.job_id()
        assert result.stdout.splitlines()[-1].startswith(
            f"job {job_id} completed, chunks {CHUNKS}/{CHUNKS} done"
        ), result.explain()

        calm = app.with_env(ENTSOE_DATABASE_URL=undisturbed_url)
        calm(*args).ok()

        observed = exported(disturbed, "actual_total_load", "NL", START, END)
        assert observed == exported(calm, "actual_total_load", "NL", START, END)
        assert observed == api.rows("actual_total_load", "NL", START, END)

    assert took < RUN_TIMEOUT
    chunks = chunk_rows(postgres_url, job_id)
    assert len(chunks) == CHUNKS
    assert {chunk["status"] for chunk in chunks} == {"done"}
    assert {chunk["lease_owner"] for chunk in chunks} == {None}
    # One coverage entry per chunk commit: a chunk committed twice would show up twice.
    ledger = query(postgres_url, "SELECT interval_start, interval_end FROM coverage")
    assert len(ledger) == CHUNKS
    assert Counter(ledger).most_common(1)[0][1] == 1
    report = disturbed("status", job_id, "--json").json()
    assert report["status"] == "completed"
    assert report["running"] is False
    assert report["chunks"]["in_flight"] == 0
    assert report["last_error"] is None
    assert report["points_written"] == len(observed)
