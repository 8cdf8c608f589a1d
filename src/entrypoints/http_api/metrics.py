"""``GET /metrics``: the Prometheus metrics of this server, gauges read from the database."""

from __future__ import annotations

from litestar import Response, get
from litestar.di import NamedDependency

from adapters.observability.prometheus import CONTENT_TYPE
from entrypoints.http_api.runtime import Runtime
from entrypoints.operations import refresh_metrics

__all__ = ["ROUTES"]


@get(
    "/metrics",
    summary="Prometheus metrics",
    description="Requests by outcome, bans, retries, chunk durations, points written, jobs by "
    "state, and the freshness lag per configured dataset and area (docs/operations.md).",
    tags=["health"],
    media_type=CONTENT_TYPE,
)
async def metrics(runtime: NamedDependency[Runtime]) -> Response[bytes]:
    return Response(await refresh_metrics(runtime.application), media_type=CONTENT_TYPE)


ROUTES = [metrics]
