"""Reading untrusted XML: no DTD, no entities, no network, bounded sizes.

ENTSO-E documents never carry a document type declaration. A body that does is refused
before the parser reaches its first element, so an external entity (XXE) is never fetched
and an entity bomb ("billion laughs") is never expanded. Every parser in this package is made
with :data:`SAFE_OPTIONS`, which also turns entity resolution and network access off, as a
second line of defence.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Final, Literal

from lxml import etree

from .errors import BodyTooLarge, MalformedDocument, UnsafeDocument

__all__ = [
    "SAFE_OPTIONS",
    "element_events",
    "local_name",
    "read_capped",
    "root_name",
    "safe_pull_parser",
]

SAFE_OPTIONS: Final[dict[str, bool]] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
}

_SNIFF_CHUNK = 16 * 1024
_BLOCK = 1024 * 1024


def local_name(tag: str) -> str:
    return tag[tag.rfind("}") + 1 :]


def safe_pull_parser(
    events: tuple[Literal["start", "end"], ...], tag: Sequence[str] | None = None
) -> etree.XMLPullParser:
    """A parser to feed a body block by block, with the options of :data:`SAFE_OPTIONS`."""
    # The stubs type each option apart; SAFE_OPTIONS holds booleans for boolean options only.
    return etree.XMLPullParser(events=events, tag=tag, **SAFE_OPTIONS)  # type: ignore[arg-type]


def element_events(parser: etree.XMLPullParser) -> Iterator[tuple[str, etree._Element]]:
    """The parser's events so far that are about an element (start and end)."""
    for event, element in parser.read_events():
        if isinstance(element, etree._Element):
            yield event, element


def root_name(source: bytes | Path, label: str) -> str:
    """The local name of the root element, after refusing any DTD in the prolog.

    Parses only as far as the root's start tag.
    """
    parser = safe_pull_parser(("start",))
    stream: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")
    head = b""
    with stream:
        try:
            while chunk := stream.read(_SNIFF_CHUNK):
                head += chunk
                parser.feed(chunk)
                for _, element in element_events(parser):
                    _refuse_doctype(element, label)
                    return local_name(element.tag)
            parser.close()
        except etree.XMLSyntaxError as error:
            # libxml2 may stop inside a hostile DTD (its entity amplification guard) before
            # the root is reached; say what the body is rather than that it is broken.
            if _DOCTYPE in head:
                raise _unsafe(label, _DOCTYPE.decode()) from None
            if not head.strip():
                raise MalformedDocument(f"{label} is empty; expected an XML document") from None
            raise MalformedDocument(f"{label} is not well-formed XML: {error}") from None
    raise MalformedDocument(f"{label} holds no XML element (empty or cut short)")


_DOCTYPE: Final = b"<!DOCTYPE"


def _refuse_doctype(root: etree._Element, label: str) -> None:
    docinfo = root.getroottree().docinfo
    # The stubs lack ``doctype``; it is the declaration as written, "" when there is none.
    doctype: str = getattr(docinfo, "doctype", "")
    if doctype or docinfo.internalDTD is not None:
        raise _unsafe(label, doctype)


def _unsafe(label: str, doctype: str) -> UnsafeDocument:
    return UnsafeDocument(
        f"{label} declares a DTD ({doctype[:80]!r}); refused unread: ENTSO-E documents "
        "have none, and DTDs are how entity expansion (XXE, 'billion laughs') attacks arrive"
    )


def read_capped(stream: IO[bytes], cap: int, label: str, *, already: int = 0) -> bytes:
    """Read all of ``stream`` block by block, refusing it as soon as it passes ``cap`` bytes.

    The stream is never asked for more than a block at a time, so an inflating stream (a ZIP
    member) costs at most the cap and one block, whatever sizes its header claims.
    ``already`` counts the bytes read before that share the cap (earlier members of one body).
    """
    buffer = io.BytesIO()
    total = already
    while block := stream.read(_BLOCK):
        total += len(block)
        if total > cap:
            shared = " together with the members before it" if already else ""
            raise BodyTooLarge(
                f"{label} is larger{shared} than the cap of {cap:,} bytes; ask for a shorter "
                "period or raise the cap"
            )
        buffer.write(block)
    return buffer.getvalue()
