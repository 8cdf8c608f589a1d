"""The SQL unit of work: one connection and one transaction over store and progress.

``async with uow:`` takes a connection from the engine's pool and begins a transaction (on
SQLite, ``BEGIN IMMEDIATE``: the write lock is taken there and then). A unit of work made with
``reading=True`` begins a deferred transaction on SQLite instead, which reads a snapshot beside
a writer (WAL) without waiting for its lock, and a ``READ ONLY`` one on PostgreSQL. The store
and the progress tables work on that connection and only flush; :meth:`SqlUnitOfWork.commit` commits
and hands the connection back, and leaving the block without committing rolls back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sqlalchemy.engine import READING
from adapters.sqlalchemy.errors import DATABASE_ERRORS, storage_errors
from adapters.sqlalchemy.limits import SqlDatasetLimits
from adapters.sqlalchemy.migrate import check_schema
from adapters.sqlalchemy.progress import SqlBackfillProgress
from adapters.sqlalchemy.store import SqlEnergyStore
from entsoe_core.errors import StorageError
from entsoe_core.ports import AbstractUnitOfWork, refuse_commit_when_reading

__all__ = ["SchemaGate", "SqlUnitOfWork", "SqlUnitOfWorkFactory"]

log = logging.getLogger(__name__)


class SqlUnitOfWork(AbstractUnitOfWork):
    """One transaction on one connection of ``engine``."""

    def __init__(
        self,
        engine: AsyncEngine,
        ready: Callable[[], Awaitable[None]] | None = None,
        *,
        reading: bool = False,
    ) -> None:
        self._engine = engine
        self.reading = reading
        self._ready = ready
        self._connection: AsyncConnection | None = None
        self.committed = False
        self.store = SqlEnergyStore(self._current, engine.dialect.name)
        self.progress = SqlBackfillProgress(self._current)
        self.limits = SqlDatasetLimits(self._current)

    def _current(self) -> AsyncConnection:
        if self._connection is None:
            raise StorageError(
                "this unit of work has no open transaction: use it inside `async with uow:` "
                "and before commit()"
            )
        return self._connection

    async def _begin(self) -> None:
        if self._ready is not None:
            await self._ready()
        with storage_errors("begin a transaction"):
            connection = await self._engine.connect()
            try:
                if self.reading:
                    # SQLite: a deferred BEGIN, which takes no write lock (see engine.py).
                    await connection.execution_options(**{READING: True})
                await connection.begin()
                if self.reading and connection.dialect.name == "postgresql":
                    await connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            except BaseException:
                await connection.close()
                raise
        self._connection = connection
        self.committed = False

    async def commit(self) -> None:
        refuse_commit_when_reading(self)
        connection = self._current()
        self._connection = None
        try:
            with storage_errors("commit"):
                await connection.commit()
        finally:
            await _close(connection)
        self.committed = True

    async def rollback(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            await connection.rollback()
        except DATABASE_ERRORS as error:
            # The server discards the transaction when the connection goes; nothing to save.
            log.warning("rollback failed, dropping the connection: %s", error)
            await connection.invalidate()
        finally:
            await _close(connection)


async def _close(connection: AsyncConnection) -> None:
    try:
        await connection.close()
    except DATABASE_ERRORS as error:
        log.warning("closing a database connection failed: %s", error)


class SchemaGate:
    """Checks the schema once per engine before first use (and creates it on fresh SQLite)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._checked = False
        self._lock = asyncio.Lock()

    async def __call__(self) -> None:
        if self._checked:
            return
        async with self._lock:
            if not self._checked:
                await check_schema(self._engine)
                self._checked = True


class SqlUnitOfWorkFactory:
    """Makes a fresh unit of work per call, all on one engine (which the caller owns)."""

    def __init__(self, engine: AsyncEngine, *, gate: SchemaGate | None = None) -> None:
        self.engine = engine
        self._gate = gate or SchemaGate(engine)

    def __call__(self, *, reading: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self._gate, reading=reading)
