"""``entsoe db upgrade`` run as a real subprocess, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from tests.integration.databases import PostgresDatabases, asyncpg_dsn, run_blocking

ENTSOE = Path(sys.executable).parent / "entsoe"
TABLES = {
    "alembic_version",
    "backfill_chunks",
    "backfill_jobs",
    "coverage",
    "observations",
    "rate_limits",
    "series",
}

pytestmark = pytest.mark.slow


def db_upgrade(cwd: Path, url: str | None = None) -> subprocess.CompletedProcess[str]:
    assert ENTSOE.is_file(), f"the console script {ENTSOE} is missing; pip install -e ."
    # The command reads every ENTSOE_ variable as a setting; the test runner's own ones
    # (ENTSOE_TEST_REQUIRE_POSTGRES …) are not the command's business.
    env = {name: value for name, value in os.environ.items() if not name.startswith("ENTSOE_")}
    if url is not None:
        env["ENTSOE_DATABASE_URL"] = url
    return subprocess.run(
        [str(ENTSOE), "db", "upgrade"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def sqlite_schema(path: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
        return [(kind, name, sql) for kind, name, sql in rows]


async def postgres_schema(url: str) -> list[tuple[str, ...]]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        columns = await connection.fetch(
            "SELECT table_name, column_name, data_type, is_nullable "
            "FROM information_schema.columns WHERE table_schema = 'public' "
            "ORDER BY table_name, column_name"
        )
        indexes = await connection.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "ORDER BY indexname"
        )
        version = await connection.fetch("SELECT version_num FROM alembic_version")
    finally:
        await connection.close()
    return [tuple(row) for row in (*columns, *indexes, *version)]


def test_upgrade_gives_a_fresh_sqlite_file_in_the_working_directory_its_schema(
    tmp_path: Path,
) -> None:
    first = db_upgrade(tmp_path)

    assert first.returncode == 0, first.stderr
    assert "upgraded from nothing to" in first.stdout
    database = tmp_path / "entsoe.sqlite3"
    schema = sqlite_schema(database)
    assert {name for kind, name, _ in schema if kind == "table"} >= TABLES
    assert "ix_coverage_lookup" in {name for kind, name, _ in schema if kind == "index"}

    second = db_upgrade(tmp_path)

    assert second.returncode == 0, second.stderr
    assert "nothing to do" in second.stdout
    assert sqlite_schema(database) == schema


@pytest.mark.postgres
def test_upgrade_gives_an_empty_postgres_database_its_schema(
    tmp_path: Path, postgres_databases: PostgresDatabases
) -> None:
    url = postgres_databases.create(migrated=False)
    assert run_blocking(lambda: postgres_schema_or_none(url)) is None

    first = db_upgrade(tmp_path, url)

    assert first.returncode == 0, first.stderr
    assert "upgraded from nothing to" in first.stdout
    schema = run_blocking(lambda: postgres_schema(url))
    assert {row[0] for row in schema} >= TABLES
    assert not (tmp_path / "entsoe.sqlite3").exists()

    second = db_upgrade(tmp_path, url)

    assert second.returncode == 0, second.stderr
    assert "nothing to do" in second.stdout
    assert run_blocking(lambda: postgres_schema(url)) == schema


async def postgres_schema_or_none(url: str) -> list[tuple[str, ...]] | None:
    try:
        return await postgres_schema(url)
    except asyncpg.UndefinedTableError:
        return None


def test_an_unreachable_database_is_one_line_and_exit_code_1(tmp_path: Path) -> None:
    result = db_upgrade(tmp_path, "postgresql+asyncpg://entsoe:secret@127.0.0.1:9/nowhere")

    assert result.returncode == 1
    assert result.stderr.startswith("entsoe: database error: could not migrate")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "secret" not in result.stderr


@pytest.mark.parametrize(
    ("url", "named", "why"),
    [
        ("sqlite://", "'sqlite://'", "uses 'sqlite'"),
        ("postgresql://entsoe:hunter2@127.0.0.1/db", "'postgresql://entsoe:***@", "postgresql"),
        ("mysql://entsoe:hunter2@127.0.0.1/db", "'mysql://entsoe:***@127.0.0.1/db'", "mysql"),
        ("notaurl", "'notaurl'", "is not a database URL"),
        ("postgresql+asyncpg://entsoe:hunter2@127.0.0.1:99999/db", ":99999/db'", "port 99999"),
        ("postgresql+asyncpg://entsoe:hun@ter2@127.0.0.1:5x/db", "entsoe:***@", "not a database"),
        ("sqlite+aiosqlite:///", "'sqlite+aiosqlite:///'", "in-memory"),
        ("sqlite+aiosqlite:///:memory:", ":memory:", "in-memory"),
    ],
)
def test_an_unusable_database_url_is_one_line_and_exit_code_2(
    tmp_path: Path, url: str, named: str, why: str
) -> None:
    result = db_upgrade(tmp_path, url)

    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("entsoe: ENTSOE_DATABASE_URL "), result.stderr
    assert named in result.stderr
    assert why in result.stderr
    assert "hunter2" not in result.stderr
    assert "ter2" not in result.stderr
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []
