"""Resolutions of ENTSO-E periods, and the instant of each position in a period.

Fixed durations (PT15M, PT60M, P1D, P7D …) step by elapsed time in UTC; months and years
(P1M, P1Y) step by the calendar, so that the twelfth month of a year starts where the next
year does.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import attrs

from entsoe_core.timeline import add_months

from .errors import MalformedDocument

__all__ = ["Resolution"]

_DURATION = re.compile(
    r"P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)


@attrs.frozen
class Resolution:
    """An ISO 8601 duration that is either whole calendar months or a fixed time step."""

    code: str
    months: int = 0
    step: timedelta = timedelta(0)

    @classmethod
    def parse(cls, code: str) -> Resolution:
        match = _DURATION.fullmatch(code)
        if match is None or code in ("P", "PT") or code.endswith("T"):
            raise MalformedDocument(
                f"resolution {code!r} is not an ISO 8601 duration such as PT15M, P1D or P1M"
            )
        field = {name: int(value or 0) for name, value in match.groupdict().items()}
        months = field["years"] * 12 + field["months"]
        step = timedelta(
            weeks=field["weeks"],
            days=field["days"],
            hours=field["hours"],
            minutes=field["minutes"],
            seconds=field["seconds"],
        )
        if bool(months) == bool(step):
            raise MalformedDocument(
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
        step = self.step
        return [start + step * index for index in range(first, stop)]

    def steps(self, start: datetime, end: datetime) -> int:
        """How many steps ``[start, end)`` holds, to the nearest whole step.

        Days and weeks are local days and weeks stated in UTC: across a DST change they are an
        hour shorter or longer than the fixed step, and still count as one step.
        """
        if end <= start:
            return 0
        if not self.months:
            return (end - start + self.step / 2) // self.step
        count = ((end.year - start.year) * 12 + end.month - start.month) // self.months
        while count > 0 and self.instant(start, count) > end:
            count -= 1
        return max(count, 0)
