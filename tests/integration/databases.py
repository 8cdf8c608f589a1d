"""Real databases for the integration tests: SQLite files and throwaway PostgreSQL databases.

PostgreSQL comes from ``ENTSOE_TEST_POSTGRES_URL`` (``scripts/test.sh`` starts a cluster and
sets it). Each test module gets a database of its own, created from that URL and dropped at the
end of the session, and every test starts from empty tables.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy import create_engine, upgrade
from adapters.sqlalchemy.tables import metadata

POSTGRES_URL_VARIABLE = "ENTSOE_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_VARIABLE = "ENTSOE_TEST_REQUIRE_POSTGRES"

T = TypeVar("T")


def postgres_admin_url() -> str:
    """The PostgreSQL the tests may create databases in; fails the test when there is none."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if url:
        return url
    why = (
        f"{REQUIRE_POSTGRES_VARIABLE}=1 demands PostgreSQL"
        if os.environ.get(REQUIRE_POSTGRES_VARIABLE) == "1"
        else "the SQL adapters are tested on PostgreSQL too"
    )
    pytest.fail(
        f"{POSTGRES_URL_VARIABLE} is not set and {why}. Run the tests with scripts/test.sh, "
        "which starts a throwaway PostgreSQL cluster, or `source scripts/postgres.sh; "
        "postgres_start` in your shell first.",
        pytrace=False,
    )


def run_blocking(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from synchronous code, even inside a running loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def asyncpg_dsn(url: str) -> str:
    """A SQLAlchemy ``postgresql+asyncpg://`` URL as a plain DSN for asyncpg itself."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'entsoe.sqlite3'}"


class PostgresDatabases:
    """Creates throwaway databases on the test cluster and drops them again."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self._created: list[str] = []

    def create(self, *, migrated: bool) -> str:
        name = f"entsoe_test_{uuid.uuid4().hex[:12]}"
        run_blocking(lambda: self._admin(f'CREATE DATABASE "{name}"'))
        self._created.append(name)
        url = make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)
        if migrated:
            run_blocking(lambda: upgrade(url))
        return url

    def drop_all(self) -> None:
        while self._created:
            statement = f'DROP DATABASE IF EXISTS "{self._created.pop()}" WITH (FORCE)'
            run_blocking(lambda: self._admin(statement))  # noqa: B023 (called at once)

    async def _admin(self, statement: str) -> None:
        connection = await asyncpg.connect(asyncpg_dsn(self.admin_url))
        try:
            await connection.execute(statement)
        finally:
            await connection.close()


async def empty_tables(engine: AsyncEngine) -> None:
    names = ", ".join(table.name for table in metadata.sorted_tables)
    async with engine.begin() as connection:
        await connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@asynccontextmanager
async def open_engine(url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on ``url``; on PostgreSQL its tables are emptied first."""
    engine = create_engine(url)
    try:
        if engine.dialect.name == "postgresql":
            await empty_tables(engine)
        yield engine
    finally:
        await engine.dispose()
