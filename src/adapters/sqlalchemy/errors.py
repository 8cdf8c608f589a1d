"""Database exceptions become the core's :class:`~entsoe_core.errors.StorageError` here.

Whatever the driver (SQLAlchemy, asyncpg used directly for COPY, aiosqlite used directly for
bulk inserts), the core sees one error type, with a message that says what we were doing. A
lost connection is told apart as :class:`~entsoe_core.errors.TransientStorageError`: the
server terminated it (``pg_terminate_backend``, a restart) or refused or reset a new one while
it comes back, and the same work may succeed on a new connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from entsoe_core.errors import StorageError, TransientStorageError

__all__ = ["DATABASE_ERRORS", "is_connection_lost", "storage_errors"]

DATABASE_ERRORS: tuple[type[Exception], ...] = (
    SQLAlchemyError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    sqlite3.Error,
    OSError,
)

_CONNECTION_LOST: tuple[type[BaseException], ...] = (
    # SQLSTATE class 08 (connection exception), including "connection was closed in the
    # middle of operation".
    asyncpg.PostgresConnectionError,
    # 57P01 terminated by an administrator, 57P02 crash of another backend, 57P03 the server
    # is starting up or shutting down.
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    # The protocol is still taking in an error the server sent outside any query (the notice
    # of its termination) when the next statement starts: "cannot switch to state …; another
    # operation (2) is in progress". Seen on asyncpg used directly, before the socket closes.
    asyncpg.InternalClientError,
    # Refused, reset, aborted or broken sockets, and connect time-outs.
    ConnectionError,
    TimeoutError,
)


def is_connection_lost(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) says the connection to the server is gone."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, _CONNECTION_LOST):
            return True
        # asyncpg's own check on a connection it knows is closed, used directly (COPY).
        if isinstance(current, asyncpg.InterfaceError) and "connection is closed" in str(current):
            return True
        orig = current.orig if isinstance(current, DBAPIError) else None
        current = orig or current.__cause__ or current.__context__
    return False


@contextmanager
def storage_errors(doing: str) -> Iterator[None]:
    """Translate database errors raised while ``doing`` into :class:`StorageError`."""
    try:
        yield
    except DATABASE_ERRORS as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if is_connection_lost(error):
            raise TransientStorageError(
                f"could not {doing}: the database connection was lost or refused: {detail}"
            ) from error
        raise StorageError(f"could not {doing}: {detail}") from error
