"""Chaos soak from the command line: see :mod:`tests.e2e.chaos` for what it does and checks.

A fresh database (a SQLite file, or a database on the PostgreSQL of
``ENTSOE_TEST_POSTGRES_URL``, dropped afterwards), one soak on it, each finding printed. Bounded:
``--seconds`` of chaos, then ``--finish-seconds`` at most for the rest; loopback only. Run it
from the repository root (PostgreSQL from ``scripts/postgres.sh``)::

    python -m benchmarks.chaos_soak --database sqlite --seconds 60
    python -m benchmarks.chaos_soak --database postgresql --seconds 300 --seed 7

It exits 0 when every finding holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url
from tests.e2e.chaos import SoakSettings, soak
from tests.e2e.harness import Cli, base_environment
from tests.integration.databases import asyncpg_dsn

# -- the command ---------------------------------------------------------------------------------


@contextmanager
def _database(kind: str, workdir: Path) -> Iterator[str]:
    """A fresh migrated database of ``kind`` for one soak; dropped afterwards."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'soak.sqlite3'}"
        Cli(workdir, {**base_environment(), "ENTSOE_DATABASE_URL": url})("db", "upgrade").ok()
        yield url
        return
    server = os.environ.get("ENTSOE_TEST_POSTGRES_URL")
    if not server:
        sys.exit("set ENTSOE_TEST_POSTGRES_URL (scripts/postgres.sh) to soak on PostgreSQL")
    name = f"chaos_soak_{uuid.uuid4().hex[:12]}"

    async def admin(statement: str) -> None:
        connection = await asyncpg.connect(asyncpg_dsn(server))
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        Cli(workdir, {**base_environment(), "ENTSOE_DATABASE_URL": url})("db", "upgrade").ok()
        yield url
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds of chaos")
    parser.add_argument("--finish-seconds", type=float, default=180.0)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument(
        "--days", type=int, default=None, help="days of the job (default: enough for --seconds)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chaos-soak-") as folder:
        workdir = Path(folder)
        with _database(args.database, workdir) as url:
            settings = SoakSettings(
                url,
                seed=args.seed,
                chaos_seconds=args.seconds,
                finish_seconds=args.finish_seconds,
                workers=args.workers,
                days=args.days,
            )
            started = time.monotonic()
            findings = soak(settings, workdir)
    print(
        f"chaos soak on {args.database}, seed {args.seed}, {args.seconds:g} s of chaos, "
        f"{time.monotonic() - started:.0f} s in all"
    )
    for finding in findings:
        print(f"{'ok  ' if finding.ok else 'FAIL'} {finding.name}: {finding.detail}")
    print(json.dumps({"ok": all(f.ok for f in findings)}))
    sys.exit(0 if all(f.ok for f in findings) else 1)


if __name__ == "__main__":
    main()
