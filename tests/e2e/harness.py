"""Driving ``entsoe`` as a user does: the CLI and the emulator as subprocesses.

The CLI runs as the ``entsoe`` console script installed next to the tests' interpreter, with a
scrubbed environment: only the ``ENTSOE_*`` variables a test sets reach it, so neither the
developer's settings nor the test runner's own variables leak in.
What the emulator serves is computed with :class:`SyntheticModel`, and what the database holds
is read back with ``entsoe export`` and with plain SQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import selectors
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import attrs
import httpx
import sqlalchemy as sa

from adapters.sqlalchemy import create_engine
from entrypoints.emulator import SyntheticModel
from entrypoints.emulator.app import DEFAULT_TOKEN
from entrypoints.emulator.model import DEFAULT_DATA_START
from entrypoints.wire import EXPORT_FIELDS, ROW_FIELDS, iter_rows
from entsoe_core.areas import AREAS
from entsoe_core.datasets import DATASETS
from entsoe_core.names import BUSINESS_TYPES, PSR_TYPES, area_name
from entsoe_core.timeline import Interval


def _console_script() -> tuple[str, ...]:
    installed = Path(sys.executable).with_name("entsoe")
    if installed.is_file():
        return (str(installed),)
    # What the console script runs, for an install without scripts; messages then name the
    # program "-c" instead of "entsoe".
    return (sys.executable, "-c", "from entrypoints.cli import run; run()")


CLI = _console_script()
"""The ``entsoe`` console script installed with the interpreter of the tests."""

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "entsoe"
"""The recorded ENTSO-E documents, next to the repository (as the parser tests find them)."""

COMMAND_TIMEOUT = 300.0
"""Seconds a single command may take before the test gives up on it (a hang, not a timing)."""

T = TypeVar("T")
Row = dict[str, Any]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def base_environment() -> dict[str, str]:
    """The test process' environment without any setting of the application."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ENTSOE_", "BACKFILL__"))
    }


@attrs.frozen
class Result:
    """A finished command."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    def explain(self) -> str:
        return (
            f"entsoe {' '.join(self.args)} exited {self.code}\n"
            f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
        )

    def ok(self) -> Result:
        """This result, after checking that the command succeeded."""
        assert self.code == 0, self.explain()
        assert "Traceback" not in self.stderr, self.explain()
        return self

    def json(self) -> Any:
        return json.loads(self.ok().stdout)

    def job_id(self) -> str:
        """The id a backfill or fill-gaps printed on its first line (``job ID``)."""
        first = self.stdout.splitlines()[0] if self.stdout else ""
        assert first.startswith("job "), self.explain()
        return first.split()[1]


@attrs.frozen
class Cli:
    """Runs ``entsoe`` commands in ``cwd`` with ``env`` (plus what a call adds)."""

    cwd: Path
    env: Mapping[str, str]

    def with_env(self, **extra: str | None) -> Cli:
        """A runner with variables set (``None`` removes one)."""
        env = dict(self.env)
        for name, value in extra.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return attrs.evolve(self, env=env)

    def __call__(self, *args: str, timeout: float = COMMAND_TIMEOUT) -> Result:
        done = subprocess.run(
            [*CLI, *args],
            cwd=self.cwd,
            env=dict(self.env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Result(args, done.returncode, done.stdout, done.stderr)

    def start(self, *args: str, name: str) -> Process:
        """Start a long-running command; its output goes to files named after ``name``."""
        stdout = self.cwd / f"{name}.stdout"
        stderr = self.cwd / f"{name}.stderr"
        with stdout.open("w") as out, stderr.open("w") as err:
            popen = subprocess.Popen(
                [*CLI, *args], cwd=self.cwd, env=dict(self.env), stdout=out, stderr=err
            )
        return Process(args, popen, stdout, stderr)


@attrs.define
class Process:
    """A command running in the background."""

    args: tuple[str, ...]
    popen: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text()

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def kill(self) -> None:
        """SIGKILL: no handler runs, no lease is given back."""
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=30)

    def wait(self, timeout: float = COMMAND_TIMEOUT) -> Result:
        code = self.popen.wait(timeout=timeout)
        return Result(self.args, code, self.stdout, self.stderr)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=30)


def wait_for(
    what: str, probe: Callable[[], T | None], *, timeout: float = 120.0, every: float = 0.1
) -> T:
    """Poll ``probe`` until it returns something other than None (or fail after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(every)


# -- the emulator ----------------------------------------------------------------------------


@attrs.frozen
class Emulator:
    """An ``entsoe emulator`` subprocess and what a client needs to use it."""

    url: str
    seed: int
    now: datetime | None
    data_start: datetime

    @property
    def stats_url(self) -> str:
        return self.url.removesuffix("/api") + "/_emulator/stats"

    def stats(self) -> dict[str, Any]:
        answer = httpx.get(self.stats_url, timeout=10)
        answer.raise_for_status()
        stats: dict[str, Any] = answer.json()
        return stats

    def env(self) -> dict[str, str]:
        """The settings that point the application at this emulator."""
        return {"ENTSOE_API_URL": self.url, "ENTSOE_API_TOKEN": DEFAULT_TOKEN}

    def rows(self, dataset: str, area: str, start: datetime, end: datetime) -> list[Row]:
        """Exactly the rows this emulator publishes for [start, end), sorted as export sorts."""
        return published_rows(
            self.seed, dataset, area, start, end, now=self.now, data_start=self.data_start
        )


def published_rows(
    seed: int,
    dataset: str,
    area: str,
    start: datetime,
    end: datetime,
    *,
    now: datetime | None = None,
    data_start: datetime = DEFAULT_DATA_START,
) -> list[Row]:
    """The rows an emulator with ``seed`` publishes for [start, end), sorted as export sorts."""
    series = SyntheticModel(seed).published_series(
        DATASETS.get(dataset),
        AREAS.key(area),
        Interval(start, end),
        now=now or datetime.now(UTC),
        data_start=data_start,
    )
    return sorted_rows(iter_rows(series))


@contextmanager
def running_emulator(cwd: Path, *options: str, seed: int = 7) -> Iterator[Emulator]:
    """Start ``entsoe emulator --port 0`` and read the URL it prints; stop it afterwards."""
    args = ["emulator", "--port", "0", "--seed", str(seed), *options]
    log = cwd / f"emulator-{seed}-{time.monotonic_ns()}.stderr"
    with log.open("w") as err:
        popen = subprocess.Popen(
            [*CLI, *args], cwd=cwd, env=base_environment(), stdout=subprocess.PIPE, stderr=err
        )
    try:
        assert popen.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(popen.stdout, selectors.EVENT_READ)
            if not selector.select(timeout=60):
                raise AssertionError(f"the emulator printed no URL; stderr: {log.read_text()}")
        url = popen.stdout.readline().decode().strip()
        assert url.startswith("http://127.0.0.1:"), f"not a URL: {url!r}; {log.read_text()}"
        now = _option(args, "--now")
        data_start = _option(args, "--data-start")
        yield Emulator(
            url,
            seed,
            utc(now) if now else None,
            utc(data_start) if data_start else DEFAULT_DATA_START,
        )
    finally:
        popen.send_signal(signal.SIGTERM)
        try:
            popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait(timeout=30)
        if popen.stdout is not None:
            popen.stdout.close()


def _option(args: Sequence[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


# -- what the database holds -----------------------------------------------------------------


def row_order(row: Row) -> tuple[str, ...]:
    return (
        row["timestamp"],
        row["document_type"],
        row["process_type"],
        row["business_type"],
        row["psr_type"],
        row["in_domain"],
        row["out_domain"],
        row["classification_position"],
        row["resolution"],
        str(row.get("price_category", "")),
        str(row.get("flow_direction", "")),
        str(row.get("market_product", "")),
        str(row.get("quantity_kind", "")),
        str(row.get("registered_resource", "")),
    )


def sorted_rows(rows: Iterator[Row] | Sequence[Row]) -> list[Row]:
    return sorted(rows, key=row_order)


def jsonl(text: str) -> list[Row]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def exported(cli: Cli, dataset: str, area: str, start: datetime, end: datetime) -> list[Row]:
    """What ``entsoe export --format jsonl`` prints, sorted; checks there are no duplicates."""
    result = cli(
        "export",
        "--area",
        area,
        "--dataset",
        dataset,
        "--start",
        start.isoformat(),
        "--end",
        end.isoformat(),
        "--format",
        "jsonl",
    ).ok()
    rows = as_parsed(jsonl(result.stdout), dataset, area)
    assert f"exported {len(rows)} observation(s)" in result.stderr, result.explain()
    keys = [row_order(row) for row in rows]
    assert len(set(keys)) == len(keys), "export printed the same observation twice"
    return sorted_rows(rows)


def as_parsed(rows: Sequence[Row], dataset: str, area: str) -> list[Row]:
    """Exported rows as parsed rows: the fields an export adds (unit, dataset, area, names) are
    checked against the catalogues and left out, and the rest is in the order of a parsed row."""
    key = AREAS.key(area)
    for row in rows:
        assert list(row) == [field for field in EXPORT_FIELDS if field in row], row
        assert row["unit"] == DATASETS.get(dataset).unit, row
        assert (row["dataset"], row["area"]) == (dataset, AREAS.label(key)), row
        assert row["area_name"] == area_name(key), row
        assert row["psr_type_name"] == PSR_TYPES.get(row["psr_type"], ""), row
        assert row["business_type_name"] == BUSINESS_TYPES.get(row["business_type"], ""), row
    return [{field: row[field] for field in ROW_FIELDS if field in row} for row in rows]


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite+aiosqlite:///"))


def query(url: str, statement: str) -> list[tuple[Any, ...]]:
    """Rows of a read-only SQL statement, on SQLite (stdlib sqlite3) or PostgreSQL."""
    if url.startswith("sqlite"):
        with sqlite3.connect(f"file:{sqlite_path(url)}?mode=ro", uri=True) as connection:
            return connection.execute(statement).fetchall()

    async def fetch() -> list[tuple[Any, ...]]:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                result = await connection.execute(sa.text(statement))
                return [tuple(row) for row in result.all()]
        finally:
            await engine.dispose()

    return asyncio.run(fetch())


TABLES = ("backfill_jobs", "backfill_chunks", "coverage", "series", "observations", "rate_limits")


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (or nothing, for a database file that does not exist)."""
    if url.startswith("sqlite") and not sqlite_path(url).exists():
        return {}
    return {table: sorted(query(url, f"SELECT * FROM {table}"), key=repr) for table in TABLES}


def chunk_rows(url: str, job_id: str) -> list[dict[str, Any]]:
    columns = (
        "id",
        "status",
        "interval_start",
        "interval_end",
        "attempts",
        "requests",
        "lease_owner",
        "version",
    )
    rows = query(
        url,
        f"SELECT {', '.join(columns)} FROM backfill_chunks "
        f"WHERE job_id = '{job_id}' ORDER BY position",
    )
    return [dict(zip(columns, row, strict=True)) for row in rows]
