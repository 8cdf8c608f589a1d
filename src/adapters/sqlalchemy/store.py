"""EnergyStorePort on SQLAlchemy Core: bulk upserts, range reads, the coverage ledger, gaps.

Upserts are sized for a year of 15-minute data of twenty series in one chunk (700,000 points)
and stream from the :class:`~entsoe_core.observations.Series` objects into the driver without
building an intermediate list. What differs between the databases is chosen once, when the
store is made: the bulk path (:mod:`.bulk_postgres`, :mod:`.bulk_sqlite`) and the rendering of
the recheck policy in the gaps query (:mod:`.gaps`).

The version rule (:class:`~entsoe_core.versions.Version`: revision, then the document's
creation time; an undated document never replaces a dated one of the same revision) is decided
by the database row by row. A point is written, left alone because the stored row already
holds it as it is (counted by the bulk path), or kept because the stored value is newer: the
points kept are the points handed over minus the other two.

The version rule (:mod:`.version_rule`) is the ``WHERE`` of the conflict update on both.
Coverage answers and gaps are computed by the database; nothing loads every row into Python.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.bulk_postgres import upsert_postgres
from adapters.sqlalchemy.bulk_sqlite import upsert_sqlite
from adapters.sqlalchemy.columns_read import read_columns
from adapters.sqlalchemy.errors import storage_errors
from adapters.sqlalchemy.gaps import IsFinal, gaps_query, is_final_postgres, is_final_sqlite
from adapters.sqlalchemy.series_stats import (
    POSTGRES_GAPS,
    SQLITE_GAPS,
    GapRule,
    gaps_statement,
    totals_statement,
)
from adapters.sqlalchemy.tables import (
    SERIES_KEY_COLUMNS,
    UtcDateTime,
    coverage,
    observations,
    series,
)
from entsoe_core.areas import AreaKey
from entsoe_core.columns import ObservationColumns
from entsoe_core.coverage import Coverage, CoverageEntry, Outcome, RecheckPolicy
from entsoe_core.errors import StorageError
from entsoe_core.observations import Observation, Series, SeriesKey, SeriesStats, count_points
from entsoe_core.ports import DatasetArea, ObservationCursor
from entsoe_core.timeline import Interval, IntervalSet
from entsoe_core.versions import UpsertResult

__all__ = ["AnyRow", "ConnectionSource", "SqlEnergyStore"]

_PAIRS_A_STATEMENT = 1000
"""Pairs asked about in one statement: two parameters each, far below what SQLite (32,766) and
PostgreSQL (32,767) accept."""

AnyRow = sa.Row[*tuple[Any, ...]]

ConnectionSource = Callable[[], AsyncConnection]
"""Gives the connection of the open unit of work (raises if there is none)."""

BulkUpsert = Callable[
    [Any, dict[SeriesKey, int], Sequence[Series], datetime], Awaitable[tuple[int, int]]
]
"""Writes the points of series (with their ids) on the driver's connection under the version
rule; returns the rows written and the rows left alone because they are stored as they are."""


@attrs.frozen
class _Dialect:
    """What differs between the databases, chosen once per store."""

    insert: Callable[[sa.Table], Any]
    upsert: BulkUpsert
    is_final: IsFinal
    gap_rule: GapRule


_DIALECTS = {
    "postgresql": _Dialect(postgresql.insert, upsert_postgres, is_final_postgres, POSTGRES_GAPS),
    "sqlite": _Dialect(sqlite.insert, upsert_sqlite, is_final_sqlite, SQLITE_GAPS),
}


class SqlEnergyStore:
    """Observations and the coverage ledger in SQL, on the unit of work's connection."""

    def __init__(self, connection: ConnectionSource, dialect: str) -> None:
        self._connection = connection
        try:
            self._dialect = _DIALECTS[dialect]
        except KeyError:
            raise StorageError(
                f"no store for the database dialect {dialect!r}; supported: "
                + ", ".join(sorted(_DIALECTS))
            ) from None

    # -- observations -------------------------------------------------------------------

    async def upsert(self, dataset: str, area: AreaKey, series: Sequence[Series]) -> UpsertResult:
        keys = {one.key for one in series if one.points}
        if not keys:
            return UpsertResult()
        conn = self._connection()
        doing = f"store {count_points(series)} points of {dataset} {area}"
        with storage_errors(doing):
            ids = await _series_ids(conn, self._dialect.insert, dataset, area, keys)
            # The bulk paths talk to the driver itself, inside the transaction SQLAlchemy holds.
            driver = (await conn.get_raw_connection()).driver_connection
            written, unchanged = await self._dialect.upsert(driver, ids, series, datetime.now(UTC))
        return UpsertResult(written, count_points(series) - written - unchanged, unchanged)

    async def read(
        self,
        dataset: str,
        area: AreaKey,
        interval: Interval,
        *,
        after: ObservationCursor | None = None,
        limit: int | None = None,
    ) -> list[Observation]:
        o, s = observations, series
        key_columns = [s.c[name] for name in SERIES_KEY_COLUMNS]
        query = (
            sa.select(
                o.c.ts,
                *key_columns,
                o.c.value,
                o.c.unit,
                o.c.curve_type,
                o.c.revision,
                o.c.created_at,
            )
            .select_from(o.join(s, o.c.series_id == s.c.id))
            .where(
                s.c.dataset == dataset,
                s.c.area == str(area),
                o.c.ts >= interval.start,
                o.c.ts < interval.end,
            )
            .order_by(o.c.ts, *key_columns)
        )
        if after is not None:
            after_ts, after_key = after
            position = sa.tuple_(o.c.ts, *key_columns)
            query = query.where(
                o.c.ts >= after_ts,
                position
                > sa.tuple_(
                    sa.literal(after_ts, UtcDateTime()),
                    *(
                        sa.literal(getattr(after_key, name), sa.Text())
                        for name in SERIES_KEY_COLUMNS
                    ),
                ),
            )
        if limit is not None:
            query = query.limit(max(limit, 0))
        with storage_errors(f"read {dataset} {area} {interval}"):
            rows = (await self._connection().execute(query)).all()
        return [_observation_from_row(dataset, area, row) for row in rows]

    async def read_columns(
        self,
        dataset: str,
        area: AreaKey,
        interval: Interval,
        *,
        after: ObservationCursor | None = None,
        limit: int | None = None,
    ) -> ObservationColumns:
        with storage_errors(f"read {dataset} {area} {interval}"):
            return await read_columns(
                self._connection(),
                dataset,
                area,
                interval,
                after,
                None if limit is None else max(limit, 0),
            )

    # -- coverage -----------------------------------------------------------------------

    async def record_coverage(self, dataset: str, area: AreaKey, entry: CoverageEntry) -> None:
        with storage_errors(f"record coverage of {dataset} {area} {entry.interval}"):
            await self._connection().execute(
                coverage.insert().values(
                    dataset=dataset,
                    area=str(area),
                    interval_start=entry.interval.start,
                    interval_end=entry.interval.end,
                    outcome=entry.outcome.value,
                    fetched_at=entry.fetched_at,
                    holes=_holes_text(entry.holes),
                    hole_count=len(entry.holes),
                    holes_accepted=entry.holes_accepted,
                )
            )

    async def coverage(self, dataset: str, area: AreaKey, within: Interval) -> Coverage:
        c = coverage.c
        query = sa.select(
            c.interval_start, c.interval_end, c.outcome, c.fetched_at, c.holes, c.holes_accepted
        ).where(
            c.dataset == dataset,
            c.area == str(area),
            c.interval_start < within.end,
            c.interval_end > within.start,
        )
        with storage_errors(f"read the coverage of {dataset} {area}"):
            rows = (await self._connection().execute(query)).all()
        return Coverage.of(_coverage_entry_from_row(row) for row in rows)

    async def gaps(
        self, dataset: str, area: AreaKey, requested: Interval, policy: RecheckPolicy
    ) -> IntervalSet:
        query = gaps_query(self._dialect.is_final, dataset, str(area), requested, policy)
        with storage_errors(f"compute the gaps of {dataset} {area}"):
            rows = (await self._connection().execute(query)).all()
        return IntervalSet(tuple(Interval(row.gap_start, row.gap_end) for row in rows))

    async def newest(self, pairs: Sequence[DatasetArea]) -> dict[DatasetArea, datetime | None]:
        return await self._per_pair(pairs, _newest_statement, "read the newest instants stored")

    async def last_fetched(
        self, pairs: Sequence[DatasetArea]
    ) -> dict[DatasetArea, datetime | None]:
        return await self._per_pair(pairs, _last_fetch_statement, "read the last fetches")

    async def _per_pair(
        self,
        pairs: Sequence[DatasetArea],
        statement: Callable[[int], sa.TextualSelect],
        doing: str,
    ) -> dict[DatasetArea, datetime | None]:
        """The ``statement`` for as many pairs as a batch holds, run over the pairs a batch at
        a time; per pair its one value."""
        found: dict[DatasetArea, datetime | None] = dict.fromkeys(pairs)
        by_text = {(dataset, str(area)): (dataset, area) for dataset, area in pairs}
        texts = list(by_text)
        conn = self._connection()
        for start in range(0, len(texts), _PAIRS_A_STATEMENT):
            batch = texts[start : start + _PAIRS_A_STATEMENT]
            values = {}
            for n, (dataset, area) in enumerate(batch):
                values[f"dataset_{n}"], values[f"area_{n}"] = dataset, area
            with storage_errors(doing):
                rows = (await conn.execute(statement(len(batch)), values)).all()
            for dataset, area, value in rows:
                found[by_text[dataset, area]] = value
        return found

    async def series_stats(
        self, dataset: str, area: AreaKey, interval: Interval
    ) -> list[SeriesStats]:
        conn = self._connection()
        with storage_errors(f"count the stored series of {dataset} {area}"):
            totals = (await conn.execute(totals_statement(dataset, str(area), interval))).all()
            if not totals:
                return []
            resolutions = {row.resolution for row in totals}
            statement = gaps_statement(
                dataset, str(area), interval, resolutions, self._dialect.gap_rule
            )
            gaps: dict[int, list[tuple[datetime, datetime]]] = {}
            for row in (await conn.execute(statement)).all():
                gaps.setdefault(row.series_id, []).append((row.before, row.after))
        return [
            SeriesStats(
                key=SeriesKey(*(getattr(row, name) for name in SERIES_KEY_COLUMNS)),
                points=int(row.points),
                first=row.first,
                last=row.last,
                revision=int(row.revision),
                gaps=tuple(gaps.get(row.id, ())),
            )
            for row in totals
        ]


# -- reads per (dataset, area) ------------------------------------------------------------

# The pairs asked about are a CTE of VALUES: SQLite takes no column names on VALUES in FROM.
# Written as text, made once per number of pairs: SQLAlchemy does not cache a statement that
# holds a VALUES construct, and compiling one with a thousand rows costs more than running it.
_NEWEST = """
WITH asked(dataset, area) AS (VALUES {values})
SELECT asked.dataset, asked.area,
       (SELECT max((SELECT max(o.ts) FROM observations o WHERE o.series_id = s.id))
          FROM series s WHERE s.dataset = asked.dataset AND s.area = asked.area)
  FROM asked"""
"""Per pair, the newest instant of any of its series: per series the last entry of the
primary key (series_id, ts), an index probe."""

_LAST_FETCH = """
WITH asked(dataset, area) AS (VALUES {values})
SELECT asked.dataset, asked.area,
       (SELECT max(c.fetched_at) FROM coverage c
         WHERE c.dataset = asked.dataset AND c.area = asked.area)
  FROM asked"""
"""Per pair, when its newest coverage entry was fetched: a probe of ix_coverage_last_fetch."""


def _per_pair_statement(sql: str, count: int) -> sa.TextualSelect:
    """``sql`` for ``count`` pairs, bound as ``dataset_N`` and ``area_N``."""
    values = ", ".join(f"(:dataset_{n}, :area_{n})" for n in range(count))
    return sa.text(sql.format(values=values)).columns(
        sa.column("dataset", sa.Text()),
        sa.column("area", sa.Text()),
        sa.column("found", UtcDateTime()),
    )


@functools.cache
def _newest_statement(count: int) -> sa.TextualSelect:
    return _per_pair_statement(_NEWEST, count)


@functools.cache
def _last_fetch_statement(count: int) -> sa.TextualSelect:
    return _per_pair_statement(_LAST_FETCH, count)


# -- series ids -------------------------------------------------------------------------


async def _series_ids(
    conn: AsyncConnection,
    insert: Callable[[sa.Table], Any],
    dataset: str,
    area: AreaKey,
    keys: Iterable[SeriesKey],
) -> dict[SeriesKey, int]:
    """The ids of the series of (dataset, area) with these keys, creating missing ones."""
    wanted = sorted(keys)
    known = await _known_series(conn, dataset, area)
    missing = [key for key in wanted if key not in known]
    if missing:
        # Sorted, so that concurrent workers creating the same series lock them in the same
        # order and cannot deadlock.
        await conn.execute(
            insert(series).on_conflict_do_nothing(
                index_elements=["dataset", "area", *SERIES_KEY_COLUMNS]
            ),
            [{"dataset": dataset, "area": str(area), **attrs.asdict(key)} for key in missing],
        )
        known = await _known_series(conn, dataset, area)
    return {key: known[key] for key in wanted}


async def _known_series(conn: AsyncConnection, dataset: str, area: AreaKey) -> dict[SeriesKey, int]:
    s = series.c
    rows = await conn.execute(
        sa.select(s.id, *(s[name] for name in SERIES_KEY_COLUMNS)).where(
            s.dataset == dataset, s.area == str(area)
        )
    )
    return {SeriesKey(*row[1:]): row[0] for row in rows}


# -- rows to values ---------------------------------------------------------------------


def _observation_from_row(dataset: str, area: AreaKey, row: AnyRow) -> Observation:
    # By position: the key columns follow ``ts`` in the select, in SeriesKey's order. Reading
    # them by name costs more than the rest of the row put together on a long export.
    key = SeriesKey(*row[1 : 1 + len(SERIES_KEY_COLUMNS)])
    return Observation(
        dataset=dataset,
        area=area,
        key=key,
        timestamp=row.ts,
        value=row.value,
        unit=row.unit,
        curve_type=row.curve_type,
        revision=row.revision,
        created_at=row.created_at,
    )


def _coverage_entry_from_row(row: AnyRow) -> CoverageEntry:
    return CoverageEntry(
        interval=Interval(row.interval_start, row.interval_end),
        outcome=Outcome(row.outcome),
        fetched_at=row.fetched_at,
        holes=_holes_from_text(row.holes),
        holes_accepted=bool(row.holes_accepted),
    )


def _holes_text(holes: IntervalSet) -> str | None:
    """Holes as JSON text: a list of [start, end] ISO 8601 pairs; none as NULL."""
    if not holes:
        return None
    return json.dumps([[hole.start.isoformat(), hole.end.isoformat()] for hole in holes])


def _holes_from_text(text: str | None) -> IntervalSet:
    if not text:
        return IntervalSet()
    return IntervalSet.of(
        Interval(datetime.fromisoformat(start), datetime.fromisoformat(end))
        for start, end in json.loads(text)
    )
