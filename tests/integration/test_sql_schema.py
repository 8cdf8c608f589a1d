"""The schema on first use, and database errors as the core's StorageError."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from adapters.sqlalchemy import SqlUnitOfWorkFactory, create_engine
from adapters.sqlalchemy.migrate import head_revision
from entsoe_core.coverage import CoverageEntry, Outcome
from entsoe_core.errors import StorageError
from entsoe_core.timeline import Interval
from tests.integration.contract.builders import LOAD, NL, NOW
from tests.integration.databases import PostgresDatabases, open_engine, sqlite_url

ENTRY = CoverageEntry(Interval(NOW.replace(day=1), NOW.replace(day=2)), Outcome.DATA, NOW)


async def test_a_fresh_sqlite_file_gets_its_schema_on_first_use(tmp_path: Path) -> None:
    async with open_engine(sqlite_url(tmp_path)) as engine:
        factory = SqlUnitOfWorkFactory(engine)
        async with factory() as uow:
            await uow.store.record_coverage(LOAD, NL, ENTRY)
            await uow.commit()

    with sqlite3.connect(tmp_path / "entsoe.sqlite3") as db:
        (version,) = db.execute("SELECT version_num FROM alembic_version").fetchone()
        (mode,) = db.execute("PRAGMA journal_mode").fetchone()
    assert version == head_revision()
    assert mode == "wal"


@pytest.mark.postgres
async def test_a_postgres_database_without_schema_says_to_run_db_upgrade(
    postgres_databases: PostgresDatabases,
) -> None:
    engine = create_engine(postgres_databases.create(migrated=False))
    try:
        with pytest.raises(StorageError, match="entsoe db upgrade"):
            async with SqlUnitOfWorkFactory(engine)():
                pass
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_database_errors_become_storage_errors(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = sqlite_url(tmp_path) if backend == "sqlite" else request.getfixturevalue("postgres_url")
    async with open_engine(url) as engine:
        factory = SqlUnitOfWorkFactory(engine)
        async with factory():
            pass  # the schema is there (and made, on SQLite)
        async with engine.begin() as connection:
            await connection.execute(sa.text("ALTER TABLE coverage RENAME TO coverage_gone"))
        try:
            with pytest.raises(StorageError, match="could not record coverage"):
                async with factory() as uow:
                    await uow.store.record_coverage(LOAD, NL, ENTRY)
        finally:
            async with engine.begin() as connection:
                await connection.execute(sa.text("ALTER TABLE coverage_gone RENAME TO coverage"))


async def test_a_unit_of_work_is_only_usable_inside_its_block(tmp_path: Path) -> None:
    async with open_engine(sqlite_url(tmp_path)) as engine:
        uow = SqlUnitOfWorkFactory(engine)()
        with pytest.raises(StorageError, match="async with uow"):
            await uow.progress.get_job("any")
        async with uow:
            await uow.commit()
            with pytest.raises(StorageError, match="async with uow"):
                await uow.store.record_coverage(LOAD, NL, ENTRY)
