"""Fixtures of the end-to-end tests: a working folder, the CLI, the emulator, databases."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.e2e.harness import Cli, Emulator, base_environment, running_emulator
from tests.integration.databases import asyncpg_dsn, postgres_admin_url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'entsoe.sqlite3'}"


@pytest.fixture
def cli(tmp_path: Path, sqlite_url: str) -> Cli:
    """``entsoe`` in a fresh folder, on a fresh SQLite file there."""
    return Cli(tmp_path, {**base_environment(), "ENTSOE_DATABASE_URL": sqlite_url})


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """An emulator without faults, shared by the tests of a module."""
    with running_emulator(tmp_path_factory.mktemp("emulator"), seed=7) as running:
        yield running


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """A fresh database of each kind in turn: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        return sqlite_url
    url: str = request.getfixturevalue("postgres_url")
    return url


async def _admin(admin_url: str, statement: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture
def postgres_url(tmp_path: Path) -> Iterator[str]:
    """A fresh PostgreSQL database for one test, given its schema by `entsoe db upgrade`;
    dropped afterwards."""
    # Never a skip: without PostgreSQL this fails, saying how to start one.
    admin_url = postgres_admin_url()
    name = f"entsoe_e2e_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        Cli(tmp_path, {**base_environment(), "ENTSOE_DATABASE_URL": url})("db", "upgrade").ok()
        yield url
    finally:
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
