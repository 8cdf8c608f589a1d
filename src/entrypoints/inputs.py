"""Reading user input the same way in the CLI and the HTTP API: instants and name lists."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo

from entsoe_core.errors import InvalidRequest
from entsoe_core.services.requests import EARLIEST, LATEST

__all__ = ["parse_instant", "split_names"]


def parse_instant(text: str, name: str, zone: tzinfo | None = None) -> datetime:
    """An ISO date (midnight in ``zone``, UTC by default) or date-time with a UTC offset.

    A date-time without an offset is read in ``zone`` when one is given, and refused
    otherwise; one that does not exist there (skipped by a change to summer time) is refused.
    """
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            parsed = datetime(day.year, day.month, day.day, tzinfo=zone or UTC)
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest(
            f"{name} {value[:64]!r} is not a date; give 2024-01-31 (midnight) or "
            "2024-01-31T06:00+01:00"
        ) from None
    if parsed.tzinfo is None and zone is not None:
        parsed = parsed.replace(tzinfo=zone)
    if zone is not None:
        _check_exists(parsed, zone, name, value)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InvalidRequest(
            f"{name} {value!r} has no UTC offset; add one (2024-01-31T06:00+00:00), give a "
            "date, or name its time zone (--tz, or the tz parameter)"
        )
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        # Only the first and last days a datetime can hold overflow here, far outside any
        # range a request accepts.
        raise InvalidRequest(
            f"{name} {value!r} is outside the range this tool accepts, "
            f"{EARLIEST.date()} to {LATEST.date()}"
        ) from None


def _check_exists(local: datetime, zone: tzinfo, name: str, value: str) -> None:
    # A wall time skipped by a change to summer time does not survive the round trip.
    if local.tzinfo is zone and local.astimezone(UTC).astimezone(zone) != local.replace(fold=0):
        raise InvalidRequest(
            f"{name} {value!r} does not exist in {zone} (the clocks skip it); give a time "
            "with its UTC offset"
        )


def split_names(values: list[str]) -> list[str]:
    """``--area NL,BE --area FR`` or ``?area=NL,BE&area=FR`` -> ``["NL", "BE", "FR"]``."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]
