"""Saved documents, as ``entsoe parse`` and ``entsoe import`` read them: a file, or ``-`` for
standard input."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from entsoe_core.errors import InvalidRequest
from entsoe_core.observations import Series
from entsoe_core.ports import Acknowledged

from .parser import DEFAULT_MAX_MEMBER_BYTES, Acknowledgement, iter_parsed
from .safe_xml import read_capped

__all__ = ["UnreadableFile", "read_saved", "saved_label"]


class UnreadableFile(InvalidRequest):
    """A saved document that cannot be opened or read at all."""


def saved_label(name: str) -> str:
    """How messages name a saved document."""
    return "standard input" if name == "-" else name


def read_saved(name: str) -> Iterator[Series | Acknowledged]:
    """The series of a saved document (XML or ZIP), or what its acknowledgement said.

    ``-`` reads standard input, held whole up to the member cap (so do ``/dev/stdin`` and any
    pipe given by name).
    """
    label = saved_label(name)
    try:
        source = (
            read_capped(sys.stdin.buffer, DEFAULT_MAX_MEMBER_BYTES, label)
            if name == "-"
            else Path(name)
        )
        for item in iter_parsed(source, label=label):
            yield (
                Acknowledged(item.reason_code, item.text)
                if isinstance(item, Acknowledgement)
                else item
            )
    except OSError as error:
        raise UnreadableFile(f"{label}: cannot read it: {error.strerror or error}") from None
