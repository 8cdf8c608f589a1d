"""An unavailable source as `entsoe` shows it and waits it out: `entsoe status` says since when,
and a backfill started while the breaker is open sends nothing until the probe, then finishes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.sqlalchemy import SqlSourceBreaker
from adapters.system import SystemClock
from entsoe_core.breaker import BreakerPolicy
from tests.e2e.harness import Cli, Emulator
from tests.integration.databases import open_engine

pytestmark = pytest.mark.slow

LAST_FAILURE = "503 Scheduled maintenance (an HTML page where an XML document belongs)"
BACKFILL = (
    "backfill",
    "--area",
    "NL",
    "--dataset",
    "day_ahead_prices",
    "--start",
    "2024-01-01",
    "--end",
    "2024-03-01",
)


async def open_breaker(url: str, probe_in: float) -> None:
    """Open the breaker every process on the database shares, as three failures would."""
    async with open_engine(url) as engine:
        policy = BreakerPolicy(first_probe_seconds=probe_in)
        breaker = SqlSourceBreaker(engine, SystemClock(), policy)
        for _ in range(3):
            await breaker.record_failure(LAST_FAILURE)


def test_status_says_since_when_the_source_is_unavailable(cli: Cli, sqlite_url: str) -> None:
    job_id = cli(*BACKFILL, "--no-run").ok().job_id()
    before = datetime.now(UTC)
    asyncio.run(open_breaker(sqlite_url, probe_in=1800))

    text = cli("status", job_id).ok().stdout
    body = cli("status", job_id, "--json").json()

    assert f"\n  source unavailable since {before:%Y-%m-%dT%H}" in text
    assert f"3 failures in a row, the last: {LAST_FAILURE}" in text
    assert "no requests until the next probe at " in text
    assert text.rstrip().endswith("the job waits for it")
    assert body["source_outage"]["last_failure"] == LAST_FAILURE
    assert body["source_outage"]["failures"] == 3
    assert body["chunks"]["failed"] == 0


def test_a_backfill_waits_for_the_probe_and_carries_on(
    cli: Cli, sqlite_url: str, emulator: Emulator, tmp_path: Path
) -> None:
    app = cli.with_env(**emulator.env())
    asyncio.run(open_breaker(sqlite_url, probe_in=2))
    before = emulator.stats()["total_requests"]
    started = datetime.now(UTC)

    result = app(*BACKFILL).ok()

    assert (datetime.now(UTC) - started).total_seconds() >= 2
    # Two months of prices are one request (the dataset's limit is a year).
    assert "completed, chunks 1/1 done" in result.stdout.splitlines()[-1], result.explain()
    assert "source available again" in result.stderr, result.explain()
    assert emulator.stats()["total_requests"] - before == 1
    assert cli("status", result.job_id(), "--json").json()["source_outage"] is None
