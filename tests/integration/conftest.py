"""Fixtures of the integration tests: real SQLite and PostgreSQL databases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.databases import (
    PostgresDatabases,
    open_engine,
    postgres_admin_url,
    sqlite_url,
)


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    """Makes throwaway databases on the test cluster; drops them when the session ends."""
    databases = PostgresDatabases(postgres_admin_url())
    yield databases
    databases.drop_all()


@pytest.fixture(scope="module")
def postgres_url(postgres_databases: PostgresDatabases) -> str:
    """A migrated database for this test module alone."""
    return postgres_databases.create(migrated=True)


@pytest.fixture
async def postgres_engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on this module's database, with every table emptied."""
    async with open_engine(postgres_url) as engine:
        yield engine


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on a fresh SQLite file (its schema is made on first use)."""
    async with open_engine(sqlite_url(tmp_path)) as engine:
        yield engine
