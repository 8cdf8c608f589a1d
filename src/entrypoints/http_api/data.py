"""Routes that read what is stored: coverage, and observations page by page."""

from __future__ import annotations

import io
from datetime import UTC, tzinfo
from typing import Annotated, Any, Literal

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import QueryParameter

from entrypoints.export_files import TextPages
from entrypoints.http_api.cursor import decode_cursor, encode_cursor
from entrypoints.http_api.problems import problem_responses
from entrypoints.http_api.runtime import Runtime
from entrypoints.http_api.shaped import shaped_observations
from entrypoints.http_api.zone import TzParameter, request_zone
from entrypoints.inputs import parse_instant, split_names
from entrypoints.parquet_rows import ParquetStream, require_pyarrow
from entrypoints.wire import CoverageBody, ObservationsPage
from entsoe_core.columns import ObservationColumns
from entsoe_core.observations import Observation
from entsoe_core.resolution_rules import NATIVE, RESOLUTION_RULES, ResolutionRule
from entsoe_core.services.requests import BackfillRequest

__all__ = ["CSV_MEDIA_TYPE", "MAX_LIMIT", "NEXT_CURSOR_HEADER", "PAGE_MEDIA_TYPES", "ROUTES"]

MAX_LIMIT = 10_000
NEXT_CURSOR_HEADER = "X-Next-Cursor"
CSV_MEDIA_TYPE = "text/csv"
PAGE_MEDIA_TYPES = {
    "csv": CSV_MEDIA_TYPE,
    "jsonl": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
}

_INSTANT_DESCRIPTION = (
    "ISO 8601 date (midnight in tz, UTC by default) or date-time with a UTC offset (without "
    "one only with tz)."
)
OptionalInstant = Annotated[
    str | None, QueryParameter(description=_INSTANT_DESCRIPTION, max_length=64)
]
Name = Annotated[str, QueryParameter(min_length=1, max_length=200)]
OneArea = Annotated[
    str,
    QueryParameter(
        description="EIC code or alias; FROM>TO for borders.",
        min_length=1,
        max_length=200,
        examples=[Example(value="NL")],
    ),
]
OneDataset = Annotated[
    str,
    QueryParameter(
        description="Dataset key.",
        min_length=1,
        max_length=200,
        examples=[Example(value="actual_total_load")],
    ),
]
Start = Annotated[
    str,
    QueryParameter(
        description=_INSTANT_DESCRIPTION, max_length=64, examples=[Example(value="2024-01-01")]
    ),
]
End = Annotated[
    str,
    QueryParameter(
        description=_INSTANT_DESCRIPTION + " Excluded.",
        max_length=64,
        examples=[Example(value="2024-01-03")],
    ),
]


@get(
    "/coverage",
    summary="Coverage and gaps",
    description="For each dataset x area: what is covered, where the source answered "
    '"no data", and what is missing within [start, end). By default from '
    "ENTSOE_HISTORY_YEARS before today to tomorrow (UTC).",
    responses=problem_responses(422, 503),
    tags=["data"],
)
async def coverage(
    runtime: NamedDependency[Runtime],
    area: Annotated[
        list[Name],
        QueryParameter(description="Area(s); repeat or comma-separate; all, all-borders."),
    ],
    dataset: Annotated[list[Name], QueryParameter(description="Dataset key(s).")],
    start: OptionalInstant = None,
    end: OptionalInstant = None,
    tz: TzParameter = None,
) -> list[CoverageBody]:
    reads = runtime.application.reads
    zone = request_zone(tz, runtime)
    request = reads.request(
        split_names(area),
        split_names(dataset),
        parse_instant(start, "start", zone) if start else None,
        parse_instant(end, "end", zone) if end else None,
    )
    return [CoverageBody.of(report) for report in await reads.coverage(request)]


@get(
    "/observations",
    summary="Read observations",
    description="Stored observations of one dataset and area in [start, end), ordered by "
    "timestamp then series, one page at a time. JSON gives items and next_cursor; CSV gives "
    "the same columns (timestamp, value, unit, dataset, area, names and key fields) and "
    "the next cursor in the X-Next-Cursor header. Pass the "
    "cursor back to get the next page; there is none after the last page.",
    responses=problem_responses(422, 503),
    tags=["data"],
)
async def observations(
    runtime: NamedDependency[Runtime],
    area: OneArea,
    dataset: OneDataset,
    start: Start,
    end: End,
    output: Annotated[
        Literal["json", "csv", "jsonl", "parquet"],
        QueryParameter(
            name="format",
            description="json, csv, jsonl or parquet (a page as one Parquet file).",
            examples=[Example(value="csv")],
        ),
    ] = "json",
    limit: Annotated[
        int, QueryParameter(ge=1, le=MAX_LIMIT, description="Observations per page.")
    ] = 1000,
    cursor: Annotated[
        str | None, QueryParameter(max_length=4096, description="next_cursor of the previous page.")
    ] = None,
    resolution: Annotated[
        str,
        QueryParameter(
            max_length=32,
            description=f"Series of several resolutions: {RESOLUTION_RULES}. Any but native "
            "answers the whole period at once (no cursor, at most 10,000 rows).",
            examples=[Example(value="PT60M:mean")],
        ),
    ] = "native",
    wide: Annotated[
        bool,
        QueryParameter(
            description="One row per instant, one field per series named as entsoe-py names "
            "its columns; the whole period at once (no cursor, at most 10,000 rows)."
        ),
    ] = False,
    tz: TzParameter = None,
) -> Response[ObservationsPage]:
    reads = runtime.application.reads
    zone = request_zone(tz, runtime)
    request = reads.request(
        [area], [dataset], parse_instant(start, "start", zone), parse_instant(end, "end", zone)
    )
    rule = ResolutionRule.parse(resolution)
    if wide or rule != NATIVE:
        shaped = await shaped_observations(
            runtime, request, rule, wide=wide, output=output, cursor=cursor, zone=zone or UTC
        )
        return shaped
    if output == "parquet":
        require_pyarrow()
    page = await reads.observations(
        request, after=decode_cursor(cursor) if cursor else None, limit=limit
    )
    next_cursor = encode_cursor(page.observations[-1]) if page.more else None
    headers = {NEXT_CURSOR_HEADER: next_cursor} if next_cursor else {}
    if output == "json":
        return Response(
            ObservationsPage.of(page.observations, next_cursor, zone or UTC), headers=headers
        )
    # Typed as the JSON page so that the document shows it; the others are added in
    # app._document.
    other: Response[Any] = Response(
        _page_body(request, page.observations, output, zone or UTC),
        media_type=PAGE_MEDIA_TYPES[output],
        headers=headers,
    )
    return other


def _page_body(
    request: BackfillRequest, observations: tuple[Observation, ...], output: str, zone: tzinfo
) -> bytes:
    if output == "parquet":
        ((dataset, area),) = request.targets()
        parquet = ParquetStream(zone)
        page = ObservationColumns.of_observations(dataset, area, observations)
        return parquet.write(page) + parquet.close()
    out = io.StringIO()
    TextPages(out, output, zone).write(observations)
    return out.getvalue().encode()


ROUTES = [coverage, observations]
