"""A command imports what it needs and no more: ``entsoe --help`` imports no command, and
``entsoe status`` on a current database imports neither alembic, nor the HTTP source, nor the
HTTP server, nor pandas; and the interpreter does not search what was imported for garbage on
its way out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from entrypoints.cli import COMMANDS
from tests.integration.databases import sqlite_url

# Runs the console script and prints, on the way out, the top-level modules it imported.
IMPORTED = (
    "import atexit, json, sys\n"
    "atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))\n"
    "from entrypoints.cli import run\n"
    "run()\n"
)
HEAVY = ("alembic", "httpx", "lxml", "litestar", "uvicorn", "pandas", "pyarrow", "selenium")


def entsoe(*args: str, database: str) -> tuple[str, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", IMPORTED, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"ENTSOE_DATABASE_URL": database, "PATH": ""},
        check=True,
    )
    modules = json.loads(done.stderr.strip().splitlines()[-1])
    return done.stdout, set(modules)


def test_help_lists_every_command_without_importing_one(tmp_path: Path) -> None:
    out, modules = entsoe("--help", database=sqlite_url(tmp_path))

    for name in COMMANDS:
        assert f"  {name} " in out
    assert not {m for m in modules if m.startswith("entrypoints.cli_")}
    assert "sqlalchemy" not in modules


def test_status_on_a_current_database_imports_no_migration_source_or_server(
    tmp_path: Path,
) -> None:
    database = sqlite_url(tmp_path)
    subprocess.run(
        [sys.executable, "-c", IMPORTED, "db", "upgrade"],
        env={"ENTSOE_DATABASE_URL": database, "PATH": ""},
        capture_output=True,
        timeout=60,
        check=True,
    )

    out, modules = entsoe("status", "--json", database=database)

    assert json.loads(out) == []
    assert "entrypoints.cli_jobs" in modules
    assert [name for name in HEAVY if name in modules] == []


def test_the_console_script_leaves_its_objects_to_the_exit_uncollected(tmp_path: Path) -> None:
    # atexit runs its handlers last in first: this one runs after the console script's.
    script = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print(gc.get_freeze_count(), file=sys.stderr))\n"
        "from entrypoints.cli import run\n"
        "run()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "datasets"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"ENTSOE_DATABASE_URL": sqlite_url(tmp_path), "PATH": ""},
        check=True,
    )

    assert "actual_total_load" in done.stdout
    assert int(done.stderr.strip().splitlines()[-1]) > 10_000
