"""Routes of backfill jobs: start, list, show, resume, cancel.

Each handler parses its input, calls one service, and renders the report. Jobs started or
resumed here run in this server's process, in the background (see :mod:`.runs`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Request, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, PathParameter, QueryParameter

from entrypoints.http_api.auth import SECURITY, require_token
from entrypoints.http_api.bodies import BackfillBody
from entrypoints.http_api.json_body import check_json_body
from entrypoints.http_api.problems import problem_responses
from entrypoints.http_api.runtime import Runtime
from entrypoints.http_api.zone import request_zone
from entrypoints.inputs import parse_instant
from entrypoints.wire import JobBody, PlanBody
from entsoe_core.errors import NothingToFetch
from entsoe_core.plan import ChunkSpan
from entsoe_core.progress import JobStatus
from entsoe_core.services.reports import JOBS_LISTED
from entsoe_core.services.requests import BackfillRequest, JobReport

__all__ = ["MAX_JOBS_LISTED", "ROUTES", "TOTAL_COUNT_HEADER"]

MAX_JOBS_LISTED = 10_000
TOTAL_COUNT_HEADER = "X-Total-Count"

StatusName = Literal["pending", "in_progress", "completed", "failed", "cancelled"]
JobId = Annotated[str, PathParameter(description="The job id, as POST /backfills answered it.")]

_LOCATION = [
    ResponseHeader(name="Location", description="The address of the job.", documentation_only=True)
]
_MUTATING: dict[str, Any] = {
    "guards": [require_token],
    "security": SECURITY,
    "tags": ["backfills"],
}


def _accepted(request: Request[Any, Any, Any], report: JobReport) -> Response[JobBody]:
    location = request.url_for("get_backfill", job_id=report.job.id)
    return Response(JobBody.of(report), status_code=202, headers={"Location": location})


@post(
    "/backfills",
    status_code=202,
    summary="Start a backfill",
    description="Plans and persists a job for areas x datasets over [start, end) and runs it "
    "in the background. Answers 202 with the job and its address in Location. Areas may be "
    "`all` (every area each dataset takes that existed in the period) or `all-borders`. With "
    "`dry_run=true` nothing is written or started: 200 with the plan (chunks by dataset and "
    "area, requests, the time the request budget needs), the body of `entsoe plan --json`.",
    responses={
        200: ResponseSpec(PlanBody, description="dry_run=true: the plan; nothing written."),
        **problem_responses(401, 403, 413, 415, 422, 503),
    },
    response_headers=_LOCATION,
    before_request=check_json_body,
    **_MUTATING,
)
async def start_backfill(
    request: Request[Any, Any, Any],
    data: JSONBody[BackfillBody],
    runtime: NamedDependency[Runtime],
    dry_run: Annotated[
        bool, QueryParameter(description="Only show the plan; write and start nothing.")
    ] = False,
) -> Response[JobBody]:
    app = runtime.application
    tuning = app.settings.backfill
    zone = request_zone(data.tz, runtime)
    backfill_request = BackfillRequest.parse(
        data.areas,
        data.datasets,
        parse_instant(data.start, "start", zone),
        parse_instant(data.end, "end", zone),
        span=ChunkSpan(data.span) if data.span else tuning.chunk_span,
        max_years=tuning.history_years,
    )
    if dry_run:
        summary = await app.backfill.preview(backfill_request, rate=tuning.request_budget)
        # Typed as the job so that the 202 documents it; the 200 is documented above.
        plan: Response[Any] = Response(PlanBody.of(summary), status_code=200)
        return plan
    runtime.require_source()
    try:
        job = await app.backfill.create(backfill_request)
    except NothingToFetch:
        # Nothing to do, so no job: the plan says why (every pair complete, no chunk).
        summary = await app.backfill.preview(backfill_request, rate=tuning.request_budget)
        nothing: Response[Any] = Response(PlanBody.of(summary), status_code=200)
        return nothing
    runtime.runs.start(job.id)
    return _accepted(request, await app.reports.status(job.id))


@get(
    "/backfills",
    summary="List jobs",
    description=f"The newest jobs first, {JOBS_LISTED} unless `limit` says otherwise; `status` "
    f"(repeatable) keeps only those states. The {TOTAL_COUNT_HEADER} header counts them all.",
    responses=problem_responses(422, 503),
    response_headers=[
        ResponseHeader(
            name=TOTAL_COUNT_HEADER,
            description="How many jobs there are in those states, listed or not.",
            documentation_only=True,
        )
    ],
    tags=["backfills"],
)
async def list_backfills(
    runtime: NamedDependency[Runtime],
    status: Annotated[
        list[StatusName] | None, QueryParameter(description="Only jobs in these states.")
    ] = None,
    limit: Annotated[
        int, QueryParameter(ge=1, le=MAX_JOBS_LISTED, description="How many of the newest jobs.")
    ] = JOBS_LISTED,
) -> Response[list[JobBody]]:
    statuses = [JobStatus(s) for s in status] if status else None
    listing = await runtime.application.reports.listing(statuses, limit)
    return Response(
        [JobBody.of(r) for r in listing.jobs],
        headers={TOTAL_COUNT_HEADER: str(listing.total)},
    )


@get(
    "/backfills/{job_id:str}",
    name="get_backfill",
    summary="Show a job",
    responses=problem_responses(404, 422, 503),
    tags=["backfills"],
)
async def get_backfill(job_id: JobId, runtime: NamedDependency[Runtime]) -> JobBody:
    return JobBody.of(await runtime.application.reports.status(job_id))


@post(
    "/backfills/{job_id:str}/resume",
    status_code=202,
    summary="Resume a job",
    description="Runs every chunk that is not done, failed ones included, in the background "
    "(202). A completed job has nothing left to run: 200, and nothing starts. A cancelled job "
    "cannot be resumed (409).",
    responses={
        200: ResponseSpec(JobBody, description="The job was completed already; nothing to run."),
        **problem_responses(401, 403, 404, 409, 422, 503),
    },
    response_headers=_LOCATION,
    **_MUTATING,
)
async def resume_backfill(
    request: Request[Any, Any, Any], job_id: JobId, runtime: NamedDependency[Runtime]
) -> Response[JobBody]:
    runtime.require_source()
    report = await runtime.application.backfill.activate(job_id)
    if report.job.status is JobStatus.COMPLETED:
        return Response(JobBody.of(report), status_code=200)
    runtime.runs.start(job_id)
    return _accepted(request, report)


@post(
    "/backfills/{job_id:str}/cancel",
    status_code=200,
    summary="Cancel a job",
    description="Its waiting chunks are cancelled; chunks in flight finish and keep their "
    "data. A completed or cancelled job cannot be cancelled (409).",
    responses=problem_responses(401, 403, 404, 409, 422, 503),
    **_MUTATING,
)
async def cancel_backfill(job_id: JobId, runtime: NamedDependency[Runtime]) -> JobBody:
    return JobBody.of(await runtime.application.backfill.cancel(job_id))


ROUTES = [start_backfill, list_backfills, get_backfill, resume_backfill, cancel_backfill]
