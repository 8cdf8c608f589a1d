"""The export route: every stored observation of a dataset and area in [start, end), streamed
as CSV, JSONL or Parquet, without the page cap of /observations."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, tzinfo
from typing import Annotated, Final, Literal

from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Stream

from entrypoints.export_files import TextPages, target_stem
from entrypoints.http_api.data import PAGE_MEDIA_TYPES, End, OneArea, OneDataset, Start
from entrypoints.http_api.problems import problem_responses
from entrypoints.http_api.runtime import Runtime
from entrypoints.http_api.zone import TzParameter, request_zone
from entrypoints.inputs import parse_instant
from entrypoints.parquet_rows import ParquetStream, require_pyarrow
from entsoe_core.errors import InvalidRequest
from entsoe_core.services.reads import ReadService
from entsoe_core.services.requests import BackfillRequest

__all__ = ["PAGE", "ROUTES"]

PAGE: Final = 50_000
"""Observations read (and, for Parquet, written as one row group) at a time."""

StreamFormat = Literal["csv", "jsonl", "parquet"]


@get(
    "/export",
    summary="Export observations",
    description="Every stored observation of one dataset and area in [start, end), ordered by "
    "timestamp then series, streamed as it is read (no page cap): CSV or JSONL rows in the "
    "shape of `entsoe export`, or one Parquet file with a row group per 50,000 rows. "
    "Timestamps are in UTC, or in the zone `tz` names (CSV and JSONL then carry a `tz` "
    "column; Parquet's timestamp column has the zone in its type). The input is checked "
    "before the first byte is sent; an error while streaming ends the response early.",
    responses=problem_responses(422, 503),
    tags=["data"],
)
async def export(
    runtime: NamedDependency[Runtime],
    area: OneArea,
    dataset: OneDataset,
    start: Start,
    end: End,
    output: Annotated[
        StreamFormat,
        QueryParameter(name="format", description="csv, jsonl or parquet."),
    ] = "jsonl",
    tz: TzParameter = None,
) -> Stream:
    reads = runtime.application.reads
    zone = request_zone(tz, runtime)
    request = reads.request(
        [area], [dataset], parse_instant(start, "start", zone), parse_instant(end, "end", zone)
    )
    if len(request.targets()) != 1:
        raise InvalidRequest(
            f"an export is of one dataset and one area; {area!r} names "
            f"{len(request.targets())}: name one area, not a scope"
        )
    if output == "parquet":
        require_pyarrow()
    ((target_dataset, target_area),) = request.targets()
    name = f"{target_stem(target_dataset, target_area)}.{output}"
    return Stream(
        _body(reads, request, output, zone or UTC),
        media_type=PAGE_MEDIA_TYPES[output],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def _body(
    reads: ReadService, request: BackfillRequest, output: StreamFormat, zone: tzinfo
) -> AsyncIterator[bytes]:
    if output == "parquet":
        parquet = ParquetStream(zone)
        async for columns in reads.column_pages(request, page_size=PAGE):
            yield parquet.write(columns)
        yield parquet.close()
        return
    text = io.StringIO()
    rows = TextPages(text, output, zone)
    async for page in reads.pages(request, page_size=PAGE):
        rows.write(page)
        yield text.getvalue().encode()
        text.seek(0)
        text.truncate()


ROUTES = [export]
