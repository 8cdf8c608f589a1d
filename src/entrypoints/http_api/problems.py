"""Errors as RFC 9457 problem details (``application/problem+json``).

One table says which error becomes which status. Invalid input is 422 whoever noticed it
(Litestar's parameter validation or the core's catalogues); an unknown job 404; a transition
the state machines forbid, or a job changed by someone else meanwhile, 409. 503 means the
server cannot do it now: the database is unavailable, or no market data source is
configured. A database that is up but has no connection free within the pool's wait is not
unavailable but busy: 503 too, with Retry-After and a detail that says so. 502 is a failure
of the market data source reaching a request; no route waits on the source today (backfills
fetch in the background, where such failures are recorded on the chunk), but should one ever
let it through it is trouble at the gateway, not a 500. Anything else is a 500 with no
detail, logged in full.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import attrs
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from adapters.sqlalchemy.engine import is_pool_exhausted
from entrypoints.http_api.bodies import Problem
from entrypoints.http_api.json_body import MAX_BODY_BYTES
from entsoe_core.errors import (
    IllegalTransition,
    InvalidRequest,
    LeaseLost,
    SourceError,
    StorageError,
    UnknownJob,
)

__all__ = ["PROBLEM_MEDIA_TYPE", "SourceUnavailable", "handle", "problem_responses"]

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
_TYPE = "urn:entsoe-backfill:problem:"


class SourceUnavailable(Exception):
    """The server has no usable market data source, so it cannot fetch."""


@attrs.frozen
class _Kind:
    status: int
    slug: str
    title: str


_VALIDATION = _Kind(422, "invalid-request", "Invalid request")
_KINDS: tuple[tuple[type[BaseException], _Kind], ...] = (
    (InvalidRequest, _VALIDATION),
    (UnknownJob, _Kind(404, "unknown-job", "Unknown job")),
    (IllegalTransition, _Kind(409, "illegal-transition", "Illegal transition")),
    (LeaseLost, _Kind(409, "changed-meanwhile", "Changed meanwhile")),
    (StorageError, _Kind(503, "database-unavailable", "Database unavailable")),
    (SourceUnavailable, _Kind(503, "source-unavailable", "No market data source")),
    (SourceError, _Kind(502, "source-error", "Market data source failed")),
)

_BUSY = _Kind(503, "server-busy", "Server busy")
_BUSY_RETRY_AFTER_SECONDS = 10
_BUSY_DETAIL = (
    "the server is busy: every database connection stayed in use while this request waited "
    f"its turn; nothing was changed. Try again in {_BUSY_RETRY_AFTER_SECONDS} seconds"
)

_DATABASE_DETAIL = (
    "the database is unavailable or refused the operation; nothing was changed. The server "
    "log has the details; try again once the database is back"
)


def _kind(error: BaseException) -> _Kind | None:
    for kind, found in _KINDS:
        if isinstance(error, kind):
            return found
    return None


def _http_kind(error: HTTPException) -> _Kind:
    status = error.status_code
    if status == HTTPStatus.BAD_REQUEST:
        # A body that is not JSON, or a parameter Litestar cannot read, is invalid input too.
        return _VALIDATION
    return _Kind(status, "http", HTTPStatus(status).phrase)


def _field_errors(error: ValidationException) -> list[dict[str, str]] | None:
    if not isinstance(error.extra, list):
        return None
    found = []
    for item in error.extra:
        if isinstance(item, dict):
            found.append({str(k): str(v) for k, v in item.items() if k in ("key", "message")})
    return found or None


def handle(request: Request[Any, Any, Any], error: Exception) -> Response[Problem]:
    """The problem response for any error a handler (or Litestar) raised."""
    kind, detail, headers, errors = _describe(request, error)
    problem = Problem(
        type=_TYPE + kind.slug if kind.slug != "http" else "about:blank",
        title=kind.title,
        status=kind.status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
    )
    return Response(
        problem, status_code=kind.status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def _describe(
    request: Request[Any, Any, Any], error: Exception
) -> tuple[_Kind, str, dict[str, str], list[dict[str, str]] | None]:
    kind = _kind(error)
    if isinstance(error, ValidationException):
        errors = _field_errors(error)
        detail = error.detail or "the request is not valid"
        if errors:
            detail += ": " + "; ".join(f"{e.get('key')}: {e.get('message')}" for e in errors)
        return _VALIDATION, detail, {}, errors
    if isinstance(error, StorageError) and is_pool_exhausted(error):
        log.warning("busy answering %s %s: %s", request.method, request.url.path, error)
        return _BUSY, _BUSY_DETAIL, {"Retry-After": str(_BUSY_RETRY_AFTER_SECONDS)}, None
    if kind is not None and isinstance(error, StorageError):
        log.error("database error answering %s %s: %s", request.method, request.url.path, error)
        return kind, _DATABASE_DETAIL, {}, None
    if kind is not None:
        return kind, str(error), {}, None
    if isinstance(error, HTTPException):
        detail = error.detail
        if error.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
            detail = f"the body is larger than {MAX_BODY_BYTES} bytes, more than any request needs"
        return _http_kind(error), detail, dict(error.headers or {}), None
    log.exception("unexpected error answering %s %s", request.method, request.url.path)
    detail = "the server failed unexpectedly; the server log has the details"
    return _Kind(500, "internal-error", "Internal server error"), detail, {}, None


_DESCRIPTIONS = {
    401: "No bearer token, or the wrong one.",
    403: "Mutating routes are disabled: the server has no ENTSOE_HTTP_TOKEN.",
    404: "No job with this id.",
    409: "The job's state does not allow this (for example cancelling a completed job).",
    413: "The body is larger than any valid request (1 MiB).",
    415: "The body is not JSON (Content-Type: application/json, UTF-8).",
    422: "Invalid input: a parameter, a field, an area, a dataset, a period or a cursor; a "
    "body that is not UTF-8, not JSON, or nested too deeply.",
    503: "The database is unavailable, the server is busy (with Retry-After), or no market "
    "data source is configured.",
}


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problem responses a route may give."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=_DESCRIPTIONS[status],
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
        )
        for status in statuses
    }
