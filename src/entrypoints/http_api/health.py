"""``GET /health``: can this server serve, and can it fetch."""

from __future__ import annotations

from typing import Literal

from litestar import get
from litestar.di import NamedDependency

from entrypoints.http_api.bodies import HealthBody
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
    "since when; backfills wait for it); reading routes work either way.",
    responses=problem_responses(503),
    tags=["health"],
)
async def health(runtime: NamedDependency[Runtime]) -> HealthBody:
    async with runtime.application.uow(reading=True):
        pass  # opening a transaction is the check: it reaches the database and its schema
    problem = runtime.source_problem
    outage = await runtime.application.reports.outage()
    source: Literal["ready", "not configured", "unavailable"] = "ready"
    if problem:
        source = "not configured"
    elif outage is not None:
        source, problem = "unavailable", describe_outage(outage)
    return HealthBody(
        status="ok",
        version=__version__,
        database="ok",
        source=source,
        source_detail=problem,
        running_jobs=len(runtime.runs),
        source_outage=SourceOutageBody.of(outage),
    )


ROUTES = [health]
