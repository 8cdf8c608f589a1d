"""Statistics of stored series as SQL: counts, first and last instants, and gaps.

Two statements, both computed by the database: one aggregate per series, and one pass of
``LAG`` over the timestamps of each series that returns only the consecutive points further
apart than one step of the series' resolution may last. Only those pairs leave the database,
never the observations themselves. The step lengths are literals built from the resolutions the
first statement found; the difference of two instants is rendered per dialect (SQLite keeps
instants as integer microseconds, PostgreSQL as timestamptz).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import attrs
import sqlalchemy as sa

from adapters.sqlalchemy.tables import SERIES_KEY_COLUMNS, UtcDateTime, observations, series
from entsoe_core.resolution import Resolution
from entsoe_core.timeline import Interval

__all__ = ["POSTGRES_GAPS", "SQLITE_GAPS", "GapRule", "gaps_statement", "totals_statement"]

_MICROSECOND = timedelta(microseconds=1)


@attrs.frozen
class GapRule:
    """How a dialect compares the distance between two instants with a step's length."""

    length: Callable[[timedelta], Any]
    """A step length as a SQL literal."""
    instant: sa.types.TypeEngine[Any]
    """What an instant is to subtract it: integer microseconds, or timestamptz."""

    def longer_than(
        self, before: Any, after: Any, longest: sa.ColumnElement[Any]
    ) -> sa.ColumnElement[bool]:
        return sa.type_coerce(after, self.instant) - sa.type_coerce(before, self.instant) > longest


SQLITE_GAPS = GapRule(lambda d: sa.literal(d // _MICROSECOND, sa.BigInteger()), sa.BigInteger())
POSTGRES_GAPS = GapRule(lambda d: sa.literal(d, sa.Interval()), sa.DateTime(timezone=True))


def _of_series(dataset: str, area: str, interval: Interval) -> tuple[Any, list[Any]]:
    o, s = observations.c, series.c
    join = observations.join(series, o.series_id == s.id)
    where = [
        s.dataset == dataset,
        s.area == area,
        o.ts >= sa.literal(interval.start, UtcDateTime()),
        o.ts < sa.literal(interval.end, UtcDateTime()),
    ]
    return join, where


def totals_statement(dataset: str, area: str, interval: Interval) -> sa.Select[Any]:
    """Per series in ``interval``: its id and key, points, first and last instant, revision."""
    o, s = observations.c, series.c
    join, where = _of_series(dataset, area, interval)
    keys = [s[name] for name in SERIES_KEY_COLUMNS]
    return (
        sa.select(
            s.id,
            *keys,
            sa.func.count().label("points"),
            sa.type_coerce(sa.func.min(o.ts), UtcDateTime()).label("first"),
            sa.type_coerce(sa.func.max(o.ts), UtcDateTime()).label("last"),
            sa.func.max(o.revision).label("revision"),
        )
        .select_from(join)
        .where(*where)
        .group_by(s.id, *keys)
        .order_by(*keys)
    )


def gaps_statement(
    dataset: str, area: str, interval: Interval, resolutions: Iterable[str], rule: GapRule
) -> sa.Select[Any]:
    """Consecutive points of a series in ``interval`` further apart than a step may last."""
    o, s = observations.c, series.c
    join, where = _of_series(dataset, area, interval)
    before = sa.func.lag(o.ts).over(partition_by=o.series_id, order_by=o.ts)
    paired = (
        sa.select(
            o.series_id.label("series_id"),
            s.resolution.label("resolution"),
            before.label("before"),
            o.ts.label("after"),
        )
        .select_from(join)
        .where(*where)
        .subquery("paired")
    )
    # Resolutions are the catalogue's; any other would have no step, and so no gap.
    longest = sa.case(
        {code: rule.length(Resolution.parse(code).longest) for code in sorted(set(resolutions))},
        value=paired.c.resolution,
        else_=sa.null(),
    )
    instant = UtcDateTime()
    return (
        sa.select(
            paired.c.series_id,
            sa.type_coerce(paired.c.before, instant).label("before"),
            sa.type_coerce(paired.c.after, instant).label("after"),
        )
        .where(
            paired.c.before.is_not(None),
            rule.longer_than(paired.c.before, paired.c.after, longest),
        )
        .order_by(paired.c.series_id, paired.c.after)
    )
