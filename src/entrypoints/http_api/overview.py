"""Routes the dashboard reads besides the API's own: the coverage grid, freshness, chunks of a
job or of a grid cell, and the request budget.

Each parses its input, calls one read service, and renders; none needs a token.
"""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from entrypoints.http_api.backfills import JobId
from entrypoints.http_api.data import Name, OptionalInstant
from entrypoints.http_api.overview_bodies import (
    BudgetBody,
    ChunkBody,
    ChunkStatusName,
    CoverageGridBody,
    FreshnessBody,
)
from entrypoints.http_api.problems import problem_responses
from entrypoints.http_api.runtime import Runtime
from entrypoints.inputs import parse_instant, split_names
from entsoe_core.datasets import DATASETS
from entsoe_core.errors import InvalidRequest
from entsoe_core.progress import ChunkStatus
from entsoe_core.scopes import ALL_AREAS, ALL_BORDERS
from entsoe_core.services.coverage_grid import months_of
from entsoe_core.services.reads import READ_MAX_YEARS
from entsoe_core.services.requests import BackfillRequest

__all__ = ["ROUTES"]

GRID_MAX_YEARS = 10
"""A grid is one cell per area and month: ten years of every area is already some 8,000."""

OptionalAreas = Annotated[
    list[Name] | None,
    QueryParameter(
        description="Area(s); repeat or comma-separate; all, all-borders. Default: all, or "
        "all-borders for border datasets."
    ),
]


def _areas(area: list[str] | None, datasets: list[str]) -> list[str]:
    """The areas named, or every area (every border, for border datasets) when none is."""
    if area:
        return split_names(area)
    borders = all(DATASETS.get(key).is_border for key in datasets)
    return [ALL_BORDERS if borders else ALL_AREAS]


@get(
    "/coverage/grid",
    summary="Coverage grid: areas x months",
    description="For each dataset x area, one cell per UTC calendar month, in the state that "
    "most needs attention among those present (missing, holes, provisional, no_data, covered; "
    "outside where the area did not exist or nothing can be published yet), with the share of "
    "each state. By default every area (or border) of the dataset over the last twelve months, "
    f"the current one included; at most {GRID_MAX_YEARS} years.",
    responses=problem_responses(422, 503),
    tags=["dashboard"],
)
async def coverage_grid(
    runtime: NamedDependency[Runtime],
    dataset: Annotated[list[Name], QueryParameter(description="Dataset key(s).")],
    area: OptionalAreas = None,
    start: OptionalInstant = None,
    end: OptionalInstant = None,
) -> CoverageGridBody:
    grid = runtime.application.coverage_grid
    default = grid.default_period()
    datasets = split_names(dataset)
    request = BackfillRequest.parse(
        _areas(area, datasets),
        datasets,
        parse_instant(start, "start") if start else default.start,
        parse_instant(end, "end") if end else default.end,
        max_years=GRID_MAX_YEARS,
    )
    rows = await grid.grid(request)
    return CoverageGridBody.of(request.period, months_of(request.period), rows)


@get(
    "/freshness",
    summary="Freshness",
    description="For each dataset x area: the newest stored instant, the publication horizon "
    "(now plus the dataset's), the lag between them, and whether that is fresh (no older than "
    "answers take to settle), behind, or empty (nothing stored). Every area of the dataset "
    "by default.",
    responses=problem_responses(422, 503),
    tags=["dashboard"],
)
async def freshness(
    runtime: NamedDependency[Runtime],
    dataset: Annotated[list[Name], QueryParameter(description="Dataset key(s).")],
    area: OptionalAreas = None,
) -> list[FreshnessBody]:
    app = runtime.application
    datasets = split_names(dataset)
    request = app.reads.request(_areas(area, datasets), datasets)
    return [FreshnessBody.of(found) for found in await app.freshness_view.freshness(request)]


@get(
    "/chunks",
    summary="Chunks of a dataset and area",
    description="Every chunk of any job that fetches the dataset for the area within "
    "[start, end), newest job first: a cell of the coverage grid, and what fetched it.",
    responses=problem_responses(422, 503),
    tags=["dashboard"],
)
async def chunks(
    runtime: NamedDependency[Runtime],
    dataset: Annotated[Name, QueryParameter(description="Dataset key.")],
    area: Annotated[Name, QueryParameter(description="EIC code or alias; FROM>TO for borders.")],
    start: Annotated[str, QueryParameter(description="ISO 8601 date or date-time.", max_length=64)],
    end: Annotated[str, QueryParameter(description="ISO 8601 date or date-time.", max_length=64)],
) -> list[ChunkBody]:
    request = BackfillRequest.parse(
        [area],
        [dataset],
        parse_instant(start, "start"),
        parse_instant(end, "end"),
        max_years=READ_MAX_YEARS,
    )
    targets = request.targets()
    if len(targets) != 1:
        raise InvalidRequest(
            f"chunks are looked up for one dataset and one area; {area!r} names "
            f"{len(targets)} areas: name one area, not a scope"
        )
    (key, area_key) = targets[0]
    found = await runtime.application.chunks.touching(key, area_key, request.period)
    return [ChunkBody.of(chunk) for chunk in found]


@get(
    "/backfills/{job_id:str}/chunks",
    summary="Chunks of a job",
    description="The job's chunks in plan order with their last error; `status` (repeatable) "
    "keeps only those states, e.g. `status=failed`.",
    responses=problem_responses(404, 422, 503),
    tags=["backfills"],
)
async def job_chunks(
    job_id: JobId,
    runtime: NamedDependency[Runtime],
    status: Annotated[
        list[ChunkStatusName] | None, QueryParameter(description="Only chunks in these states.")
    ] = None,
) -> list[ChunkBody]:
    statuses = [ChunkStatus(s) for s in status] if status else None
    found = await runtime.application.chunks.of_job(job_id, statuses)
    return [ChunkBody.of(chunk) for chunk in found]


@get(
    "/budget",
    summary="The request budget",
    description="The most requests that reach the API in any 60 seconds, shared by every "
    "process on this database (ENTSOE_RATE_LIMIT_PER_MINUTE), and how many of them may go at "
    "once (ENTSOE_RATE_LIMIT_BURST).",
    tags=["dashboard"],
)
async def budget(runtime: NamedDependency[Runtime]) -> BudgetBody:
    tuning = runtime.application.settings.backfill
    return BudgetBody(tuning.rate_limit_per_minute, tuning.rate_limit_burst)


ROUTES = [coverage_grid, freshness, chunks, job_chunks, budget]
