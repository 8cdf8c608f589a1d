"""The adapters under contract: in-memory (the reference), SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.memory import MemoryUnitOfWorkFactory
from adapters.sqlalchemy import SqlUnitOfWorkFactory
from entsoe_core.ports import UnitOfWorkFactory
from tests.integration.databases import open_engine, sqlite_url

ADAPTERS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=ADAPTERS)
async def uow_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[UnitOfWorkFactory]:
    """A unit of work factory over an empty database of each adapter."""
    if request.param == "memory":
        yield MemoryUnitOfWorkFactory()
        return
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
    else:
        url = request.getfixturevalue("postgres_url")
    async with open_engine(url) as engine:
        yield SqlUnitOfWorkFactory(engine)
