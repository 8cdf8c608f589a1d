"""One HTTP answer of the emulator, independent of how its bytes travel."""

from __future__ import annotations

import attrs

__all__ = ["HTML", "XML", "Reply"]

XML = "text/xml"
HTML = "text/html"


@attrs.frozen
class Reply:
    """One HTTP answer."""

    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()
    outcome: str = ""
    """What the statistics count the answer as, for its dataset: "served", "too_long",
    "too_many_instances", or "" for any other answer."""
