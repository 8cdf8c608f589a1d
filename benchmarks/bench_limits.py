"""Request-limits benchmark: the requests a backfill makes against an API with per-dataset
limits, the refusals it meets, and whether the rate budget is all it waits for.

A backfill of 4 areas x actual total load, actual generation per type and day-ahead prices x 2
years into a fresh SQLite file, through the application as ``entsoe backfill`` builds it (the
HTTP source, the request budget in the database, the chunk runner), from ``entsoe emulator`` on
loopback in a process of its own. Three runs, each against a fresh emulator and database:

- ``month cap (the old default)``: chunks of at most a month, as every plan was cut before
  each dataset knew its limit (the baseline);
- ``today``: the emulator keeps today's limits, which the catalogue knows (one month for load
  and generation, one year for prices);
- ``stricter``: the emulator refuses more than one month of day-ahead prices
  (``--limit day_ahead_prices=P1M``) while the catalogue still says a year, as when the API
  changes a limit without notice.

For each run and dataset it reports the requests made over the fewest the emulator's limits
allow (whole UTC calendar cells of each limit over the period; target 1.00), the requests
refused as too long (target: none when the limits are known, at most one per dataset when one
is new), and the chunks done and failed; and overall the wall time over the time the rate
budget alone takes (the burst of 10 at once, the rest at the rate the budget refills, as
``entsoe plan`` counts it; target at most 1.1). The areas default to
four whose emulated data is hourly, so that the budget, not the volume of data, sets the pace
(``benchmarks/bench_ingest.py`` measures volume).

Run it from the repository root (about two and a half minutes at the default budget)::

    python benchmarks/bench_limits.py
    python benchmarks/bench_limits.py --areas NL DE_LU BE AT --rate 200
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import attrs
import httpx

from entrypoints.bootstrap import application
from entrypoints.emulator.spans import SpanLimits, parse_limits
from entsoe_core.budget import RequestBudget
from entsoe_core.datasets import DATASETS
from entsoe_core.limits import cell_fitting
from entsoe_core.plan import ChunkSpan
from entsoe_core.progress import ChunkStatus
from entsoe_core.services.requests import BackfillRequest
from entsoe_core.timeline import Interval

TOKEN = "bench-limits-token"
DATASET_KEYS = ("actual_total_load", "actual_generation_per_type", "day_ahead_prices")
START = datetime(2023, 1, 1, tzinfo=UTC)
END = datetime(2025, 1, 1, tzinfo=UTC)
EMULATOR_NOW = "2026-01-15T12:00"
RUNS: dict[str, tuple[tuple[str, ...], ChunkSpan | None]] = {
    "month cap (the old default)": ((), ChunkSpan.MONTH),
    "today": ((), None),
    "stricter": (("day_ahead_prices=P1M",), None),
}


@attrs.frozen
class DatasetFigures:
    requests: int
    minimal: int
    refused: int
    done: int
    failed: int


@attrs.frozen
class RunFigures:
    name: str
    datasets: dict[str, DatasetFigures]
    wall_seconds: float
    job_status: str

    @property
    def requests(self) -> int:
        return sum(d.requests for d in self.datasets.values())


def minimal_requests(limits: Sequence[str], areas: int) -> dict[str, int]:
    """The fewest requests the emulator's limits allow for each dataset over the period."""
    emulated = SpanLimits(overrides=parse_limits(limits))
    period = Interval(START, END)
    fewest = {}
    for key in DATASET_KEYS:
        cell = cell_fitting([emulated.span(DATASETS.get(key))])
        fewest[key] = areas * len(list(cell.cut(period)))
    return fewest


@asynccontextmanager
async def emulator(limits: Sequence[str]) -> AsyncIterator[str]:
    """``entsoe emulator`` in its own process; yields its API URL."""
    options = [option for limit in limits for option in ("--limit", limit)]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from entrypoints.cli import main; main(prog_name='entsoe')",
        "emulator",
        "--seed",
        "1",
        "--token",
        TOKEN,
        "--now",
        EMULATOR_NOW,
        *options,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        yield (await asyncio.wait_for(process.stdout.readline(), 60)).decode().strip()
    finally:
        process.terminate()
        await process.wait()


async def run(
    name: str, limits: Sequence[str], span: ChunkSpan | None, areas: Sequence[str], rate: float
) -> RunFigures:
    async with emulator(limits) as api_url:
        with tempfile.TemporaryDirectory() as folder:
            environ = {
                "ENTSOE_DATABASE_URL": f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}",
                "ENTSOE_API_URL": api_url,
                "ENTSOE_API_TOKEN": TOKEN,
                "ENTSOE_RATE_LIMIT_PER_MINUTE": str(rate),
            }
            async with application(fetching=True, environ=environ) as app:
                # Without a cap each dataset is cut at its own limit.
                request = BackfillRequest.parse(areas, DATASET_KEYS, START, END, span=span)
                started = time.perf_counter()
                report = await app.backfill.start(request)
                wall = time.perf_counter() - started
                async with app.uow(reading=True) as unit:
                    chunks = await unit.progress.get_chunks(report.job.id)
        async with httpx.AsyncClient(timeout=30) as http:
            stats = (await http.get(api_url.removesuffix("/api") + "/_emulator/stats")).json()
    fewest = minimal_requests(limits, len(areas))
    counted = stats["datasets"]
    figures = {}
    for key in DATASET_KEYS:
        mine = [chunk for chunk in chunks if chunk.chunk.dataset == key]
        figures[key] = DatasetFigures(
            requests=counted.get(key, {}).get("requests", 0),
            minimal=fewest[key],
            refused=counted.get(key, {}).get("too_long", 0),
            done=sum(chunk.status is ChunkStatus.DONE for chunk in mine),
            failed=sum(chunk.status is ChunkStatus.FAILED for chunk in mine),
        )
    return RunFigures(name, figures, wall, report.job.status.value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--areas", nargs="+", default=["FR", "ES", "PL", "CZ"])
    parser.add_argument(
        "--rate",
        type=float,
        default=350.0,
        help="the most requests in any minute (12-400, the burst of 10 included)",
    )
    args = parser.parse_args()

    results = [
        asyncio.run(run(name, limits, span, args.areas, args.rate))
        for name, (limits, span) in RUNS.items()
    ]

    print(
        f"areas {' '.join(args.areas)}; {START:%Y-%m-%d} to {END:%Y-%m-%d}; "
        f"budget {args.rate:g} requests/min; python {sys.version.split()[0]}"
    )
    print()
    print("| run | dataset | requests | minimal | requests / minimal | refused | done | failed |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for result in results:
        for key, one in result.datasets.items():
            print(
                f"| {result.name} | {key} | {one.requests} | {one.minimal} | "
                f"{one.requests / one.minimal:.2f} | {one.refused} | {one.done} | {one.failed} |"
            )
    print()
    print("| run | job | requests | wall s | budget s | wall / budget |")
    print("|---|---|---:|---:|---:|---:|")
    for result in results:
        rate = RequestBudget(args.rate)
        budget = max(0, result.requests - rate.burst) / rate.refill_per_minute * 60
        print(
            f"| {result.name} | {result.job_status} | {result.requests} | "
            f"{result.wall_seconds:.1f} | {budget:.1f} | {result.wall_seconds / budget:.2f} |"
        )


if __name__ == "__main__":
    main()
