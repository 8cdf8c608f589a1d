"""A lost PostgreSQL connection is a transient error, and the pool never hands out a dead one.

The backends are terminated for real (``pg_terminate_backend``), as an administrator, a
failover or a restart of the server would.
"""

from __future__ import annotations

import asyncio
import logging
import socket

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fakes import FakeClock, ScriptedMarketDataSource
from adapters.sqlalchemy import SqlRateLimiter, SqlUnitOfWorkFactory, create_engine
from adapters.sqlalchemy.errors import is_connection_lost, storage_errors
from adapters.system import SystemClock
from entsoe_core.errors import StorageError, TransientStorageError
from entsoe_core.plan import Chunk, ChunkSpan
from entsoe_core.ports import SourceAnswer
from entsoe_core.progress import ChunkStatus, JobStatus
from entsoe_core.services.backfill import BackfillService, RunLimits
from entsoe_core.services.requests import BackfillRequest
from entsoe_core.services.retry import RetryPolicy
from entsoe_core.timeline import Interval, utc
from tests.integration.contract.builders import NOW, chunks_of, job
from tests.integration.databases import asyncpg_dsn

pytestmark = pytest.mark.postgres


async def terminate_backends(url: str) -> int:
    """Terminate every other connection to the database of ``url``; how many there were."""
    admin = await asyncpg.connect(asyncpg_dsn(url))
    try:
        terminated: int = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()
    return terminated


@pytest.fixture
def uow(postgres_engine: AsyncEngine) -> SqlUnitOfWorkFactory:
    return SqlUnitOfWorkFactory(postgres_engine)


async def test_a_connection_terminated_mid_transaction_is_a_transient_error(
    uow: SqlUnitOfWorkFactory, postgres_url: str
) -> None:
    created, chunks = job("j1"), chunks_of("j1")

    async def add_while_terminated() -> None:
        async with uow() as unit:
            await unit.progress.add_job(created, chunks)
            assert await terminate_backends(postgres_url) >= 1
            await unit.progress.list_jobs()
            await unit.commit()

    with pytest.raises(TransientStorageError, match="connection was lost") as raised:
        await add_while_terminated()
    assert isinstance(raised.value, StorageError)

    # Nothing of the lost transaction was committed, and the next one works.
    async with uow() as unit:
        assert await unit.progress.list_jobs() == []
        await unit.progress.add_job(created, chunks)
        await unit.commit()
    async with uow() as unit:
        assert [j.id for j in await unit.progress.list_jobs()] == [created.id]


async def test_the_pool_hands_out_no_dead_connection_after_the_backends_are_terminated(
    uow: SqlUnitOfWorkFactory, postgres_url: str
) -> None:
    created, chunks = job("j1"), chunks_of("j1")

    async def read() -> list[JobStatus]:
        async with uow() as unit:
            jobs = await unit.progress.list_jobs()
            await asyncio.sleep(0.05)  # hold the connection, so the pool keeps several
            await unit.commit()
        return [j.status for j in jobs]

    async with uow() as unit:
        await unit.progress.add_job(created, chunks)
        await unit.commit()
    await asyncio.gather(*(read() for _ in range(4)))
    assert await terminate_backends(postgres_url) >= 4

    # Every pooled connection is dead; each unit of work still gets a live one.
    assert await asyncio.gather(*(read() for _ in range(4))) == [[JobStatus.IN_PROGRESS]] * 4


async def test_a_refused_connection_is_a_transient_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more: the server is down, or not back yet.
    url = f"postgresql+asyncpg://entsoe@127.0.0.1:{port}/entsoe"
    engine = create_engine(url)
    try:
        with pytest.raises(TransientStorageError, match="connection was lost"):
            async with SqlUnitOfWorkFactory(engine)():
                pass
        with pytest.raises(TransientStorageError, match="connection was lost"):
            await SqlRateLimiter(engine, FakeClock(NOW)).acquire()
    finally:
        await engine.dispose()


async def test_the_request_budget_survives_terminated_backends(
    postgres_engine: AsyncEngine, postgres_url: str
) -> None:
    limiter = SqlRateLimiter(postgres_engine, FakeClock(NOW), per_minute=60, burst=3)
    await limiter.acquire()
    assert await terminate_backends(postgres_url) >= 1
    await limiter.acquire()
    assert limiter.admitted == 2


async def test_a_refusal_of_the_data_is_not_transient(uow: SqlUnitOfWorkFactory) -> None:
    async def add_with_chunks_of_another_job() -> None:
        async with uow() as unit:
            await unit.progress.add_job(job("j1"), chunks_of("j2"))
            await unit.commit()

    # The foreign key refuses chunks of a job that does not exist.
    with pytest.raises(StorageError, match="could not add job j1") as raised:
        await add_with_chunks_of_another_job()
    assert not isinstance(raised.value, TransientStorageError)


@pytest.mark.parametrize(
    ("error", "lost"),
    [
        (asyncpg.AdminShutdownError("terminating connection due to administrator command"), True),
        (asyncpg.CannotConnectNowError("the database system is starting up"), True),
        (asyncpg.ConnectionDoesNotExistError("connection was closed in the middle"), True),
        (ConnectionResetError(104, "Connection reset by peer"), True),
        (
            asyncpg.InternalClientError(
                "cannot switch to state 15; another operation (2) is in progress"
            ),
            True,
        ),
        (asyncpg.InterfaceError("cannot call Connection.execute(): connection is closed"), True),
        (asyncpg.UniqueViolationError("duplicate key value"), False),
        (
            asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
            False,
        ),
        (socket.gaierror(-2, "Name or service not known"), False),
    ],
)
def test_lost_connections_are_told_from_other_database_errors(error: Exception, lost: bool) -> None:
    assert is_connection_lost(error) is lost
    expected = TransientStorageError if lost else StorageError
    with pytest.raises(expected) as raised, storage_errors("do something"):
        raise error
    assert isinstance(raised.value, TransientStorageError) is lost
    assert str(raised.value).startswith("could not do something: ")


class CuttableLink:
    """A TCP relay on loopback to PostgreSQL that can be cut (connections reset, new ones
    refused) and restored on the same port, as a server restart or a network fault looks."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.StreamWriter] = set()
        self.port = 0
        self.cuts = 0

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        self.cuts += 1
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        for writer in list(self._pipes):
            writer.transport.abort()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        self._pipes.update((writer, upstream_writer))

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except ConnectionError:
                pass
            finally:
                sink.transport.abort()
                self._pipes.discard(sink)

        await asyncio.gather(pump(reader, upstream_writer), pump(upstream_reader, writer))


async def test_a_run_waits_for_the_database_to_come_back_and_ends_complete(
    postgres_engine: AsyncEngine, postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = make_url(postgres_url)
    link = CuttableLink(url.host or "127.0.0.1", url.port or 5432)
    await link.open()
    engine = create_engine(url.set(host="127.0.0.1", port=link.port))
    clock = SystemClock()
    outage: list[asyncio.Task[None]] = []

    class CutOnce(ScriptedMarketDataSource):
        """Cuts the link while the third chunk is fetched; it comes back a second later."""

        async def fetch(self, chunk: Chunk) -> SourceAnswer:
            answer = await super().fetch(chunk)
            if len(self.requests) == 3:
                await link.cut()
                outage.append(asyncio.create_task(reopen_later()))
            return answer

    async def reopen_later() -> None:
        await asyncio.sleep(1.0)
        await link.open()

    source = CutOnce(clock)
    service = BackfillService(
        SqlUnitOfWorkFactory(engine),
        source,
        clock,
        SqlRateLimiter(engine, clock, per_minute=60_000, burst=100),
        retry=RetryPolicy(base_seconds=0.05, max_seconds=0.5, storage_outage_seconds=30),
        limits=RunLimits(max_requests_in_flight=2),
    )
    request = BackfillRequest.parse(
        ["NL"], ["actual_total_load"], utc(2024, 1, 1), utc(2024, 1, 7), span=ChunkSpan.DAY
    )
    try:
        with caplog.at_level(logging.WARNING, logger="entsoe_core.services.backfill"):
            report = await service.start(request)
    finally:
        await engine.dispose()
        await asyncio.gather(*outage)

    assert link.cuts == 1
    retries = [r.getMessage() for r in caplog.records if "trying again" in r.getMessage()]
    # The chunk fetched as the link went down found new connections refused until it came back.
    assert any(m.startswith("could not begin a transaction") for m in retries), retries
    assert report.job.status is JobStatus.COMPLETED
    assert report.counts[ChunkStatus.DONE] == 6
    assert report.counts[ChunkStatus.IN_FLIGHT] == 0
    assert len(source.requests) == 6
    async with SqlUnitOfWorkFactory(postgres_engine)() as unit:
        stored = await unit.store.read(
            "actual_total_load", request.areas[0], Interval(utc(2024, 1, 1), utc(2024, 1, 7))
        )
    assert len(stored) == 2 * 24 * 6
