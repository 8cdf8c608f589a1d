"""``GET /observations`` with a resolution rule or in the wide shape: the whole period in one
answer, at most :data:`MAX_ROWS` rows, no cursor."""

from __future__ import annotations

import io
import json
from datetime import tzinfo
from typing import Any

from litestar import Response

from entrypoints.http_api.runtime import Runtime
from entrypoints.reshaped import reshaped_read
from entrypoints.wire import row_writer
from entsoe_core.errors import InvalidRequest
from entsoe_core.resolution_rules import ResolutionRule
from entsoe_core.services.requests import BackfillRequest

__all__ = ["MAX_ROWS", "SHAPED_FORMATS", "shaped_observations"]

MAX_ROWS = 10_000
"""The most rows a shaped answer holds; a longer period is refused, not cut."""

SHAPED_FORMATS = {
    "json": "application/json",
    "csv": "text/csv",
    "jsonl": "application/x-ndjson",
}
"""The formats of a shaped answer and their media types (Parquet only for the stored rows)."""


async def shaped_observations(
    runtime: Runtime,
    request: BackfillRequest,
    resolution: ResolutionRule,
    *,
    wide: bool,
    output: str,
    cursor: str | None,
    zone: tzinfo,
) -> Response[Any]:
    """The rows of ``request`` shaped by ``resolution`` and ``wide``, their timestamps in
    ``zone``: JSON ``{"fields", "items", "next_cursor": null}``, CSV with the fields as its
    header, or JSON lines."""
    if cursor:
        raise InvalidRequest(
            "cursor pages the stored rows only; a read with a resolution rule or wide=true "
            "answers the whole period at once: leave the cursor out"
        )
    if output not in SHAPED_FORMATS:
        raise InvalidRequest(
            f"a read with a resolution rule or wide=true answers {', '.join(SHAPED_FORMATS)}, "
            f"not {output}"
        )
    fields, rows = await reshaped_read(
        runtime.application.reads, request, resolution, wide=wide, zone=zone
    )
    if len(rows) > MAX_ROWS:
        raise InvalidRequest(
            f"the period gives {len(rows)} rows in this shape, more than the {MAX_ROWS} one "
            "answer holds: ask for a shorter period"
        )
    if output != "json":
        out = io.StringIO()
        row_writer(out, output, fields)(rows)
        return Response(out.getvalue(), media_type=SHAPED_FORMATS[output])
    body = {"fields": list(fields), "items": list(rows), "next_cursor": None}
    return Response(json.dumps(body), media_type="application/json")
