"""The ENTSO-E Transparency Platform over HTTP: request parameters, a safe streaming parser,
and :class:`EntsoeHttpSource`, the real market data source."""

from .client import DEFAULT_BASE_URL, EntsoeHttpSource
from .errors import BodyTooLarge, MalformedDocument, UnsafeDocument, UnsupportedDocument
from .params import request_params
from .parser import Acknowledgement, iter_parsed, parse_document

__all__ = [
    "DEFAULT_BASE_URL",
    "Acknowledgement",
    "BodyTooLarge",
    "EntsoeHttpSource",
    "MalformedDocument",
    "UnsafeDocument",
    "UnsupportedDocument",
    "iter_parsed",
    "parse_document",
    "request_params",
]
