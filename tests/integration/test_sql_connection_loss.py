"""A lost PostgreSQL connection is a transient error, and the pool never hands out a dead one.

The backends are terminated for real (``pg_terminate_backend``), as an administrator, a
failover or a restart of the server would.
"""

from __future__ import annotations

import asyncio
import socket

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fakes import FakeClock
from adapters.sqlalchemy import SqlRateLimiter, SqlUnitOfWorkFactory, create_engine
from adapters.sqlalchemy.errors import is_connection_lost, storage_errors
from entsoe_core.errors import StorageError, TransientStorageError
from entsoe_core.progress import JobStatus
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
