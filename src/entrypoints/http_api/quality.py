"""The quality route: per stored series, points expected and stored, and its holes."""

from __future__ import annotations

import io
from typing import Annotated, Any, Literal

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from entrypoints.http_api.data import CSV_MEDIA_TYPE, Name, OptionalInstant
from entrypoints.http_api.problems import problem_responses
from entrypoints.http_api.runtime import Runtime
from entrypoints.http_api.zone import TzParameter, request_zone
from entrypoints.inputs import parse_instant, split_names
from entrypoints.wire import QualityBody, quality_csv

__all__ = ["ROUTES"]


@get(
    "/quality",
    summary="Quality of the stored series",
    description="For each stored series of dataset x area within [start, end): the points its "
    "resolution calls for, the points stored, its holes (the first ten and a count, with how "
    "many were accepted as published that way), the last fetch and the highest revision. By "
    "default from ENTSOE_HISTORY_YEARS before today to tomorrow (UTC). CSV gives the same "
    "fields as columns.",
    responses=problem_responses(422, 503),
    tags=["data"],
)
async def quality(
    runtime: NamedDependency[Runtime],
    area: Annotated[
        list[Name],
        QueryParameter(description="Area(s); repeat or comma-separate; all, all-borders."),
    ],
    dataset: Annotated[list[Name], QueryParameter(description="Dataset key(s).")],
    start: OptionalInstant = None,
    end: OptionalInstant = None,
    output: Annotated[
        Literal["json", "csv"], QueryParameter(name="format", description="json or csv.")
    ] = "json",
    tz: TzParameter = None,
) -> Response[list[QualityBody]]:
    app = runtime.application
    zone = request_zone(tz, runtime)
    request = app.reads.request(
        split_names(area),
        split_names(dataset),
        parse_instant(start, "start", zone) if start else None,
        parse_instant(end, "end", zone) if end else None,
    )
    bodies = [QualityBody.of(one) for one in await app.quality.report(request)]
    if output == "csv":
        out = io.StringIO()
        quality_csv(out, bodies)
        # Typed as the JSON list so that the document shows it; CSV is added in app._document.
        text: Response[Any] = Response(out.getvalue(), media_type=CSV_MEDIA_TYPE)
        return text
    return Response(bodies)


ROUTES = [quality]
