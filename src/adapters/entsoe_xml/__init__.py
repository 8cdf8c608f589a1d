"""ENTSO-E XML documents: a safe, streaming, bounded parser of what the Transparency Platform
sends (GL and Publication market documents, acknowledgements, ZIP archives of them).

Used by the HTTP source for the answers it receives, and by ``entsoe parse`` and
``entsoe import`` for saved documents.
"""

from .errors import BodyTooLarge, MalformedDocument, UnsafeDocument, UnsupportedDocument
from .parser import Acknowledgement, iter_parsed, parse_document
from .saved import UnreadableFile, read_saved, saved_label

__all__ = [
    "Acknowledgement",
    "BodyTooLarge",
    "MalformedDocument",
    "UnreadableFile",
    "UnsafeDocument",
    "UnsupportedDocument",
    "iter_parsed",
    "parse_document",
    "read_saved",
    "saved_label",
]
