"""``entsoe demo``: a backfill against the bundled emulator, offline, into the default database
(``entsoe.sqlite3`` in the working folder)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import make_url

from tests.e2e.harness import Cli, exported, published_rows, utc

pytestmark = pytest.mark.slow

DEMO_SEED = 1
"""The seed ``entsoe demo`` runs its emulator with."""


def test_demo_backfills_a_year_into_the_default_database(cli: Cli) -> None:
    app = cli.with_env(ENTSOE_DATABASE_URL=None)
    year = datetime.now(UTC).year - 1

    result = app("demo", "--area", "NL", "--dataset", "actual_total_load").ok()

    assert "emulator listening on http://127.0.0.1:" in result.stderr
    lines = result.stdout.splitlines()
    job_id = lines[0].split()[1].removesuffix(":")
    assert lines[0] == f"job {job_id}: 1 area/dataset pairs, {year}"
    assert lines[1].startswith(f"job {job_id} completed, chunks 12/12 done")
    days = (datetime(year + 1, 1, 1) - datetime(year, 1, 1)).days
    assert f"NL       actual_total_load            {days} days   0 days" in lines
    assert "The database: sqlite+aiosqlite:///entsoe.sqlite3" in lines
    assert (cli.cwd / "entsoe.sqlite3").is_file()

    # The commands the demo suggests work on what it stored, in the same folder.
    assert [job["id"] for job in app("jobs", "--json").json()] == [job_id]
    week = utc(f"{year}-03-25"), utc(f"{year}-04-01")
    assert exported(app, "actual_total_load", "NL", *week) == published_rows(
        DEMO_SEED, "actual_total_load", "NL", *week
    )


@pytest.mark.postgres
def test_demo_names_a_postgres_database_without_its_password(cli: Cli, postgres_url: str) -> None:
    # The test cluster trusts local connections: the password is sent nowhere, only printed.
    with_password = make_url(postgres_url).set(password="hunter2")
    url = with_password.render_as_string(hide_password=False)

    result = cli.with_env(ENTSOE_DATABASE_URL=url)(
        "demo", "--area", "NL", "--dataset", "actual_total_load"
    ).ok()

    shown = with_password.render_as_string(hide_password=True)
    assert f"The database: {shown}" in result.stdout.splitlines()
    assert "hunter2" not in result.stdout + result.stderr
