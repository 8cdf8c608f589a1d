"""Schema migrations, run programmatically with the async engine (no ``alembic.ini``).

``upgrade(url)`` is what ``entsoe db upgrade`` runs. ``check_schema(engine)`` runs when a unit
of work factory is first used: a fresh SQLite file is given the schema there and then (the
embedded default must work without a setup step); any other database must be at the current
revision already, or the error says to run ``entsoe db upgrade``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sqlalchemy.engine import READING, create_engine, display_url
from adapters.sqlalchemy.errors import storage_errors
from entsoe_core.errors import StorageError

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["SchemaChange", "check_schema", "head_revision", "upgrade", "upgrade_engine"]

MIGRATIONS = Path(__file__).parent / "migrations"
# The module-level assignments alembic reads from each migration file, as its template or
# a formatter writes them (quoted either way, with or without a type annotation).
_REVISION_LINE = re.compile(
    r"""^(down_revision|revision)\s*(?::[^=\n]+)?=\s*(?:["']([^"'\n]+)["']|None)\s*$""",
    re.MULTILINE,
)

# Any constant will do: it only has to be the same in every process that migrates.
_MIGRATION_LOCK = 0x656E74736F65


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest shipped revision: the one no other migration names as its down revision."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        for kind, name in _REVISION_LINE.findall(script.read_text(encoding="utf-8")):
            (revisions if kind == "revision" else downs).add(name)
    heads = revisions - downs
    if len(heads) == 1:
        return heads.pop()
    # A history the plain lines do not tell (a merge names two down revisions): alembic's.
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the package ships no migration"
    return head


def _current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


@attrs.frozen
class SchemaChange:
    """The schema revision before and after an upgrade."""

    before: str | None
    after: str | None

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _upgrade(connection: Connection, revision: str) -> SchemaChange:
    before = _current_revision(connection)
    from alembic import command

    config = _config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
    return SchemaChange(before, _current_revision(connection))


async def _lock_for_migration(connection: AsyncConnection) -> None:
    # SQLite is already serialised by BEGIN IMMEDIATE; PostgreSQL needs a lock so that two
    # processes upgrading at once do not both try to create the tables.
    if connection.dialect.name == "postgresql":
        await connection.execute(
            sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
        )


async def upgrade_engine(engine: AsyncEngine, revision: str = "head") -> SchemaChange:
    """Bring the database of ``engine`` to ``revision``."""
    with storage_errors(f"migrate {display_url(engine.url)}"):
        async with engine.begin() as connection:
            await _lock_for_migration(connection)
            return await connection.run_sync(_upgrade, revision)


async def upgrade(url: str | URL, revision: str = "head") -> SchemaChange:
    """Create or upgrade the schema at ``url``; running it again changes nothing."""
    engine = create_engine(url)
    try:
        return await upgrade_engine(engine, revision)
    finally:
        await engine.dispose()


def _inspect(connection: Connection) -> tuple[bool, str | None]:
    tables = sa.inspect(connection).get_table_names()
    if "alembic_version" not in tables:
        return not tables, None
    # Alembic's own table of one row (a linear history has one head).
    stored = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
    return False, next(iter(stored), None)


async def check_schema(engine: AsyncEngine) -> None:
    """Make sure the schema is current; give a fresh SQLite file its schema."""
    with storage_errors(f"open {display_url(engine.url)}"):
        async with engine.connect() as connection:
            # Looking takes no write lock (a deferred transaction on SQLite).
            await connection.execution_options(**{READING: True})
            fresh, current = await connection.run_sync(_inspect)
    head = head_revision()
    if current == head:
        return
    if fresh and engine.dialect.name == "sqlite":
        await upgrade_engine(engine)
        return
    found = "no schema" if fresh else f"schema revision {current or 'unknown'}"
    raise StorageError(
        f"the database {display_url(engine.url)} has {found}, this version needs revision "
        f"{head}; run `entsoe db upgrade` (with the same ENTSOE_DATABASE_URL) first"
    )
