"""Faults switched on and off while the emulator runs: outages and series cut short.

Both played the real API for days or weeks. From 30 August 2026 the Web API answered 503
with a "Scheduled maintenance" page, and after a migration on 8 September "404 page not
found" for every query; an :class:`Outage` answers every API request one of these ways, for a
number of seconds or until switched off. From November 2025 some series came back cut at
1,000 points with HTTP 200, the rest of the interval missing; :func:`cut_series` does that.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import UTC, datetime

import attrs

from entrypoints.emulator.spans import SpanLimits
from entsoe_core.observations import Series

__all__ = ["MAINTENANCE_PAGE", "NOT_FOUND", "Outage", "OutageKind", "Switches", "cut_series"]

MAINTENANCE_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Scheduled maintenance</title></head><body>\n"
    b"<h1>Scheduled maintenance</h1>\n<p>The ENTSO-E Transparency Platform is unavailable "
    b"during scheduled maintenance. We apologise for the inconvenience.</p>\n</body></html>\n"
)
NOT_FOUND = b"404 page not found\n"
"""The body of the 404 the API answered every query with after its migration."""


class OutageKind(enum.Enum):
    """How the API answers while it is down."""

    MAINTENANCE = "maintenance"
    """503 with an HTML "Scheduled maintenance" page."""
    NOT_FOUND = "not-found"
    """404 with the plain text "404 page not found"."""


@attrs.frozen
class Outage:
    """The API down, answering ``kind``, until ``until`` (epoch seconds) or until switched off."""

    kind: OutageKind
    until: float | None = None

    def active(self, now: float) -> bool:
        return self.until is None or now < self.until


def cut_series(series: Sequence[Series], points: int) -> tuple[list[Series], bool]:
    """Each series stopped after its first ``points`` points, and whether any was cut.

    The rest is missing, not repeated: a series ends early, as the API's did, rather than
    with a curve that claims values it does not give.
    """
    cut = [attrs.evolve(one, points=one.points[:points]) for one in series]
    return cut, any(len(one.points) > points for one in series)


class Switches:
    """The limits and the switchable faults of a running emulator.

    Each setting is an immutable value replaced whole, so a request answered in a worker
    thread sees either the old setting or the new one, never half of each.
    """

    def __init__(self, limits: SpanLimits, cut_points: int | None, outage: Outage | None) -> None:
        self.initial_limits = limits
        self.limits = limits
        self.cut_points = cut_points
        self.outage = outage
        self.now: datetime | None = None
        """The instant the emulator publishes as of, when moved (``/_emulator/now``); None:
        as started (``--now``, or the clock)."""

    def outage_at(self, now: float) -> Outage | None:
        """The outage in force at ``now`` (epoch seconds), if any."""
        outage = self.outage
        return outage if outage is not None and outage.active(now) else None

    def describe(self, now: float) -> dict[str, object]:
        """The switches as JSON-ready data."""
        outage = self.outage_at(now)
        return {
            "now": None if self.now is None else self.now.isoformat(),
            "cut_series_at": self.cut_points,
            "outage": None
            if outage is None
            else {
                "kind": outage.kind.value,
                "until": None
                if outage.until is None
                else datetime.fromtimestamp(outage.until, UTC).isoformat(),
            },
        }
