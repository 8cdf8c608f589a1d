"""Async engines for SQLite (the embedded default) and PostgreSQL (production).

SQLite needs help to behave like a database several processes share: write-ahead logging so
readers do not block the writer, a busy timeout so a second writer waits instead of failing,
foreign keys (off by default), and a transaction that really begins when the unit of work
begins. The sqlite3 driver defers BEGIN until the first write, so two workers could both read
"pending" and both claim the same chunk; we take the driver's BEGIN away and emit
``BEGIN IMMEDIATE`` ourselves, which takes the write lock up front.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

__all__ = [
    "DATABASE_URL_VARIABLE",
    "DEFAULT_DATABASE_URL",
    "create_engine",
    "database_url",
    "display_url",
    "is_sqlite",
]

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///entsoe.sqlite3"
DATABASE_URL_VARIABLE = "ENTSOE_DATABASE_URL"

SQLITE_BUSY_TIMEOUT_MS = 30_000


def database_url(environ: dict[str, str] | None = None) -> str:
    """The database URL from ``ENTSOE_DATABASE_URL``, or the SQLite file in the working dir."""
    source = os.environ if environ is None else environ
    return source.get(DATABASE_URL_VARIABLE) or DEFAULT_DATABASE_URL


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def display_url(url: str | URL) -> str:
    """The URL with any password masked, fit for logs and messages."""
    return make_url(url).render_as_string(hide_password=True)


def create_engine(url: str | URL, **options: Any) -> AsyncEngine:
    """An async engine for ``url``, configured for how this application uses the database.

    Parameters are hidden from error messages: a failed bulk insert would otherwise print
    hundreds of thousands of values.
    """
    options.setdefault("hide_parameters", True)
    if is_sqlite(url):
        engine = create_async_engine(url, **options)
        _configure_sqlite(engine)
        return engine
    options.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **options)


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

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
