"""``GET /health``: can this server serve, and can it fetch."""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency

from entrypoints.http_api.bodies import HealthBody
from entrypoints.http_api.problems import problem_responses
from entrypoints.http_api.runtime import Runtime
from entsoe_core import __version__

__all__ = ["ROUTES"]


@get(
    "/health",
    summary="Health",
    description="200 when the database answers (503 otherwise). `source` says whether backfills "
    "can be started; reading routes work either way.",
    responses=problem_responses(503),
    tags=["health"],
)
async def health(runtime: NamedDependency[Runtime]) -> HealthBody:
    async with runtime.application.uow(reading=True):
        pass  # opening a transaction is the check: it reaches the database and its schema
    problem = runtime.source_problem
    return HealthBody(
        status="ok",
        version=__version__,
        database="ok",
        source="not configured" if problem else "ready",
        source_detail=problem,
        running_jobs=len(runtime.runs),
    )


ROUTES = [health]
