"""The HTTP API as a Litestar application: routes, auth, problem details, OpenAPI, lifespan.

The lifespan enters the same composition root as the CLI for the server's lifetime. With an
ENTSO-E token and a usable ``ENTSOE_API_URL`` it builds the market data source; without one the
server still starts (reading routes work), and starting or resuming a backfill answers 503
with the reason. On the way out it cancels the background runs, which hands their chunks in
flight back, before the database engine goes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPIHeader,
    OpenAPIMediaType,
    Schema,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIType

from entrypoints.bootstrap import application
from entrypoints.http_api import (
    areas,
    backfills,
    dashboard,
    data,
    datasets,
    export,
    health,
    metrics,
    overview,
    quality,
)
from entrypoints.http_api.auth import SECURITY_SCHEME, BearerAuth
from entrypoints.http_api.json_body import MAX_BODY_BYTES
from entrypoints.http_api.problems import handle
from entrypoints.http_api.runs import BackgroundRuns
from entrypoints.http_api.runtime import Runtime, runtime
from entrypoints.operations import keep_fresh
from entrypoints.settings import Settings
from entsoe_core import __version__
from entsoe_core.errors import ConfigurationError

__all__ = ["create_app"]

_NO_TOKEN = "no ENTSO-E API token (set ENTSOE_API_TOKEN)"  # noqa: S105 - a message


def create_app(settings: Settings) -> Litestar:
    """The ASGI application for ``settings``; nothing is opened until its lifespan starts."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            problem = None if settings.api_token else _NO_TOKEN
            if problem is None:
                try:
                    opened = await stack.enter_async_context(
                        application(fetching=True, settings=settings)
                    )
                except ConfigurationError as error:
                    problem = str(error)
            if problem is not None:
                opened = await stack.enter_async_context(application(settings=settings))
            runs = BackgroundRuns(opened.backfill)
            app.state.runtime = Runtime(opened, runs, problem)
            fresh = None
            if settings.serve_scheduler and problem is None:
                # ENTSOE_SERVE_SCHEDULER: this server keeps the scope fresh too, as `entsoe run`.
                opened.gap_fill.targets(opened.clock.now())
                fresh = asyncio.create_task(keep_fresh(opened), name="keep-fresh")
            try:
                yield
            finally:
                if fresh is not None:
                    fresh.cancel()
                    await asyncio.gather(fresh, return_exceptions=True)
                await runs.stop()

    auth = BearerAuth(
        settings.http_token, allow_unauthenticated=settings.http_allow_unauthenticated
    )
    app = Litestar(
        route_handlers=[
            *backfills.ROUTES,
            *data.ROUTES,
            *export.ROUTES,
            *datasets.ROUTES,
            *areas.ROUTES,
            *quality.ROUTES,
            *health.ROUTES,
            *metrics.ROUTES,
            *overview.ROUTES,
            *dashboard.ROUTES,
        ],
        dependencies={"runtime": Provide(runtime, sync_to_thread=False)},
        exception_handlers={Exception: handle},
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="entsoe-backfill",
            version=__version__,
            description="Start and watch backfills of ENTSO-E Transparency Platform data, and "
            "read what is stored. Routes that change something need a bearer token.",
            path="/schema",
            render_plugins=[
                JsonRenderPlugin(path=["/", "/openapi.json"]),
                YamlRenderPlugin(),
            ],
            components=Components(
                security_schemes={
                    SECURITY_SCHEME: SecurityScheme(
                        type="http", scheme="bearer", description="ENTSOE_HTTP_TOKEN"
                    )
                }
            ),
        ),
        state=State({"auth": auth}),
        request_max_body_size=MAX_BODY_BYTES,
        debug=False,
    )
    _document(app)
    return app


def _document(app: Litestar) -> None:
    """Amend the generated document where it cannot say what the routes do.

    Litestar documents its own 400 validation answer on every route with parameters; ours
    answer 422 problem details instead (documented per route). And /observations answers
    CSV as well as JSON, with the next cursor in a header; /quality answers CSV too.
    """
    schema = app.openapi_schema
    for item in (schema.paths or {}).values():
        for operation in (item.get, item.post):
            if operation is not None and operation.responses:
                operation.responses.pop("400", None)
    page = schema.paths["/observations"].get if schema.paths else None
    if page is None or page.responses is None:
        raise RuntimeError("the /observations route is missing from the OpenAPI document")
    ok: Any = page.responses["200"]
    ok.content = {
        **(ok.content or {}),
        **{
            media_type: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))
            for media_type in data.PAGE_MEDIA_TYPES.values()
        },
    }
    ok.headers = {
        data.NEXT_CURSOR_HEADER: OpenAPIHeader(
            schema=Schema(type=OpenAPIType.STRING),
            description="The cursor of the next page; absent on the last page.",
            required=False,
        )
    }
    report = schema.paths["/quality"].get if schema.paths else None
    if report is None or report.responses is None:
        raise RuntimeError("the /quality route is missing from the OpenAPI document")
    report_ok: Any = report.responses["200"]
    report_ok.content = {
        **(report_ok.content or {}),
        data.CSV_MEDIA_TYPE: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)),
    }
