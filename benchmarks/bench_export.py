"""Export benchmark: Parquet out of a real store, next to a bare pyarrow write of the same rows.

The store is a SQLite file holding three years (2022 to 2024) of quarter-hourly generation per
type for NL, as many series as it takes to reach ``--points`` (10 million by default: 96
series of 105,216 points each), upserted month by month through the SQL store as a backfill
writes them. Then, each in a fresh process whose peak RSS (``ru_maxrss``) is read when it
ends:

- ``entsoe export --format parquet`` of one month and of the three years, exactly as a user
  runs it (the console script, the same database, ``-o FILE``);
- the store read alone: every page of the three years through ``ReadService.column_pages``
  (the columnar read the Parquet export makes), nothing written, to show what the read costs;
- the floor: the same rows as Python lists (timestamps, values, the key columns), built page
  by page outside the timing, turned into Arrow arrays and written with
  ``pyarrow.parquet.ParquetWriter`` in row groups of the export's page size. Only the Arrow
  conversion and the write are timed.

Each run reports wall time and CPU time (user + system of its process, the export's including
the console script's start); on a shared machine the CPU figures move less.

Run it from the repository root (the store is built once and kept with ``--keep``)::

    python benchmarks/bench_export.py                      # 10 million points
    python benchmarks/bench_export.py --points 1000000     # a quick look
    python benchmarks/bench_export.py --postgres postgresql+asyncpg://…/db   # and PostgreSQL
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

START = datetime(2022, 1, 1, tzinfo=UTC)
END = datetime(2025, 1, 1, tzinfo=UTC)
STEP = timedelta(minutes=15)
DATASET = "actual_generation_per_type"
AREA = "NL"
AREA_CODE = "10YNL----------L"
PAGE = 50_000
"""The export's page (and row group) size: ``entrypoints.cli_data.PAGE``."""


def series_count(points: int) -> int:
    return math.ceil(points / ((END - START) // STEP))


def add_months(instant: datetime, months: int) -> datetime:
    month = instant.month - 1 + months
    return instant.replace(year=instant.year + month // 12, month=month % 12 + 1)


def key_of(n: int) -> Any:
    from entsoe_core.observations import SeriesKey

    return SeriesKey(
        document_type="A75",
        process_type="A16",
        business_type="A01",
        psr_type=f"B{n + 1:02d}",
        in_domain=AREA_CODE,
        resolution="PT15M",
    )


# -- the store ------------------------------------------------------------------------------


async def fill(url: str, count: int) -> int:
    """Upsert ``count`` series over the three years, a month per unit of work."""
    from adapters.sqlalchemy import SqlUnitOfWorkFactory, create_engine
    from entsoe_core.areas import AREAS
    from entsoe_core.observations import Point, Series

    engine = create_engine(url)
    factory = SqlUnitOfWorkFactory(engine)
    area = AREAS.key(AREA)
    keys = [key_of(n) for n in range(count)]
    written = 0
    month = START
    try:
        while month < END:
            following = add_months(month, 1)
            steps = (following - month) // STEP
            instants = [month + i * STEP for i in range(steps)]
            chunk = [
                Series(
                    key,
                    tuple(Point(t, float((i + n) % 977)) for i, t in enumerate(instants)),
                    unit="MAW",
                    curve_type="A01",
                    created_at=START,
                )
                for n, key in enumerate(keys)
            ]
            async with factory() as uow:
                written += (await uow.store.upsert(DATASET, area, chunk)).written
                await uow.commit()
            month = following
    finally:
        await engine.dispose()
    return written


def ensure_store(path: Path, points: int) -> int:
    """The store at ``path``, built unless it already holds the points asked for."""
    import sqlite3

    count = series_count(points)
    expected = count * ((END - START) // STEP)
    if path.exists():
        with sqlite3.connect(path) as db:
            (held,) = db.execute("SELECT count(*) FROM observations").fetchone()
        if held == expected:
            return expected
        path.unlink()
    print(f"building the store: {count} series, {expected:,} points ...", file=sys.stderr)
    started = time.perf_counter()
    written = asyncio.run(fill(f"sqlite+aiosqlite:///{path}", count))
    print(f"  built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return written


async def postgres_points(url: str) -> int:
    """The points the PostgreSQL database at ``url`` holds, its schema made if need be."""
    import sqlalchemy as sa

    from adapters.sqlalchemy import create_engine, upgrade

    await upgrade(url)
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(sa.text("SELECT count(*) FROM observations")))
    finally:
        await engine.dispose()


def ensure_postgres(url: str, points: int) -> int:
    """The same store in the PostgreSQL database at ``url``, filled unless it already holds
    the points asked for (it must be empty otherwise)."""
    count = series_count(points)
    expected = count * ((END - START) // STEP)
    held = asyncio.run(postgres_points(url))
    if held == expected:
        return expected
    if held:
        sys.exit(f"{url} holds {held:,} points, not {expected:,}: give an empty database")
    print(f"filling PostgreSQL: {count} series, {expected:,} points ...", file=sys.stderr)
    started = time.perf_counter()
    written = asyncio.run(fill(url, count))
    print(f"  filled in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return written


# -- what each child process does -----------------------------------------------------------


def child_floor(points: int, out: Path) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from entrypoints.parquet_rows import row_schema
    from entrypoints.wire import EXPORT_FIELDS, export_row
    from entsoe_core.areas import AREAS
    from entsoe_core.observations import Observation

    count = series_count(points)
    keys = [key_of(n) for n in range(count)]
    area = AREAS.key(AREA)
    templates = [
        export_row(Observation(DATASET, area, key, START, 0.0, curve_type="A01")) for key in keys
    ]
    schema = row_schema(UTC)
    total = (END - START) // STEP * count
    timed = 0.0
    written = 0
    writer = pq.ParquetWriter(out, schema, compression="zstd")
    # The rows in export order (timestamp, then series), a page at a time.
    while written < total:
        size = min(PAGE, total - written)
        positions = range(written, written + size)
        timestamps = [START + (p // count) * STEP for p in positions]
        values = [float((p // count + p % count) % 977) for p in positions]
        columns: dict[str, list[Any]] = {
            name: [templates[p % count].get(name) for p in positions]
            for name in EXPORT_FIELDS
            if name not in ("timestamp", "value")
        }
        started = time.perf_counter()
        arrays = [
            pa.array(timestamps, field.type)
            if field.name == "timestamp"
            else pa.array(values, field.type)
            if field.name == "value"
            else pa.array(columns[field.name], field.type)
            for field in schema
        ]
        writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
        timed += time.perf_counter() - started
        written += size
    started = time.perf_counter()
    writer.close()
    timed += time.perf_counter() - started
    # Only the conversion and the write run on the CPU while timed: their wall time is it.
    return {"points": written, "seconds": timed, "cpu_seconds": timed}


def child_read(url: str, months: int) -> dict[str, Any]:
    from entrypoints.bootstrap import application
    from entrypoints.cli_data import collect_for_long_exports

    async def main() -> int:
        environ = {"ENTSOE_DATABASE_URL": url}
        count = 0
        async with application(environ=environ) as app:
            collect_for_long_exports()
            request = app.reads.request([AREA], [DATASET], START, add_months(START, months))
            async for page in app.reads.column_pages(request, page_size=PAGE):
                count += len(page)
        return count

    started = time.perf_counter()
    count = asyncio.run(main())
    return {"points": count, "seconds": time.perf_counter() - started}


def run_child(*args: str) -> dict[str, Any]:
    """One measurement in a fresh process: its result and its peak RSS in MiB."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return found


def child_export(url: str, months: int, out: Path) -> dict[str, Any]:
    """``entsoe export`` as a user runs it; this process' only child, so that its peak RSS
    is the children's peak."""
    entsoe = Path(sys.executable).with_name("entsoe")
    end = add_months(START, months)
    command = [
        str(entsoe),
        "export",
        "--area",
        AREA,
        "--dataset",
        DATASET,
        "--start",
        START.date().isoformat(),
        "--end",
        end.date().isoformat(),
        "-o",
        str(out),
    ]
    environ = {**os.environ, "ENTSOE_DATABASE_URL": url}
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=environ, check=True)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    points = int(done.stderr.split()[1])
    return {
        "points": points,
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "rss_mib": usage.ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--store", type=Path, default=None, help="SQLite file (kept).")
    parser.add_argument(
        "--postgres",
        default=None,
        help="Also export from this PostgreSQL database (postgresql+asyncpg://…), filled once.",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        mode, *rest = options.child
        if mode == "export":
            result = child_export(rest[0], int(rest[1]), Path(rest[2]))
        else:
            if mode == "floor":
                result = child_floor(int(rest[0]), Path(rest[1]))
            else:
                result = child_read(rest[0], int(rest[1]))
            usage = resource.getrusage(resource.RUSAGE_SELF)
            result["rss_mib"] = usage.ru_maxrss / 1024
            result.setdefault("cpu_seconds", usage.ru_utime + usage.ru_stime)
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        store = options.store or directory / "export.sqlite3"
        total = ensure_store(store, options.points)
        url = f"sqlite+aiosqlite:///{store}"
        month = run_child("export", url, "1", str(directory / "month.parquet"))
        years = run_child("export", url, "36", str(directory / "years.parquet"))
        read = run_child("read", url, "36")
        floor = run_child("floor", str(options.points), str(directory / "floor.parquet"))
        results = {"export 1 month": month, "export 3 years": years, "store read 3 years": read}
        results["floor: bare pyarrow write 3 years"] = floor
        if options.postgres:
            ensure_postgres(options.postgres, options.points)
            for name, args in (
                ("export 1 month", ("export", options.postgres, "1", "pg-month.parquet")),
                ("export 3 years", ("export", options.postgres, "36", "pg-years.parquet")),
            ):
                *head, out = args
                results[f"PostgreSQL: {name}"] = run_child(*head, str(directory / out))
            results["PostgreSQL: store read 3 years"] = run_child("read", options.postgres, "36")
        print(f"store: {total:,} points in {store}")
        print("| run | points | seconds | points/s | CPU seconds | points/CPU s | peak RSS MiB |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, result in results.items():
            rate = result["points"] / result["seconds"]
            cpu_rate = result["points"] / result["cpu_seconds"]
            print(
                f"| {name} | {result['points']:,} | {result['seconds']:.1f} | {rate:,.0f} "
                f"| {result['cpu_seconds']:.1f} | {cpu_rate:,.0f} | {result['rss_mib']:.0f} |"
            )
        share = (years["points"] / years["seconds"]) / (floor["points"] / floor["seconds"])
        cpu_share = (years["points"] / years["cpu_seconds"]) / (
            floor["points"] / floor["cpu_seconds"]
        )
        print(f"export / floor: {share:.2f} (points/s), {cpu_share:.2f} (points per CPU second)")
        print(f"peak RSS 3 years / 1 month: {years['rss_mib'] / month['rss_mib']:.2f}")
        if options.postgres:
            pg = results["PostgreSQL: export 3 years"]
            print(
                "PostgreSQL export / floor: "
                f"{(pg['points'] / pg['seconds']) / (floor['points'] / floor['seconds']):.2f}"
            )


if __name__ == "__main__":
    main()
