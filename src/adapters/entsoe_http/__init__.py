"""The ENTSO-E Transparency Platform over HTTP: request parameters and
:class:`EntsoeHttpSource`, the real market data source (its answers are read by
:mod:`adapters.entsoe_xml`)."""

from .client import DEFAULT_BASE_URL, EntsoeHttpSource
from .params import request_params

__all__ = ["DEFAULT_BASE_URL", "EntsoeHttpSource", "request_params"]
