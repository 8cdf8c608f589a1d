"""The ``tz`` parameter of the reading routes: the zone dates are read in and rows written in."""

from __future__ import annotations

from datetime import tzinfo
from typing import Annotated

from litestar.params import QueryParameter

from entrypoints.http_api.runtime import Runtime
from entrypoints.zones import parse_zone

__all__ = ["TzParameter", "request_zone"]

TzParameter = Annotated[
    str | None,
    QueryParameter(
        description="IANA time zone (Europe/Berlin) that bare dates of start and end are read "
        "in and rows are written in; default ENTSOE_TZ of the server, else UTC.",
        max_length=64,
    ),
]


def request_zone(tz: str | None, runtime: Runtime) -> tzinfo | None:
    """The zone a request names, else the server's ENTSOE_TZ; ``None`` for neither (UTC, and
    a date-time without an offset is refused)."""
    if tz:
        return parse_zone(tz)
    configured = runtime.application.settings.tz
    return parse_zone(configured) if configured else None
