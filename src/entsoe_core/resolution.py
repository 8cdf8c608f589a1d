"""Resolutions of series, and the instant of each step.

Fixed durations (PT15M, PT60M, P1D, P7D …) step by elapsed time in UTC; months and years
(P1M, P1Y) step by the calendar, so that the twelfth month of a year starts where the next
year does. Days, weeks, months and years are local ones stated in UTC, so a step of a day or
longer may be an hour short or long (a DST change): :attr:`Resolution.slack`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from itertools import accumulate, repeat
from operator import add
from typing import Final

import attrs

from entsoe_core.errors import DocumentFault
from entsoe_core.timeline import Interval, add_months

__all__ = ["Resolution"]

_DURATION = re.compile(
    r"P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)
# Days, weeks, months and years are local ones stated in UTC: the one holding the spring DST
# change is an hour short. Shorter steps are elapsed time and get no such slack.
_DST_SLACK: Final = timedelta(hours=1)
_DAY: Final = timedelta(days=1)
# The longest calendar month; a year of months is at most 366 days.
_LONGEST_MONTH: Final = timedelta(days=31)
_LONGEST_YEAR: Final = timedelta(days=366)


@attrs.frozen
class Resolution:
    """An ISO 8601 duration that is either whole calendar months or a fixed time step."""

    code: str
    months: int = 0
    step: timedelta = timedelta(0)

    @classmethod
    def parse(cls, code: str) -> Resolution:
        """Read a resolution; raise :class:`DocumentFault` for anything we cannot step by."""
        match = _DURATION.fullmatch(code)
        if match is None or code in ("P", "PT") or code.endswith("T"):
            raise DocumentFault(
                f"resolution {code!r} is not an ISO 8601 duration such as PT15M, P1D or P1M"
            )
        field = {name: int(value or 0) for name, value in match.groupdict().items()}
        months = field["years"] * 12 + field["months"]
        try:
            step = timedelta(
                weeks=field["weeks"],
                days=field["days"],
                hours=field["hours"],
                minutes=field["minutes"],
                seconds=field["seconds"],
            )
        except OverflowError:
            raise DocumentFault(
                f"resolution {code!r} is longer than any period can be; expected a step such "
                "as PT15M, PT60M, P1D, P7D, P1M or P1Y"
            ) from None
        if bool(months) == bool(step):
            raise DocumentFault(
                f"resolution {code!r} must be either whole months/years or a fixed duration "
                "(PT15M, PT60M, P1D, P7D, P1M, P1Y …), and not zero"
            )
        return cls(code, months, step)

    def instant(self, start: datetime, index: int) -> datetime:
        """The start of the ``index``-th step (0-based) of a period starting at ``start``."""
        if self.months:
            return add_months(start, index * self.months)
        return start + self.step * index

    def instants(self, start: datetime, first: int, stop: int) -> list[datetime]:
        """The starts of steps ``first`` up to ``stop`` (0-based, ``stop`` excluded)."""
        if self.months:
            return [add_months(start, index * self.months) for index in range(first, stop)]
        if stop <= first:
            return []
        # Each instant is the one before plus a step, added in C (datetime arithmetic is exact).
        step = self.step
        return list(accumulate(repeat(step, stop - first - 1), add, initial=start + step * first))

    def steps(self, start: datetime, end: datetime) -> int:
        """How many whole steps ``[start, end)`` holds: the highest position it may have.

        Computes no instant past ``end``, so that any two valid datetimes give an answer.
        A day, week, month or year may end an hour early (the local one of the spring DST
        change, stated in UTC) and still count; the autumn one, an hour long, counts once.
        """
        if end <= start:
            return 0
        slack = _DST_SLACK if self.months or self.step >= _DAY else timedelta(0)
        if not self.months:
            return (end - start + slack) // self.step
        count = ((end.year - start.year) * 12 + end.month - start.month) // self.months
        while count > 0 and self.instant(start, count) - end > slack:
            count -= 1
        return count

    @property
    def slack(self) -> timedelta:
        """How far a step may stray from its nominal length: an hour for days and longer."""
        return _DST_SLACK if self.months or self.step >= _DAY else timedelta(0)

    @property
    def longest(self) -> timedelta:
        """The longest one step may last; two consecutive points further apart miss one."""
        if self.months % 12 == 0 and self.months:
            return _LONGEST_YEAR * (self.months // 12) + self.slack
        return _LONGEST_MONTH * self.months + self.step + self.slack

    def after(self, instant: datetime, count: int = 1) -> datetime:
        """The start of the step ``count`` steps after the one starting at ``instant``."""
        return self.instant(instant, count)

    def count(self, interval: Interval) -> int:
        """How many steps starting at ``interval.start`` begin inside ``interval`` (at least one).

        A step that would begin within the slack before the end (a DST day an hour short)
        belongs to the next interval, not this one.
        """
        if not self.months:
            return max((interval.duration + self.slack) // self.step, 1)
        count = 0
        while self.after(interval.start, count) < interval.end - self.slack:
            count += 1
        return max(count, 1)
