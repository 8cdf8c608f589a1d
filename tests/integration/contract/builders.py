"""Values the contract tests are written with."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from entsoe_core.areas import AreaKey
from entsoe_core.observations import Point, Series, SeriesKey
from entsoe_core.plan import Chunk
from entsoe_core.progress import BackfillJob, ChunkProgress, JobStatus
from entsoe_core.timeline import Interval, add_months, utc

NOW = utc(2024, 6, 15, 12)
START = utc(2024, 1, 1)
NL = AreaKey("10YNL----------L")
DE_LU = AreaKey("10Y1001A1001A82H")
BE = AreaKey("10YBE----------2")
NL_BE = AreaKey(NL.code, BE.code)
BE_NL = AreaKey(BE.code, NL.code)

PRICES = "day_ahead_prices"
GENERATION = "actual_generation_per_type"
FLOWS = "cross_border_physical_flows"
LOAD = "actual_total_load"


def price_key(resolution: str = "PT60M", position: str = "", area: AreaKey = NL) -> SeriesKey:
    return SeriesKey(
        document_type="A44",
        business_type="A62",
        in_domain=area.code,
        out_domain=area.code,
        classification_position=position,
        resolution=resolution,
    )


def series(
    key: SeriesKey,
    start: datetime,
    values: Sequence[float],
    *,
    step: timedelta = timedelta(hours=1),
    revision: int = 1,
    unit: str = "MWH",
    curve_type: str = "A01",
    created_at: datetime | None = None,
) -> Series:
    points = tuple(Point(start + i * step, float(v)) for i, v in enumerate(values))
    return Series(key, points, unit, curve_type, revision, created_at)


def job(
    job_id: str, *, status: JobStatus = JobStatus.IN_PROGRESS, at: datetime = NOW
) -> BackfillJob:
    return BackfillJob(
        id=job_id,
        created_at=at,
        period=Interval(utc(2024, 1, 1), utc(2024, 4, 1)),
        datasets=(LOAD,),
        areas=(str(NL), str(BE)),
        status=status,
        started_at=at if status is JobStatus.IN_PROGRESS else None,
    )


def chunks_of(
    job_id: str, areas: Sequence[AreaKey] = (NL, BE), months: int = 3
) -> list[ChunkProgress]:
    result: list[ChunkProgress] = []
    for month in range(1, months + 1):
        for area in areas:
            interval = Interval(add_months(START, month - 1), add_months(START, month))
            result.append(
                ChunkProgress(
                    f"{job_id}-{len(result):06d}",
                    job_id,
                    Chunk(LOAD, area, interval),
                    updated_at=NOW,
                )
            )
    return result
