"""Async engines for SQLite (the embedded default) and PostgreSQL (production).

SQLite needs help to behave like a database several processes share: write-ahead logging so
readers do not block the writer, a busy timeout so a second writer waits instead of failing,
foreign keys (off by default), and a transaction that really begins when the unit of work
begins. The sqlite3 driver defers BEGIN until the first write, so two workers could both read
"pending" and both claim the same chunk; we take the driver's BEGIN away and emit
``BEGIN IMMEDIATE`` ourselves, which takes the write lock up front. A transaction that only
reads (execution option ``READING``) begins deferred: under WAL it reads a snapshot beside the
writer and never waits for its lock.

A connection SQLAlchemy gives up on is rolled back before it is closed. A task cancelled in
the middle of a statement (SIGTERM, Ctrl-C) makes SQLAlchemy invalidate its connection and
close it, transaction and all. sqlite3 closes a connection whose statement a cursor still
holds (the cancellation's traceback holds it) only once that cursor goes: until then its
transaction, and the write lock, stay. Every writer in between, the shutdown's own hand-back
of its chunks included, waited out the busy timeout and failed with "database is locked".
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from entsoe_core.errors import ConfigurationError

log = logging.getLogger(__name__)

__all__ = [
    "DATABASE_URL_VARIABLE",
    "DEFAULT_DATABASE_URL",
    "check_database_url",
    "create_engine",
    "database_url",
    "display_url",
    "is_pool_exhausted",
    "is_sqlite",
]

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///entsoe.sqlite3"
DATABASE_URL_VARIABLE = "ENTSOE_DATABASE_URL"

SQLITE_BUSY_TIMEOUT_MS = 30_000

READING = "entsoe_reading"
"""Execution option of a connection whose transaction only reads: on SQLite it begins deferred."""

# Connections per engine, and how long a caller waits in line for one. SQLite runs one
# transaction at a time (BEGIN IMMEDIATE), so connections beyond a few only add contenders to
# its busy-wait, which serves no one in order; the pool's queue does. A caller in that queue
# may be behind hundreds of requests, and the one holding the lock may itself wait up to the
# busy timeout for a writer in another process: the queue gets minutes, not SQLAlchemy's
# default of 30 seconds, before a caller is told the database is busy. PostgreSQL keeps
# SQLAlchemy's 5 connections plus 10 under load: several workers share its connection limit.
SQLITE_POOL_SIZE = 5
POOL_TIMEOUT_SECONDS = 120.0

SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
_ACCEPTED = (
    "give sqlite+aiosqlite:///path/to/entsoe.sqlite3 or "
    "postgresql+asyncpg://user:password@host:5432/database"
)
# The password of user:password@ (up to the last @, as an unquoted @ may be part of it): what a
# message shows of a URL as given, which may be too broken for SQLAlchemy to mask it.
_CREDENTIALS = re.compile(r"(?<=://)([^:/@]*):.*@")


def database_url(environ: dict[str, str] | None = None) -> str:
    """The database URL from ``ENTSOE_DATABASE_URL``, or the SQLite file in the working dir."""
    source = os.environ if environ is None else environ
    return source.get(DATABASE_URL_VARIABLE) or DEFAULT_DATABASE_URL


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def display_url(url: str | URL) -> str:
    """The URL with any password masked, fit for logs and messages."""
    return make_url(url).render_as_string(hide_password=True)


def check_database_url(url: str | URL) -> URL:
    """``url`` parsed, or a :class:`ConfigurationError` saying what is accepted instead.

    Only the async drivers this application is built on are accepted, and only a SQLite file:
    an in-memory database belongs to one connection of one process, so every other connection
    (and ``entsoe db upgrade`` before them) would see a database of its own.
    """
    shown = _CREDENTIALS.sub(r"\1:***@", str(url))[:200]
    try:
        parsed = make_url(url)
        port = parsed.port
    except (ArgumentError, ValueError):
        raise ConfigurationError(
            f"{DATABASE_URL_VARIABLE} {shown!r} is not a database URL; {_ACCEPTED}"
        ) from None
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise ConfigurationError(
            f"{DATABASE_URL_VARIABLE} {shown!r} uses {parsed.drivername!r}, which this tool "
            f"does not support; {_ACCEPTED}"
        )
    if port is not None and not 1 <= port <= 65535:
        raise ConfigurationError(
            f"{DATABASE_URL_VARIABLE} {shown!r} has port {port}; a port is 1 to 65535"
        )
    if is_sqlite(parsed) and _in_memory(parsed):
        raise ConfigurationError(
            f"{DATABASE_URL_VARIABLE} {shown!r} is an in-memory SQLite database, which every "
            "process and connection sees empty and which vanishes with it; name a file: "
            "sqlite+aiosqlite:///path/to/entsoe.sqlite3"
        )
    return parsed


def _in_memory(url: URL) -> bool:
    database = url.database or ""
    return (
        database in ("", ":memory:")
        or database.startswith("file::memory:")
        or url.query.get("mode") == "memory"
    )


def create_engine(url: str | URL, **options: Any) -> AsyncEngine:
    """An async engine for ``url``, configured for how this application uses the database.

    Parameters are hidden from error messages: a failed bulk insert would otherwise print
    hundreds of thousands of values.
    """
    url = check_database_url(url)
    options.setdefault("hide_parameters", True)
    options.setdefault("pool_timeout", POOL_TIMEOUT_SECONDS)
    if is_sqlite(url):
        options.setdefault("pool_size", SQLITE_POOL_SIZE)
        options.setdefault("max_overflow", 0)
        engine = create_async_engine(url, **options)
        _configure_sqlite(engine)
        return engine
    options.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **options)


def is_pool_exhausted(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) is a wait for a pooled connection that ran out.

    The database is up then, only busy: worth telling apart from one that is unreachable.
    """
    seen: BaseException | None = error
    visited: set[int] = set()
    while seen is not None and id(seen) not in visited:
        if isinstance(seen, PoolTimeout):
            return True
        visited.add(id(seen))
        seen = seen.__cause__ or seen.__context__
    return False


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Leave transaction control to us (see the module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            # With WAL, NORMAL loses no committed transaction on a crash of the process, only
            # possibly the last ones on a power loss; it is what makes bulk upserts fast.
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "invalidate")
    def _on_invalidate(
        dbapi_connection: Any, _record: ConnectionPoolEntry, _error: BaseException | None
    ) -> None:
        # Queued behind whatever aiosqlite's thread still runs on this connection, and ahead
        # of the close SQLAlchemy queues next; shielded so that a second cancellation cannot
        # drop it. A rollback ends the transaction even with a statement unfinished.
        try:
            dbapi_connection.run_async(lambda driver: asyncio.shield(driver.rollback()))
        except (SQLAlchemyError, sqlite3.Error, ValueError) as error:
            # Already closed (ValueError from aiosqlite), or collected outside the event loop:
            # no transaction can be left behind then.
            log.debug("no rollback before closing an invalidated connection: %s", error)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(READING):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
