"""Opaque pagination cursors for observation reads.

A cursor is the position of the last observation of a page, (timestamp, series key), as
URL-safe base64 of a JSON list. Clients pass it back unchanged; anything else is refused as
invalid input rather than read from the wrong place.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

import attrs

from entsoe_core.errors import InvalidRequest
from entsoe_core.observations import Observation, SeriesKey
from entsoe_core.ports import ObservationCursor

__all__ = ["decode_cursor", "encode_cursor"]

_KEY_FIELDS = tuple(a.name for a in attrs.fields(SeriesKey))


def encode_cursor(last: Observation) -> str:
    """The cursor that continues after ``last``."""
    fields = [last.timestamp.isoformat(), *(getattr(last.key, name) for name in _KEY_FIELDS)]
    packed = json.dumps(fields, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(packed).decode().rstrip("=")


def decode_cursor(text: str) -> ObservationCursor:
    """The position a cursor stands for; :class:`InvalidRequest` if it is not one of ours."""
    try:
        packed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        fields = json.loads(packed)
        if (
            not isinstance(fields, list)
            or len(fields) != 1 + len(_KEY_FIELDS)
            or not all(isinstance(f, str) for f in fields)
        ):
            raise ValueError("not a cursor")
        timestamp = datetime.fromisoformat(fields[0])
        if timestamp.tzinfo is None:
            raise ValueError("naive timestamp")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidRequest(
            f"cursor {text[:80]!r} is not one this server handed out; pass the next_cursor (or "
            "X-Next-Cursor header) of the previous page unchanged, or leave it out to start over"
        ) from None
    # The fields were written in SeriesKey's field order.
    return timestamp, SeriesKey(*fields[1:])
