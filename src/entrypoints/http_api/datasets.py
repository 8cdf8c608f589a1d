"""``GET /datasets``: the catalogue, with the request limits the source has taught."""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency

from entrypoints.http_api.problems import problem_responses
from entrypoints.http_api.runtime import Runtime
from entrypoints.wire import DatasetBody

__all__ = ["ROUTES"]


@get(
    "/datasets",
    summary="List datasets",
    description="Every dataset that can be fetched, in catalogue order, with its request "
    "limits: the catalogue's, the one learned from the source's refusals (null until one is) "
    "and the effective one every plan cuts chunks by. The same bodies as "
    "`entsoe datasets --json`.",
    responses=problem_responses(503),
    tags=["datasets"],
)
async def list_datasets(runtime: NamedDependency[Runtime]) -> list[DatasetBody]:
    return [DatasetBody.of(report) for report in await runtime.application.datasets.datasets()]


ROUTES = [list_datasets]
