"""Time zones at the edges: the zone a user's dates are read in and their rows written in.

The core works in UTC only. A zone given with ``--tz`` (or ``ENTSOE_TZ``, or the HTTP API's
``tz`` parameter) decides two things at the edge: what a bare date such as ``2024-01-01``
means (midnight in that zone), and the zone the timestamps of exported rows are written in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, tzinfo
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from entsoe_core.errors import InvalidRequest

__all__ = ["TZ_ENV", "TZ_FIELD", "UTC_NAME", "local_text", "parse_zone", "zone_name", "zoned_rows"]

TZ_ENV: Final = "ENTSOE_TZ"
TZ_FIELD: Final = "tz"
"""The field (JSON) or last column (CSV) that names the zone of a row's timestamp, where it is
not UTC."""
UTC_NAME: Final = "UTC"

Row = dict[str, str | float]


def parse_zone(name: str | None) -> tzinfo:
    """An IANA zone (``Europe/Berlin``) or ``UTC``; ``None`` or empty: UTC."""
    text = (name or "").strip()
    if not text or text.upper() in ("UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        close = sorted(z for z in available_timezones() if z.lower().endswith(text.lower()))[:3]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise InvalidRequest(
            f"unknown time zone {text[:64]!r}{hint}; give an IANA name such as Europe/Berlin, "
            "or UTC"
        ) from None


def zone_name(zone: tzinfo) -> str:
    """The name a zone is given back under: its IANA key, or UTC."""
    return str(zone) if isinstance(zone, ZoneInfo) else UTC_NAME


def local_text(instant: datetime, zone: tzinfo) -> str:
    """An instant in ``zone`` as ISO 8601 with its offset (``Z`` in UTC)."""
    if zone is UTC:
        return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return instant.astimezone(zone).isoformat()


def zoned_rows(rows: Iterable[Row], zone: tzinfo) -> Iterator[Row]:
    """Rows with their UTC ``timestamp`` written in ``zone`` and the zone named in
    :data:`TZ_FIELD`; UTC rows go through as they are (their ``Z`` names the zone)."""
    if zone is UTC:
        yield from rows
        return
    name = zone_name(zone)
    for row in rows:
        stamp = datetime.fromisoformat(str(row["timestamp"]))
        row["timestamp"] = stamp.astimezone(zone).isoformat()
        row[TZ_FIELD] = name
        yield row
