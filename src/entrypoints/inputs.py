"""Reading user input the same way in the CLI and the HTTP API: instants and name lists."""

from __future__ import annotations

from datetime import UTC, date, datetime

from entsoe_core.errors import InvalidRequest
from entsoe_core.services.requests import EARLIEST, LATEST

__all__ = ["parse_instant", "split_names"]


def parse_instant(text: str, name: str) -> datetime:
    """An ISO date (UTC midnight) or date-time with a UTC offset; naive times are refused."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest(
            f"{name} {value[:64]!r} is not a date; give 2024-01-31 (UTC midnight) or "
            "2024-01-31T06:00+01:00"
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InvalidRequest(
            f"{name} {value!r} has no UTC offset; add one (2024-01-31T06:00+00:00) or give a date"
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


def split_names(values: list[str]) -> list[str]:
    """``--area NL,BE --area FR`` or ``?area=NL,BE&area=FR`` -> ``["NL", "BE", "FR"]``."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]
