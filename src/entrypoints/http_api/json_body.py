"""The checks a JSON request body passes before Litestar decodes it.

Litestar first decodes a body without a type, and catches only ``msgspec.DecodeError``: bytes
that are not UTF-8 inside a string raise ``UnicodeDecodeError`` and deep nesting raises
``RecursionError``, both of which would be a 500. This hook runs before that decoding, on the
body the server has already capped in size, and turns each into a problem that says what is
wrong: 415 for a body that is not JSON by its Content-Type, 422 for one that is not UTF-8, not
JSON, or nested deeper than any request of ours.
"""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import HTTPException

from entsoe_core.errors import InvalidRequest

__all__ = ["MAX_BODY_BYTES", "MAX_DEPTH", "check_json_body"]

# A backfill names at most 200 areas and 200 datasets of 200 characters each: some 100 KB,
# nested two levels deep.
MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 16


def _is_json(media_type: str) -> bool:
    kind, _, subtype = media_type.lower().partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


async def check_json_body(request: Request[Any, Any, Any]) -> None:
    """Refuse a body that is not JSON, not UTF-8, or nested beyond what can be decoded."""
    media_type, options = request.content_type
    charset = options.get("charset", "utf-8").lower()
    if not _is_json(media_type) or charset not in ("utf-8", "utf8"):
        given = request.headers.get("Content-Type") or "no Content-Type"
        raise HTTPException(
            status_code=HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            detail=f"the body must be JSON in UTF-8 (Content-Type: application/json), "
            f"got {given[:100]!r}",
        )
    body = await request.body()
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidRequest(
            f"the body is not UTF-8: byte 0x{body[error.start]:02x} at offset {error.start}; "
            "send JSON encoded as UTF-8"
        ) from None
    try:
        value = msgspec.json.decode(body)
    except msgspec.DecodeError as error:
        raise InvalidRequest(f"the body is not valid JSON: {error}") from None
    except RecursionError:
        # msgspec's own guard against deep nesting: the body is refused, nothing else failed.
        raise _too_deep("deeper than can be decoded") from None
    # Litestar decodes the body again, a few frames deeper: what passes here must be shallow
    # enough that no decoding of it comes near the recursion limit.
    depth = _depth(value)
    if depth > MAX_DEPTH:
        raise _too_deep(f"{depth} levels deep")


def _too_deep(how: str) -> InvalidRequest:
    return InvalidRequest(
        f"the JSON body is nested {how}; at most {MAX_DEPTH} levels are accepted (a backfill "
        "is one object of lists of names and dates)"
    )


def _depth(value: object) -> int:
    """How deeply arrays and objects nest in a decoded JSON value (a scalar is 0)."""
    deepest = 0
    pending: list[tuple[object, int]] = [(value, 0)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict):
            children: Iterable[object] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level + 1)
        pending.extend((child, level + 1) for child in children)
    return deepest
