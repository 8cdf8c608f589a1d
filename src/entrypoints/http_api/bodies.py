"""Bodies only the HTTP API has: what a backfill request holds, health, problem details.

Litestar validates request bodies against these and documents them in the OpenAPI document.
The bodies the CLI shares (jobs, coverage, observation rows) are in :mod:`entrypoints.wire`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from entrypoints.wire import SourceOutageBody

__all__ = ["BackfillBody", "HealthBody", "OverdueBody", "Problem"]

SpanName = Literal["day", "month", "quarter", "year"]
Names = Annotated[
    list[Annotated[str, msgspec.Meta(min_length=1, max_length=200)]],
    msgspec.Meta(min_length=1, max_length=200),
]
InstantText = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        description="An ISO 8601 date (midnight in tz, UTC by default) or date-time with a UTC "
        "offset.",
        examples=["2024-01-01", "2024-01-01T06:00:00+01:00"],
    ),
]


class BackfillBody(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A backfill to start: areas x datasets over ``[start, end)``."""

    areas: Annotated[
        Names,
        msgspec.Meta(
            description="EIC codes or aliases (NL, DE_LU); FROM>TO for borders; `all`: every "
            "area each dataset takes that existed in the period; `all-borders`: every border.",
            examples=[["NL"]],
        ),
    ]
    datasets: Annotated[
        Names,
        msgspec.Meta(
            description="Dataset keys, e.g. actual_total_load, day_ahead_prices.",
            examples=[["actual_total_load"]],
        ),
    ]
    start: InstantText
    end: InstantText
    span: SpanName | None = None
    """A cap on the chunk span; the server's ENTSOE_CHUNK_SPAN when absent (unset there: no
    cap, each dataset's chunks as long as its request limit allows)."""
    tz: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    """The IANA time zone bare dates of start and end are read in (Europe/Berlin: a date is
    Berlin midnight); the server's ENTSOE_TZ when absent, else UTC."""


class HealthBody(msgspec.Struct, frozen=True):
    """Whether the server can serve: the database answered, and whether it can fetch."""

    status: Literal["ok", "behind"]
    """``behind`` (HTTP 503) when a scheduled round is later than ENTSOE_SCHEDULE_MARGIN_SECONDS."""
    version: str
    database: Literal["ok"]
    source: Literal["ready", "not configured", "unavailable"]
    source_detail: str | None
    running_jobs: int
    source_outage: SourceOutageBody | None
    """While the source is unavailable (``source`` says so too); null otherwise."""
    last_fetch: datetime | None = None
    """When the newest coverage entry of the configured scope was fetched."""
    banned_until: datetime | None = None
    """While the source bans requests (HTTP 429): until when."""
    overdue: OverdueBody | None = None
    """The configured dataset whose scheduled round is the latest, if any is late."""


class OverdueBody(msgspec.Struct, frozen=True):
    """A dataset whose due round nobody has run yet."""

    dataset: str
    due_at: datetime
    late_seconds: float


class Problem(msgspec.Struct, frozen=True, omit_defaults=True):
    """An RFC 9457 problem detail."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[dict[str, str]] | None = None
    """For invalid input: which parameter or field was wrong, and why."""
