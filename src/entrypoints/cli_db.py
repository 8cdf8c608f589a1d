"""``entsoe db``: the database schema."""

from __future__ import annotations

import os

import click

from adapters.sqlalchemy.engine import display_url
from adapters.sqlalchemy.migrate import SchemaChange, upgrade
from entrypoints.cli_support import run
from entrypoints.settings import load_settings


@click.group("db")
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def upgrade_command() -> None:
    """Create or upgrade the schema of the database at ENTSOE_DATABASE_URL.

    Without ENTSOE_DATABASE_URL that is entsoe.sqlite3 in the working directory. Running it
    again when the schema is current changes nothing.
    """
    url, change = run(_upgrade())
    where = display_url(url)
    if change.changed:
        click.echo(f"{where}: schema upgraded from {change.before or 'nothing'} to {change.after}")
    else:
        click.echo(f"{where}: schema already at revision {change.after}; nothing to do")


async def _upgrade() -> tuple[str, SchemaChange]:
    url = load_settings(os.environ).database_url
    return url, await upgrade(url)
