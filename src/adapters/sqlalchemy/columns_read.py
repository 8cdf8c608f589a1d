"""The columnar read of observations (:meth:`EnergyStorePort.read_columns`), run on the driver.

An export of millions of points spends its time on what it makes per row, so this read makes
as little as it can: its statement is a SQLAlchemy Core select compiled once per dialect and
run on the driver connection, inside the transaction the unit of work holds, so that no result
row and no type conversion is made per row. Each row is (series id, instant in epoch
microseconds, value, unit, curve type): SQLite stores instants as epoch microseconds; PostgreSQL
converts its ``timestamptz`` in the statement.

Rows come in the order of :meth:`SqlEnergyStore.read`, by instant then series key. The series
of the (dataset, area) are numbered in key order inside the statement (a window over its few
series rows), so the database sorts the rows by two numbers rather than by thirteen key
columns, and compares a cursor's key once per series rather than once per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.tables import SERIES_KEY_COLUMNS, observations, series, to_micros
from entsoe_core.areas import AreaKey
from entsoe_core.columns import ObservationColumns, PageSeries
from entsoe_core.observations import SeriesKey
from entsoe_core.ports import ObservationCursor
from entsoe_core.timeline import Interval

__all__ = ["read_columns"]

_AFTER_KEY = tuple(f"after_{name}" for name in SERIES_KEY_COLUMNS)


@attrs.frozen
class _Statement:
    """A compiled select and the order its parameters go to the driver in."""

    sql: str
    names: tuple[str, ...]

    def parameters(self, values: dict[str, Any]) -> list[Any]:
        return [values[name] for name in self.names]


_STATEMENTS: dict[tuple[str, str, bool, bool], _Statement] = {}

_KINDS, _COUNT, _POINTS, _LABELLED = "kinds", "count", "points", "labelled"
"""The statements: the (series, unit, curve type) between two instants; how many points a
read holds; its points as (series id, instant, value); its points with their unit and curve
type."""


async def read_columns(
    conn: AsyncConnection,
    dataset: str,
    area: AreaKey,
    interval: Interval,
    after: ObservationCursor | None,
    limit: int | None,
) -> ObservationColumns:
    """The observations of (dataset, area) in ``interval`` after ``after``, at most ``limit``,
    as columns."""
    # Through SQLAlchemy first: it begins the unit of work's transaction on the driver.
    keys = await _series_keys(conn, dataset, area)
    dialect = conn.dialect
    instant = to_micros if dialect.name == "sqlite" else _as_is
    values: dict[str, Any] = {
        "dataset": dataset,
        "area": str(area),
        "start": instant(interval.start),
        "end": instant(interval.end),
        "limit": limit,
        "offset": 0,
    }
    if after is not None:
        after_ts, after_key = after
        values["after"] = instant(after_ts)
        values.update(zip(_AFTER_KEY, attrs.astuple(after_key), strict=True))
    driver = (await conn.get_raw_connection()).driver_connection

    async def fetch(shape: str, limited: bool = limit is not None) -> list[Any]:
        paged = shape != _KINDS
        statement = _statement(dialect, shape, paged and after is not None, paged and limited)
        return await _fetch(driver, dialect.name, statement.sql, statement.parameters(values))

    if dialect.name == "sqlite":
        # SQLite reads one snapshot for the whole transaction. The points first: without a
        # LIMIT where the count says all of them are wanted (with one, SQLite orders them in a
        # B-tree rather than its sorter, a third slower), and without their unit and curve
        # type (two text objects a point, a third of the read's cost); then the kinds of
        # point the series have between the first and the last instant.
        if limit is not None:
            ((count,),) = await fetch(_COUNT, limited=False)
            points = await fetch(_POINTS, limited=count > limit)
        else:
            points = await fetch(_POINTS)
        if not points:
            return ObservationColumns(dataset, area)
        ids, micros, numbers = zip(*points, strict=True)
        values["first"], values["last"] = micros[0], micros[-1]
        kinds = _one_kind_each(await fetch(_KINDS))
        if kinds is not None:
            named = {head: PageSeries(keys[head], *kinds[head]) for head in set(ids)}
            return ObservationColumns.gather(dataset, area, ids, micros, numbers, named)
    labelled = await fetch(_LABELLED)
    if not labelled:
        return ObservationColumns(dataset, area)
    ids, micros, numbers, units, curve_types = zip(*labelled, strict=True)
    heads = list(zip(ids, units, curve_types, strict=True))
    if not keys.keys() >= set(ids):
        # Series made after the first statement by a writer that committed in between.
        keys = await _series_keys(conn, dataset, area)
    named = {head: PageSeries(keys[head[0]], head[1], head[2]) for head in dict.fromkeys(heads)}
    return ObservationColumns.gather(dataset, area, heads, micros, numbers, named)


def _one_kind_each(rows: Iterable[tuple[int, str, str]]) -> dict[int, tuple[str, str]] | None:
    """The unit and curve type of each series from (series id, unit, curve type) rows, or
    ``None`` when a series has points of several (each point is then read with its own)."""
    kinds: dict[int, tuple[str, str]] = {}
    for series_id, unit, curve_type in rows:
        if kinds.setdefault(series_id, (unit, curve_type)) != (unit, curve_type):
            return None
    return kinds


def _as_is(instant: datetime) -> datetime:
    return instant


async def _fetch(driver: Any, dialect: str, sql: str, parameters: Sequence[Any]) -> list[Any]:
    if dialect == "sqlite":
        cursor = await driver.execute(sql, parameters)
        try:
            return list(await cursor.fetchall())
        finally:
            await cursor.close()
    return list(await driver.fetch(sql, *parameters))


async def _series_keys(conn: AsyncConnection, dataset: str, area: AreaKey) -> dict[int, SeriesKey]:
    s = series.c
    rows = await conn.execute(
        sa.select(s.id, *(s[name] for name in SERIES_KEY_COLUMNS)).where(
            s.dataset == dataset, s.area == str(area)
        )
    )
    return {row[0]: SeriesKey(*row[1:]) for row in rows}


def _statement(dialect: Dialect, shape: str, after: bool, limited: bool) -> _Statement:
    key = (dialect.name, shape, after, limited)
    found = _STATEMENTS.get(key)
    if found is None:
        compiled = _select(dialect.name, shape, after, limited).compile(dialect=dialect)
        found = _STATEMENTS[key] = _Statement(compiled.string, tuple(compiled.positiontup or ()))
    return found


def _select(dialect: str, shape: str, after: bool, limited: bool) -> sa.Select[Any]:
    o, s = observations.c, series.c
    keys = [s[name] for name in SERIES_KEY_COLUMNS]
    if dialect == "sqlite":
        # Epoch microseconds as stored; compared with integers, so no conversion either way.
        instant_type: sa.types.TypeEngine[Any] = sa.BigInteger()
        ts: sa.ColumnElement[Any] = sa.type_coerce(o.ts, instant_type)
        micros: sa.ColumnElement[Any] = ts
    else:
        instant_type = sa.DateTime(timezone=True)
        ts = sa.type_coerce(o.ts, instant_type)
        micros = sa.cast(sa.extract("epoch", o.ts) * sa.literal_column("1000000"), sa.BigInteger())
    numbered = [s.id, sa.func.row_number().over(order_by=keys).label("rank")]
    if after:
        cursor_key = sa.tuple_(*(sa.bindparam(name, type_=sa.Text()) for name in _AFTER_KEY))
        numbered.append((sa.tuple_(*keys) > cursor_key).label("later"))
    ranked = (
        sa.select(*numbered)
        .where(
            s.dataset == sa.bindparam("dataset", type_=sa.Text()),
            s.area == sa.bindparam("area", type_=sa.Text()),
        )
        .cte("ranked")
    )
    columns: list[sa.ColumnElement[Any]] = [o.series_id, micros, o.value]
    if shape == _KINDS:
        columns = [o.series_id, o.unit, o.curve_type]
    elif shape == _COUNT:
        columns = [sa.func.count()]
    elif shape == _LABELLED:
        columns += [o.unit, o.curve_type]
    query = sa.select(*columns).select_from(ranked.join(observations, o.series_id == ranked.c.id))
    if shape == _KINDS:
        # From the first to the last instant of the points read: at worst a few more points
        # than those, at the two instants the page begins and ends with.
        return query.where(
            ts >= sa.bindparam("first", type_=instant_type),
            ts <= sa.bindparam("last", type_=instant_type),
        ).distinct()
    query = query.where(
        ts >= sa.bindparam("start", type_=instant_type),
        ts < sa.bindparam("end", type_=instant_type),
    )
    if shape != _COUNT:
        query = query.order_by(ts, ranked.c.rank)
    if after:
        after_ts = sa.bindparam("after", type_=instant_type)
        # The plain bound lets the database seek each series to the cursor's instant.
        query = query.where(
            ts >= after_ts, sa.or_(ts > after_ts, sa.and_(ts == after_ts, ranked.c.later))
        )
    if limited:
        query = query.limit(sa.bindparam("limit", type_=sa.Integer())).offset(
            sa.bindparam("offset", type_=sa.Integer())
        )
    return query
