"""Database exceptions become the core's :class:`~entsoe_core.errors.StorageError` here.

Whatever the driver (SQLAlchemy, asyncpg used directly for COPY, aiosqlite used directly for
bulk inserts), the core sees one error type, with a message that says what we were doing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
from sqlalchemy.exc import SQLAlchemyError

from entsoe_core.errors import StorageError

__all__ = ["DATABASE_ERRORS", "storage_errors"]

DATABASE_ERRORS: tuple[type[Exception], ...] = (
    SQLAlchemyError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    sqlite3.Error,
    OSError,
)


@contextmanager
def storage_errors(doing: str) -> Iterator[None]:
    """Translate database errors raised while ``doing`` into :class:`StorageError`."""
    try:
        yield
    except DATABASE_ERRORS as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise StorageError(f"could not {doing}: {detail}") from error
