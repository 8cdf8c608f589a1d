"""EnergyStorePort on SQLAlchemy Core: bulk upserts, range reads, the coverage ledger, gaps.

Upserts are sized for a year of 15-minute data of twenty series in one chunk (700,000 points)
and stream from the :class:`~entsoe_core.observations.Series` objects into the driver without
building an intermediate list:

- PostgreSQL: binary ``COPY`` of (series id, instant, value) into a temporary table, then one
  ``INSERT ... SELECT ... ON CONFLICT DO UPDATE ... WHERE`` that applies the version rule (or,
  when an index probe shows that none of the rows is stored yet, the same INSERT without
  ON CONFLICT, which is much faster).
- SQLite: one ``executemany`` of an upsert on the sqlite3 connection, inside the transaction
  the unit of work already holds.

The version rule (:class:`~entsoe_core.versions.Version`: revision, then the document's
creation time; an undated document never replaces a dated one of the same revision) is the
``WHERE`` of the conflict update, so it is decided by the database row by row. A point is
either written or kept because the stored value is newer: the points kept are the points
handed over minus the rows the statement reports.

Coverage answers and gaps are computed by the database; nothing loads every row into Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import asyncpg
import attrs
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.errors import storage_errors
from adapters.sqlalchemy.tables import (
    SERIES_KEY_COLUMNS,
    UtcDateTime,
    coverage,
    observations,
    series,
    to_micros,
)
from entsoe_core.areas import AreaKey
from entsoe_core.coverage import Coverage, CoverageEntry, Outcome, RecheckPolicy
from entsoe_core.observations import Observation, Series, SeriesKey, count_points
from entsoe_core.ports import ObservationCursor
from entsoe_core.timeline import Interval, IntervalSet
from entsoe_core.versions import UpsertResult

__all__ = ["AnyRow", "ConnectionSource", "SqlEnergyStore"]

AnyRow = sa.Row[*tuple[Any, ...]]

ConnectionSource = Callable[[], AsyncConnection]
"""Gives the connection of the open unit of work (raises if there is none)."""

_STAGE = "entsoe_observation_stage"  # spelled out in _PG_INSERT_STAGE too


def _replaces(stored: str) -> str:
    """:meth:`~entsoe_core.versions.Version.replaces` as the upsert's ``WHERE`` clause.

    An undated incoming row (``excluded.created_at`` NULL) against a dated stored one makes
    the last comparison NULL, which ``WHERE`` treats as false: the stored value is kept.
    """
    return f"""\
WHERE excluded.revision > {stored}.revision
    OR (excluded.revision = {stored}.revision
        AND ({stored}.created_at IS NULL OR excluded.created_at >= {stored}.created_at))
"""


_PG_INSERT_STAGE = """
INSERT INTO observations AS o
    (series_id, ts, value, unit, curve_type, revision, created_at, ingested_at)
SELECT s.series_id, s.ts, s.value, m.unit, m.curve_type, m.revision, m.created_at, $6
FROM entsoe_observation_stage AS s
JOIN unnest($1::integer[], $2::text[], $3::text[], $4::integer[], $5::timestamptz[])
    AS m (series_id, unit, curve_type, revision, created_at)
    ON m.series_id = s.series_id
"""

_PG_APPLY_STAGE = (
    _PG_INSERT_STAGE
    + """\
ON CONFLICT (series_id, ts) DO UPDATE SET
    value = excluded.value, unit = excluded.unit, curve_type = excluded.curve_type,
    revision = excluded.revision, created_at = excluded.created_at,
    ingested_at = excluded.ingested_at
"""
    + _replaces("o")
)

_PG_ANY_STORED = """
SELECT EXISTS (
    SELECT 1
    FROM unnest($1::integer[], $2::timestamptz[], $3::timestamptz[]) AS r (series_id, lo, hi)
    JOIN observations AS o ON o.series_id = r.series_id AND o.ts BETWEEN r.lo AND r.hi
)
"""

_SQLITE_UPSERT = """
INSERT INTO observations
    (series_id, ts, value, unit, curve_type, revision, created_at, ingested_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (series_id, ts) DO UPDATE SET
    value = excluded.value, unit = excluded.unit, curve_type = excluded.curve_type,
    revision = excluded.revision, created_at = excluded.created_at,
    ingested_at = excluded.ingested_at
""" + _replaces("observations")

_MICROSECOND = timedelta(microseconds=1)


class SqlEnergyStore:
    """Observations and the coverage ledger in SQL, on the unit of work's connection."""

    def __init__(self, connection: ConnectionSource) -> None:
        self._connection = connection

    # -- observations -------------------------------------------------------------------

    async def upsert(self, dataset: str, area: AreaKey, series: Sequence[Series]) -> UpsertResult:
        keys = {one.key for one in series if one.points}
        if not keys:
            return UpsertResult()
        conn = self._connection()
        doing = f"store {count_points(series)} points of {dataset} {area}"
        with storage_errors(doing):
            ids = await _series_ids(conn, dataset, area, keys)
            ingested_at = datetime.now(UTC)
            if conn.dialect.name == "postgresql":
                written = await _upsert_postgres(conn, ids, series, ingested_at)
            else:
                written = await _upsert_sqlite(conn, ids, series, ingested_at)
        return UpsertResult(written, count_points(series) - written)

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
                )
            )

    async def coverage(self, dataset: str, area: AreaKey, within: Interval) -> Coverage:
        c = coverage.c
        query = sa.select(c.interval_start, c.interval_end, c.outcome, c.fetched_at).where(
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
        conn = self._connection()
        query = _gaps_query(conn.dialect.name, dataset, str(area), requested, policy)
        with storage_errors(f"compute the gaps of {dataset} {area}"):
            rows = (await conn.execute(query)).all()
        return IntervalSet(tuple(Interval(row.gap_start, row.gap_end) for row in rows))


# -- series ids -------------------------------------------------------------------------


async def _series_ids(
    conn: AsyncConnection, dataset: str, area: AreaKey, keys: Iterable[SeriesKey]
) -> dict[SeriesKey, int]:
    """The ids of the series of (dataset, area) with these keys, creating missing ones."""
    wanted = sorted(keys)
    known = await _known_series(conn, dataset, area)
    missing = [key for key in wanted if key not in known]
    if missing:
        # Sorted, so that concurrent workers creating the same series lock them in the same
        # order and cannot deadlock.
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
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


# -- upsert, PostgreSQL -----------------------------------------------------------------


async def _driver_connection(conn: AsyncConnection) -> Any:
    """The driver's own connection, inside the transaction SQLAlchemy has open."""
    raw = await conn.get_raw_connection()
    return raw.driver_connection


async def _upsert_postgres(
    conn: AsyncConnection,
    ids: dict[SeriesKey, int],
    series_list: Sequence[Series],
    ingested_at: datetime,
) -> int:
    driver = await _driver_connection(conn)
    await driver.execute(f"DROP TABLE IF EXISTS pg_temp.{_STAGE}")
    await driver.execute(
        f"CREATE TEMPORARY TABLE {_STAGE} "
        "(series_id integer, ts timestamptz, value double precision) ON COMMIT DROP"
    )
    written = 0
    for index, batch in enumerate(_conflict_free_batches(series_list)):
        if index:
            await driver.execute(f"TRUNCATE {_STAGE}")
        await driver.copy_records_to_table(
            _STAGE,
            records=_stage_records(ids, [one for one, _, _ in batch]),
            columns=["series_id", "ts", "value"],
        )
        metadata = (
            [ids[one.key] for one, _, _ in batch],
            [one.unit for one, _, _ in batch],
            [one.curve_type for one, _, _ in batch],
            [one.revision for one, _, _ in batch],
            [one.created_at for one, _, _ in batch],
            ingested_at,
        )
        status = None
        if not await driver.fetchval(
            _PG_ANY_STORED,
            [ids[one.key] for one, _, _ in batch],
            [first for _, first, _ in batch],
            [last for _, _, last in batch],
        ):
            status = await _insert_fresh(driver, metadata)
        if status is None:
            status = await driver.execute(_PG_APPLY_STAGE, *metadata)
        written += int(status.rsplit(" ", 1)[-1])
    return written


async def _insert_fresh(driver: Any, metadata: tuple[Any, ...]) -> str | None:
    """Insert staged rows none of which is stored yet; ``None`` if some turned out to be.

    A plain INSERT is two to three times faster than INSERT ... ON CONFLICT. Another worker
    may have inserted some of the rows since we looked (overlapping jobs); then the savepoint
    is rolled back and the caller takes the upsert path.
    """
    await driver.execute("SAVEPOINT entsoe_fresh_rows")
    try:
        status: str = await driver.execute(_PG_INSERT_STAGE, *metadata)
    except asyncpg.UniqueViolationError:
        await driver.execute("ROLLBACK TO SAVEPOINT entsoe_fresh_rows")
        return None
    await driver.execute("RELEASE SAVEPOINT entsoe_fresh_rows")
    return status


def _stage_records(
    ids: dict[SeriesKey, int], batch: Sequence[Series]
) -> Iterator[tuple[int, datetime, float]]:
    for one in batch:
        series_id = ids[one.key]
        for timestamp, value in one.points:
            yield series_id, timestamp, value


_Staged = tuple[Series, datetime, datetime]
"""A series with its first and last instant."""


def _conflict_free_batches(series_list: Sequence[Series]) -> Iterator[list[_Staged]]:
    """Group series so that no (series, instant) occurs twice within one batch.

    PostgreSQL refuses to update one row twice in a single INSERT ... ON CONFLICT; the memory
    store applies points one after another, later ones winning under the revision rule. Two
    series with the same key, or a series repeating an instant, therefore go into successive
    statements, in their original order. Parsed documents rarely do either, so in practice
    there is a single batch and the check is one pass over the instants.
    """
    batch: list[_Staged] = []
    keys: set[SeriesKey] = set()
    for one in series_list:
        if not one.points:
            continue
        if not all(a.timestamp < b.timestamp for a, b in pairwise(one.points)):
            if batch:
                yield batch
            batch, keys = [], set()
            for piece in _without_repeats(one):
                instants = [point.timestamp for point in piece.points]
                yield [(piece, min(instants), max(instants))]
            continue
        if one.key in keys:
            yield batch
            batch, keys = [], set()
        batch.append((one, one.points[0].timestamp, one.points[-1].timestamp))
        keys.add(one.key)
    if batch:
        yield batch


def _without_repeats(one: Series) -> Iterator[Series]:
    """Cut a series into consecutive pieces in which no instant repeats."""
    piece: list[Any] = []
    seen: set[datetime] = set()
    for point in one.points:
        if point.timestamp in seen:
            yield attrs.evolve(one, points=tuple(piece))
            piece, seen = [], set()
        piece.append(point)
        seen.add(point.timestamp)
    yield attrs.evolve(one, points=tuple(piece))


# -- upsert, SQLite ---------------------------------------------------------------------


async def _upsert_sqlite(
    conn: AsyncConnection,
    ids: dict[SeriesKey, int],
    series_list: Sequence[Series],
    ingested_at: datetime,
) -> int:
    driver = await _driver_connection(conn)
    cursor = await driver.executemany(
        _SQLITE_UPSERT, _sqlite_rows(ids, series_list, to_micros(ingested_at))
    )
    try:
        return int(cursor.rowcount)
    finally:
        await cursor.close()


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


# -- rows to values ---------------------------------------------------------------------


def _observation_from_row(dataset: str, area: AreaKey, row: AnyRow) -> Observation:
    key = SeriesKey(*(getattr(row, name) for name in SERIES_KEY_COLUMNS))
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
    )


# -- gaps -------------------------------------------------------------------------------


def _is_final(dialect: str, policy: RecheckPolicy) -> sa.ColumnElement[bool]:
    """:meth:`RecheckPolicy.is_final` as SQL: ``end + settle(outcome) <= fetched_at``."""
    c = coverage.c
    data = c.outcome == Outcome.DATA.value
    if dialect == "sqlite":
        micros = sa.BigInteger()
        settle = sa.case(
            (data, sa.literal(policy.settle(Outcome.DATA) // _MICROSECOND, micros)),
            else_=sa.literal(policy.settle(Outcome.NO_DATA) // _MICROSECOND, micros),
        )
        return sa.type_coerce(c.interval_end, micros) + settle <= sa.type_coerce(
            c.fetched_at, micros
        )
    instant = sa.DateTime(timezone=True)
    delay = sa.case(
        (data, sa.literal(policy.settle(Outcome.DATA), sa.Interval())),
        else_=sa.literal(policy.settle(Outcome.NO_DATA), sa.Interval()),
    )
    return sa.type_coerce(c.interval_end, instant) + delay <= sa.type_coerce(c.fetched_at, instant)


def _gaps_query(
    dialect: str, dataset: str, area: str, requested: Interval, policy: RecheckPolicy
) -> sa.Select[datetime, datetime]:
    """Gaps and islands: merge the final entries into islands, return what lies between.

    Entries are clipped to the requested interval and ordered by start; an entry opens a new
    island when it starts after every earlier entry has ended (touching entries merge, as in
    :meth:`IntervalSet.of`). The gaps are the stretches before the first island, between
    consecutive islands and after the last.
    """
    instant = UtcDateTime()

    def start() -> sa.ColumnElement[datetime]:
        return sa.literal(requested.start, instant)

    def end() -> sa.ColumnElement[datetime]:
        return sa.literal(requested.end, instant)

    c = coverage.c
    clipped = (
        sa.select(
            sa.case((c.interval_start < start(), start()), else_=c.interval_start).label("s"),
            sa.case((c.interval_end > end(), end()), else_=c.interval_end).label("e"),
        )
        .where(
            c.dataset == dataset,
            c.area == area,
            c.interval_start < end(),
            c.interval_end > start(),
            _is_final(dialect, policy),
        )
        .cte("clipped")
    )
    order = (clipped.c.s, clipped.c.e)
    reach = sa.func.max(clipped.c.e).over(order_by=order, rows=(None, -1))
    marked = sa.select(clipped.c.s, clipped.c.e, reach.label("reach")).cte("marked")
    opens = sa.case((sa.or_(marked.c.reach.is_(None), marked.c.s > marked.c.reach), 1), else_=0)
    numbered = sa.select(
        marked.c.s,
        marked.c.e,
        sa.func.sum(opens).over(order_by=(marked.c.s, marked.c.e), rows=(None, 0)).label("island"),
    ).cte("numbered")
    islands = (
        sa.select(sa.func.min(numbered.c.s).label("s"), sa.func.max(numbered.c.e).label("e"))
        .group_by(numbered.c.island)
        .cte("islands")
    )
    before_first = sa.select(
        start().label("gap_start"),
        sa.func.coalesce(sa.select(sa.func.min(islands.c.s)).scalar_subquery(), end()).label(
            "gap_end"
        ),
    )
    after_each = sa.select(
        islands.c.e.label("gap_start"),
        sa.func.coalesce(sa.func.lead(islands.c.s).over(order_by=islands.c.s), end()).label(
            "gap_end"
        ),
    )
    candidates = sa.union_all(before_first, after_each).subquery("candidates")
    gap_start = sa.type_coerce(candidates.c.gap_start, instant)
    gap_end = sa.type_coerce(candidates.c.gap_end, instant)
    return (
        sa.select(gap_start.label("gap_start"), gap_end.label("gap_end"))
        .where(candidates.c.gap_start < candidates.c.gap_end)
        .order_by(candidates.c.gap_start)
    )
