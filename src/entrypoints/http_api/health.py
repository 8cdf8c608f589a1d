"""``GET /health``: can this server serve, can it fetch, and is the data kept fresh."""

from __future__ import annotations

from typing import Literal

from litestar import Response, get
from litestar.di import NamedDependency

from entrypoints.http_api.bodies import HealthBody, OverdueBody
from entrypoints.http_api.problems import problem_responses
from entrypoints.http_api.runtime import Runtime
from entrypoints.wire import SourceOutageBody
from entsoe_core import __version__
from entsoe_core.services.outage import describe_outage

__all__ = ["ROUTES"]


@get(
    "/health",
    summary="Health",
    description="200 when the database answers (503 otherwise). `source` says whether backfills "
    "can be started, and `unavailable` while the ENTSO-E source is down (`source_outage` says "
    "since when; backfills wait for it); reading routes work either way. `last_fetch`, "
    "`banned_until` and `overdue` (the dataset whose scheduled round is latest) tell whether "
    "the configured scope is kept fresh: 503 with `status` `behind` when a round is later "
    "than ENTSOE_SCHEDULE_MARGIN_SECONDS.",
    responses=problem_responses(503),
    tags=["health"],
)
async def health(runtime: NamedDependency[Runtime]) -> Response[HealthBody]:
    app = runtime.application
    async with app.uow(reading=True):
        pass  # opening a transaction is the check: it reaches the database and its schema
    problem = runtime.source_problem
    outage = await app.reports.outage()
    source: Literal["ready", "not configured", "unavailable"] = "ready"
    if problem:
        source = "not configured"
    elif outage is not None:
        source, problem = "unavailable", describe_outage(outage)
    overdue = await app.scheduler.overdue() if app.gap_fill.configured else []
    behind = bool(overdue) and overdue[0].late > app.scheduler.policy.margin
    body = HealthBody(
        status="behind" if behind else "ok",
        version=__version__,
        database="ok",
        source=source,
        source_detail=problem,
        running_jobs=len(runtime.runs),
        source_outage=SourceOutageBody.of(outage),
        last_fetch=await app.freshness.last_fetch(),
        banned_until=await app.limiter.ban_in_force(),
        overdue=OverdueBody(overdue[0].dataset, overdue[0].due_at, overdue[0].late.total_seconds())
        if overdue
        else None,
    )
    return Response(body, status_code=503 if behind else 200)


ROUTES = [health]
