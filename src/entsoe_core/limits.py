"""Request limits: how long an interval one request may ask for, and the cells that fit it.

The API states its limits as ISO 8601 periods ("P1M", "P1Y") counted from the start of the
interval asked for: one calendar month from 2025-05-01T00:00Z ends at 2025-06-01T00:00Z. A
:class:`RequestSpan` is such a period, in months or in days (never both, as the API never
states one). A :class:`Cell` is the calendar cell chunks are cut along; :func:`cell_fitting`
picks the longest cell that fits every limit at once (the dataset's, what was learned from a
refusal, the user's cap), so a plan asks for as much as the API allows and never more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta

import attrs

from entsoe_core.errors import InvalidRequest
from entsoe_core.timeline import Interval, add_months, floor_to_day

__all__ = ["Cell", "LearnedLimit", "RequestSpan", "cell_fitting", "tighter"]

_PERIOD = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
_EPOCH_DAY = date(1970, 1, 1)
_SHORTEST_MONTH_DAYS = 28
_LONGEST_MONTH_DAYS = 31


@attrs.frozen(order=True)
class RequestSpan:
    """The longest interval one request may ask for: ``months`` or ``days`` from its start."""

    months: int = 0
    days: int = 0

    def __attrs_post_init__(self) -> None:
        if self.months < 0 or self.days < 0 or (self.months > 0) == (self.days > 0):
            raise InvalidRequest(
                f"a request span is a positive number of months or of days, not "
                f"months={self.months}, days={self.days}"
            )

    @classmethod
    def parse(cls, text: str) -> RequestSpan:
        """Read an ISO 8601 period of years, months, weeks or days ("P1Y", "P1M", "P10D")."""
        found = _PERIOD.match(text.strip().upper())
        if found is None or not any(found.groups()):
            raise InvalidRequest(
                f"{text!r} is not a period of years, months, weeks or days "
                "(ISO 8601, for example P1Y, P3M, P1W or P10D)"
            )
        years, months, weeks, days = (int(g) if g else 0 for g in found.groups())
        calendar = 12 * years + months
        fixed = 7 * weeks + days
        if not (calendar or fixed):
            raise InvalidRequest(f"the period {text!r} is empty; a request limit is positive")
        if calendar and fixed:
            raise InvalidRequest(
                f"the period {text!r} mixes months and days; a request limit is one or the other"
            )
        return cls(months=calendar, days=fixed)

    def __str__(self) -> str:
        if self.months:
            return f"P{self.months // 12}Y" if self.months % 12 == 0 else f"P{self.months}M"
        return f"P{self.days}D"

    @property
    def shortest_days(self) -> int:
        """The fewest days this span can last (a month counts as 28)."""
        return self.days or self.months * _SHORTEST_MONTH_DAYS

    def end_from(self, start: datetime) -> datetime:
        """The latest end a request starting at ``start`` may ask for."""
        if self.months:
            return add_months(start, self.months)
        return start + timedelta(days=self.days)

    def fits(self, interval: Interval) -> bool:
        return interval.end <= self.end_from(interval.start)


def tighter(first: RequestSpan, second: RequestSpan) -> RequestSpan:
    """The stricter of two limits: of months or of days alike, the shorter; mixed, the one
    that can last fewer days (a month counts as 28), the one in days on a tie."""
    if (first.months > 0) == (second.months > 0):
        return min(first, second)
    days, months = (first, second) if first.days else (second, first)
    return days if days.shortest_days <= months.shortest_days else months


@attrs.frozen
class LearnedLimit:
    """A dataset's request limit as the source stated it in a refusal."""

    dataset: str
    span: RequestSpan
    learned_at: datetime
    message: str
    """What the source said, as it said it (without the token)."""


@attrs.frozen
class Cell:
    """A calendar cell: ``months`` calendar months aligned to the year (0 AD), or ``days``
    days aligned to 1970-01-01. Cutting along fixed cells makes the same gaps give the same
    chunks whenever they are planned."""

    months: int = 0
    days: int = 0

    def start_of(self, instant: datetime) -> datetime:
        day = floor_to_day(instant)
        if self.months:
            index = day.year * 12 + day.month - 1
            index -= index % self.months
            return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)
        number = (day.date() - _EPOCH_DAY).days
        first = _EPOCH_DAY + timedelta(days=number - number % self.days)
        return datetime(first.year, first.month, first.day, tzinfo=UTC)

    def end_of(self, start: datetime) -> datetime:
        if self.months:
            return add_months(start, self.months)
        return start + timedelta(days=self.days)

    def cut(self, gap: Interval) -> Iterator[Interval]:
        """``gap`` cut at every cell boundary inside it."""
        cursor = gap.start
        while cursor < gap.end:
            end = min(self.end_of(self.start_of(cursor)), gap.end)
            yield Interval(cursor, end)
            cursor = end

    @property
    def span(self) -> RequestSpan:
        return RequestSpan(months=self.months, days=self.days)


def cell_fitting(limits: Iterable[RequestSpan]) -> Cell:
    """The longest cell that every limit admits, whatever day it starts on.

    A cell of ``m`` months lasts at most ``31 m`` days and a cell of ``n`` days at least
    ``n / 28`` months, so mixed limits are compared at their tightest.
    """
    spans = list(limits)
    if not spans:
        raise InvalidRequest("no request limit given to cut chunks by")
    month_limits = [s.months for s in spans if s.months]
    day_limits = [s.days for s in spans if s.days]
    months = min(month_limits, default=None)
    if not day_limits:
        assert months is not None
        return Cell(months=months)
    days = min(day_limits)
    whole_months = days // _LONGEST_MONTH_DAYS
    if months is not None:
        whole_months = min(whole_months, months)
    if whole_months >= 1:
        return Cell(months=whole_months)
    if months is not None:
        days = min(days, months * _SHORTEST_MONTH_DAYS)
    return Cell(days=days)
