"""The SQLite bulk upsert: one ``executemany`` on the sqlite3 connection.

It runs inside the transaction the unit of work already holds; rows are generated as sqlite3
consumes them, in aiosqlite's thread, so nothing is built up. A row stored already with the
same content is not rewritten, only counted (:func:`~.version_rule.replaces_changing`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from adapters.sqlalchemy.tables import to_micros
from adapters.sqlalchemy.version_rule import replaces_changing
from entsoe_core.observations import Series, SeriesKey, count_points

__all__ = ["upsert_sqlite"]

_SQLITE_UPSERT = """
INSERT INTO observations
    (series_id, ts, value, unit, curve_type, revision, created_at, ingested_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (series_id, ts) DO UPDATE SET
    value = excluded.value, unit = excluded.unit, curve_type = excluded.curve_type,
    revision = excluded.revision, created_at = excluded.created_at,
    ingested_at = excluded.ingested_at
""" + replaces_changing("observations")

_MICROSECOND = timedelta(microseconds=1)


async def upsert_sqlite(
    driver: Any,
    ids: dict[SeriesKey, int],
    series_list: Sequence[Series],
    ingested_at: datetime,
) -> tuple[int, int]:
    """Rows written, and rows left alone because they are stored already as they are."""
    # entsoe_kept() answers 0, 1, 2 ... (see replaces_changing): a counter in C, as it runs
    # once for every row kept. Registered again for each upsert: the count belongs to this one.
    kept = count()
    await driver.create_function("entsoe_kept", 0, kept.__next__, deterministic=False)
    cursor = await driver.executemany(
        _SQLITE_UPSERT, _sqlite_rows(ids, series_list, to_micros(ingested_at))
    )
    try:
        written = int(cursor.rowcount)
    finally:
        await cursor.close()
    return written, count_points(series_list) - written - next(kept)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _sqlite_rows(
    ids: dict[SeriesKey, int], series_list: Sequence[Series], ingested_at: int
) -> Iterator[tuple[Any, ...]]:
    # Runs in aiosqlite's thread, row by row, as sqlite3 consumes it: nothing is built up.
    epoch, microsecond = _EPOCH, _MICROSECOND
    for one in series_list:
        if not one.points:
            continue
        created = None if one.created_at is None else to_micros(one.created_at)
        head = ids[one.key]
        unit, curve_type, revision = one.unit, one.curve_type, one.revision
        for timestamp, value in one.points:
            yield (
                head,
                (timestamp - epoch) // microsecond,
                value,
                unit,
                curve_type,
                revision,
                created,
                ingested_at,
            )
