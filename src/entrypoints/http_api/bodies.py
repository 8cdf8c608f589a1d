"""What goes over the wire: request and response bodies, as msgspec structs.

Litestar validates request bodies against these and documents all of them in the OpenAPI
document. They are built from the services' results by named classmethods; the shapes of
jobs and observation rows are those of ``entsoe status --json`` and ``entsoe parse``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from entrypoints.wire import row
from entsoe_core.areas import AREAS
from entsoe_core.observations import Observation
from entsoe_core.services.requests import CoverageReport, JobReport
from entsoe_core.timeline import Interval

__all__ = [
    "BackfillBody",
    "ChunkCountsBody",
    "CoverageBody",
    "HealthBody",
    "IntervalBody",
    "JobBody",
    "ObservationRow",
    "ObservationsPage",
    "Problem",
]

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
        description="An ISO 8601 date (UTC midnight) or date-time with a UTC offset.",
        examples=["2024-01-01", "2024-01-01T06:00:00+01:00"],
    ),
]


class BackfillBody(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A backfill to start: areas x datasets over ``[start, end)``."""

    areas: Annotated[
        Names,
        msgspec.Meta(
            description="EIC codes or aliases (NL, DE_LU); FROM>TO for borders.",
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
    """Chunk span; the server's ENTSOE_CHUNK_SPAN (month) when absent."""


class ChunkCountsBody(msgspec.Struct, frozen=True):
    """A job's chunks by status."""

    pending: int
    in_flight: int
    done: int
    failed: int
    cancelled: int


class JobBody(msgspec.Struct, frozen=True):
    """A backfill job and its counters."""

    id: str
    kind: Literal["backfill", "gap_fill"]
    status: Literal["pending", "in_progress", "completed", "failed", "cancelled"]
    running: bool
    areas: list[str]
    datasets: list[str]
    start: datetime
    end: datetime
    created_at: datetime
    chunks: ChunkCountsBody
    chunks_total: int
    points_written: int
    points_kept: int
    requests: int
    elapsed_seconds: float | None
    eta_seconds: float | None
    last_error: str | None

    @classmethod
    def of(cls, report: JobReport) -> JobBody:
        return msgspec.convert(report.as_dict(), cls, strict=False)


class IntervalBody(msgspec.Struct, frozen=True):
    """A half-open interval ``[start, end)`` of UTC instants."""

    start: datetime
    end: datetime

    @classmethod
    def of(cls, interval: Interval) -> IntervalBody:
        return cls(interval.start, interval.end)


class CoverageBody(msgspec.Struct, frozen=True):
    """What is covered, answered "no data", and missing, for one (dataset, area)."""

    dataset: str
    area: str
    area_label: str
    start: datetime
    end: datetime
    covered: list[IntervalBody]
    no_data: list[IntervalBody]
    missing: list[IntervalBody]

    @classmethod
    def of(cls, report: CoverageReport) -> CoverageBody:
        return cls(
            dataset=report.dataset,
            area=str(report.area),
            area_label=AREAS.label(report.area),
            start=report.period.start,
            end=report.period.end,
            covered=[IntervalBody.of(i) for i in report.covered],
            no_data=[IntervalBody.of(i) for i in report.no_data],
            missing=[IntervalBody.of(i) for i in report.gaps],
        )


class ObservationRow(msgspec.Struct, frozen=True):
    """One stored observation, with the fields (and names) of ``entsoe parse`` rows."""

    business_type: str
    classification_position: str
    curve_type: str
    document_type: str
    in_domain: str
    out_domain: str
    process_type: str
    psr_type: str
    resolution: str
    timestamp: str
    value: float

    @classmethod
    def of(cls, observation: Observation) -> ObservationRow:
        return msgspec.convert(
            row(observation.key, observation.curve_type, observation.timestamp, observation.value),
            cls,
        )


class ObservationsPage(msgspec.Struct, frozen=True):
    """One page of observations; ``next_cursor`` is null on the last page."""

    items: list[ObservationRow]
    next_cursor: str | None


class HealthBody(msgspec.Struct, frozen=True):
    """Whether the server can serve: the database answered, and whether it can fetch."""

    status: Literal["ok"]
    version: str
    database: Literal["ok"]
    source: Literal["ready", "not configured"]
    source_detail: str | None
    running_jobs: int


class Problem(msgspec.Struct, frozen=True, omit_defaults=True):
    """An RFC 9457 problem detail."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[dict[str, str]] | None = None
    """For invalid input: which parameter or field was wrong, and why."""
