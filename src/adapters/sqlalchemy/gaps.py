"""Gaps as SQL: the requested interval minus the final entries of the coverage ledger.

:meth:`RecheckPolicy.is_final` is rendered in two parts: whether the fetch came after the
settle time, per dialect (SQLite keeps instants as integer microseconds, PostgreSQL as
timestamptz), and whether its holes, if any, were accepted. The gaps-and-islands query is the
same on both.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from adapters.sqlalchemy.tables import UtcDateTime, coverage
from entsoe_core.coverage import Outcome, RecheckPolicy
from entsoe_core.timeline import Interval

__all__ = ["IsFinal", "gaps_query", "is_final_postgres", "is_final_sqlite"]

_MICROSECOND = timedelta(microseconds=1)


IsFinal = Callable[[RecheckPolicy], sa.ColumnElement[bool]]
"""A dialect's :meth:`RecheckPolicy.settled`: ``end + settle(outcome) <= fetched_at``."""


def without_open_holes() -> sa.ColumnElement[bool]:
    """The rest of :meth:`RecheckPolicy.is_final`: no holes, or holes accepted."""
    return sa.or_(coverage.c.hole_count == 0, coverage.c.holes_accepted)


def _settle(policy: RecheckPolicy, as_value: Callable[[timedelta], Any]) -> sa.Case[Any]:
    return sa.case(
        (coverage.c.outcome == Outcome.DATA.value, as_value(policy.settle(Outcome.DATA))),
        else_=as_value(policy.settle(Outcome.NO_DATA)),
    )


def is_final_sqlite(policy: RecheckPolicy) -> sa.ColumnElement[bool]:
    """Instants are integer microseconds in SQLite: add the settle time in microseconds."""
    micros = sa.BigInteger()
    settle = _settle(policy, lambda delay: sa.literal(delay // _MICROSECOND, micros))
    c = coverage.c
    return sa.type_coerce(c.interval_end, micros) + settle <= sa.type_coerce(c.fetched_at, micros)


def is_final_postgres(policy: RecheckPolicy) -> sa.ColumnElement[bool]:
    """Instants are timestamptz in PostgreSQL: add the settle time as an interval."""
    instant = sa.DateTime(timezone=True)
    delay = _settle(policy, lambda delay: sa.literal(delay, sa.Interval()))
    c = coverage.c
    return sa.type_coerce(c.interval_end, instant) + delay <= sa.type_coerce(c.fetched_at, instant)


def gaps_query(
    is_final: IsFinal, dataset: str, area: str, requested: Interval, policy: RecheckPolicy
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
            is_final(policy),
            without_open_holes(),
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
