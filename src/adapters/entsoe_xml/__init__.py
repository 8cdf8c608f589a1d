"""ENTSO-E XML documents: a safe, streaming, bounded parser of what the Transparency Platform
sends (GL and Publication market documents, acknowledgements, ZIP archives of them).

Used by the HTTP source for the answers it receives, and by ``entsoe parse`` and
``entsoe import`` for saved documents.
"""

from .errors import BodyTooLarge, MalformedDocument, UnsafeDocument, UnsupportedDocument
from .parser import Acknowledgement, iter_parsed, parse_document

__all__ = [
    "Acknowledgement",
    "BodyTooLarge",
    "MalformedDocument",
    "UnsafeDocument",
    "UnsupportedDocument",
    "iter_parsed",
    "parse_document",
]
