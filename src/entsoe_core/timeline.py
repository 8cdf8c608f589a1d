"""UTC instants, half-open intervals and sets of intervals.

Every instant in the core is a timezone-aware ``datetime`` in UTC. Naive datetimes are refused
at construction, so no code path can mix local and universal time by accident.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from entsoe_core.errors import InvalidRequest

__all__ = [
    "UTC",
    "Interval",
    "IntervalSet",
    "add_months",
    "ensure_utc",
    "floor_to_day",
    "utc",
]


def ensure_utc(value: datetime, *, what: str = "instant") -> datetime:
    """Return ``value`` converted to UTC; refuse naive datetimes."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise InvalidRequest(
            f"{what} {value.isoformat()} has no timezone; give a UTC offset "
            "(for example 2024-01-01T00:00+00:00)"
        )
    return value.astimezone(UTC)


def utc(year: int, month: int = 1, day: int = 1, hour: int = 0, minute: int = 0) -> datetime:
    """A UTC instant from calendar fields."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def add_months(instant: datetime, months: int) -> datetime:
    """Step by calendar months, clamping the day to the length of the target month."""
    index = instant.year * 12 + (instant.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    day = min(instant.day, calendar.monthrange(year, month)[1])
    return instant.replace(year=year, month=month, day=day)


def floor_to_day(instant: datetime) -> datetime:
    return instant.replace(hour=0, minute=0, second=0, microsecond=0)


def _utc_instant(_: Any, attribute: attrs.Attribute[datetime], value: datetime) -> None:
    if not isinstance(value, datetime):
        raise InvalidRequest(f"{attribute.name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() != timedelta(0):
        raise InvalidRequest(
            f"{attribute.name} {value.isoformat()} must be a UTC-aware datetime; "
            "convert it with ensure_utc() first"
        )


@attrs.frozen(order=True)
class Interval:
    """A half-open interval ``[start, end)`` of UTC instants; never empty."""

    start: datetime = attrs.field(validator=_utc_instant)
    end: datetime = attrs.field(validator=_utc_instant)

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidRequest(
                f"interval end {self.end.isoformat()} must be after its start "
                f"{self.start.isoformat()}"
            )

    @classmethod
    def of(cls, start: datetime, end: datetime) -> Interval:
        """Build from any aware datetimes, converting them to UTC."""
        return cls(ensure_utc(start, what="start"), ensure_utc(end, what="end"))

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end

    def covers(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def intersection(self, other: Interval) -> Interval | None:
        start, end = max(self.start, other.start), min(self.end, other.end)
        return Interval(start, end) if start < end else None

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"


@attrs.frozen
class IntervalSet:
    """A normalised union of intervals: sorted, disjoint and non-adjacent."""

    intervals: tuple[Interval, ...] = ()

    @classmethod
    def of(cls, intervals: Iterable[Interval]) -> IntervalSet:
        merged: list[Interval] = []
        for interval in sorted(intervals):
            if merged and interval.start <= merged[-1].end:
                if interval.end > merged[-1].end:
                    merged[-1] = Interval(merged[-1].start, interval.end)
            else:
                merged.append(interval)
        return cls(tuple(merged))

    def __iter__(self) -> Iterator[Interval]:
        return iter(self.intervals)

    def __len__(self) -> int:
        return len(self.intervals)

    def __bool__(self) -> bool:
        return bool(self.intervals)

    @property
    def total(self) -> timedelta:
        return sum((i.duration for i in self.intervals), timedelta(0))

    def union(self, other: IntervalSet | Iterable[Interval]) -> IntervalSet:
        return IntervalSet.of((*self.intervals, *other))

    def intersection(self, other: IntervalSet | Iterable[Interval]) -> IntervalSet:
        pieces = [
            piece
            for mine in self.intervals
            for theirs in other
            if (piece := mine.intersection(theirs)) is not None
        ]
        return IntervalSet.of(pieces)

    def difference(self, other: IntervalSet | Iterable[Interval]) -> IntervalSet:
        subtract = IntervalSet.of(other).intervals
        result: list[Interval] = []
        for interval in self.intervals:
            cursor = interval.start
            for cut in subtract:
                if cut.end <= cursor or cut.start >= interval.end:
                    continue
                if cut.start > cursor:
                    result.append(Interval(cursor, cut.start))
                cursor = max(cursor, cut.end)
                if cursor >= interval.end:
                    break
            if cursor < interval.end:
                result.append(Interval(cursor, interval.end))
        return IntervalSet(tuple(result))

    def contains(self, instant: datetime) -> bool:
        return any(i.contains(instant) for i in self.intervals)

    def covers(self, interval: Interval) -> bool:
        return not IntervalSet((interval,)).difference(self)
