"""A shutdown on SQLite never leaves the write lock behind.

SIGTERM cancels a run, maybe in the middle of a statement of a write transaction (a lane taking
a request from the shared budget, say). SQLAlchemy then closes that connection, and sqlite3
keeps a closed connection's transaction, and the lock, for as long as a cursor of it is
referenced, as the cancellation's traceback does while the run hands its chunks back. Those
hand-backs waited out the busy timeout and ended in "database is locked".

The busy timeout is cut to two seconds here, so that a lock left behind fails the test in
seconds rather than half a minute.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.fakes import ScriptedMarketDataSource
from adapters.sqlalchemy import SqlRateLimiter, SqlUnitOfWorkFactory, create_engine
from adapters.sqlalchemy import engine as engine_module
from adapters.system import SystemClock
from entsoe_core.plan import ChunkSpan
from entsoe_core.progress import ChunkStatus
from entsoe_core.services.backfill import BackfillService, RunLimits
from entsoe_core.services.requests import BackfillRequest
from entsoe_core.timeline import utc
from tests.integration.databases import sqlite_url

# Long enough for the slow statement to be running.
SETTLE_SECONDS = 0.3

# A statement of a few seconds, cancelled while it runs.
SLOW_SELECT = text(
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) "
    "SELECT count(*) FROM n"
)


@pytest.fixture(autouse=True)
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 2_000)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "entsoe.sqlite3"


def write_lock_is_free(path: Path) -> bool:
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as error:
        if "locked" not in str(error):
            raise
        return False
    finally:
        probe.close()


async def test_a_transaction_cancelled_mid_statement_leaves_no_lock_behind(
    tmp_path: Path, database: Path
) -> None:
    engine = create_engine(sqlite_url(tmp_path))
    try:

        async def write() -> None:
            async with engine.begin() as connection:
                await connection.execute(SLOW_SELECT)

        writing = asyncio.create_task(write())
        await asyncio.sleep(SETTLE_SECONDS)
        writing.cancel()
        with pytest.raises(asyncio.CancelledError) as cancelled:
            await writing

        # The cancellation is still referenced, as it is while a run hands its chunks back.
        assert cancelled.value is not None
        assert write_lock_is_free(database)
        async with engine.begin() as connection:
            await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


async def test_a_run_cancelled_mid_statement_hands_its_chunk_back(
    tmp_path: Path, database: Path
) -> None:
    clock = SystemClock()
    engine = create_engine(sqlite_url(tmp_path))
    slow = asyncio.Event()

    class SlowSecondTake(SqlRateLimiter):
        """A request budget whose second take runs a slow statement in its transaction."""

        async def acquire(self) -> None:
            if self.admitted == 1:
                async with engine.begin() as connection:
                    slow.set()
                    await connection.execute(SLOW_SELECT)
            await super().acquire()

    service = BackfillService(
        SqlUnitOfWorkFactory(engine),
        ScriptedMarketDataSource(clock),
        clock,
        SlowSecondTake(engine, clock, per_minute=60_000, burst=100),
        limits=RunLimits(max_requests_in_flight=1),
    )
    request = BackfillRequest.parse(
        ["NL"], ["actual_total_load"], utc(2024, 1, 1), utc(2024, 1, 4), span=ChunkSpan.DAY
    )
    try:
        job = await service.create(request)
        running = asyncio.create_task(service.run(job.id))
        await asyncio.wait_for(slow.wait(), timeout=30)
        await asyncio.sleep(SETTLE_SECONDS)
        running.cancel()  # what SIGTERM does to the CLI's run

        with pytest.raises(asyncio.CancelledError):
            await running

        assert write_lock_is_free(database)
        report = await service.status(job.id)
        assert report.counts[ChunkStatus.IN_FLIGHT] == 0
        assert report.counts[ChunkStatus.DONE] == 1
        assert report.counts[ChunkStatus.PENDING] == 2
        assert report.running is False
    finally:
        await engine.dispose()
