"""What the ENTSO-E API means when it refuses a request, read from the refusal's text.

The API says why in the free text of an acknowledgement, and its wording has changed over the
years. Two refusals are worth telling apart from any other bad request, because the request
can be asked again in smaller pieces:

- an interval longer than the API allows for the dataset: "Provided time interval (…) is larger
  than maximum allowed period 'P1M' for 'ACTUAL_TOTAL_LOAD_R3:XML' export." (2024 to 2026), or
  "The amount of requested data exceeds allowed limit. Allowed: 1 year(s)" in older wording.
  The limit is read from any ISO 8601 period the sentence names ('P1M', 'P1Y', 'P10D'), else
  from "Allowed: N year(s)/month(s)/day(s)"; when it names neither, the limit is unknown;
- too many instances: "The number of instances (149) exceeds the allowed maximum …" (2025).
"""

from __future__ import annotations

import re
from typing import Final

from entsoe_core.errors import InvalidRequest, RequestTooLong, TooManyInstances
from entsoe_core.limits import RequestSpan

__all__ = ["refusal_error", "stated_limit"]

_TOO_MANY_INSTANCES: Final = re.compile(
    r"number\s+of\s+instances\b.*?\bexceeds\s+the\s+allowed\s+maximum", re.IGNORECASE | re.DOTALL
)
_TOO_LONG: Final = re.compile(
    r"larger\s+than\s+(?:the\s+)?maximum\s+allowed\s+period|exceeds\s+(?:the\s+)?allowed\s+limit",
    re.IGNORECASE,
)
# An ISO 8601 period of years, months, weeks or days standing alone ('P1M', "P1Y", P10D), not
# a piece of a longer word or number.
_ISO_PERIOD: Final = re.compile(r"(?<![A-Za-z0-9])P(?:\d+[YMWD])+(?![A-Za-z0-9])")
_ALLOWED_COUNT: Final = re.compile(
    r"\ballowed:?\s+(\d{1,4})\s*(year|month|week|day)s?\b", re.IGNORECASE
)
_UNIT_PERIOD: Final = {"year": "Y", "month": "M", "week": "W", "day": "D"}


def stated_limit(text: str) -> RequestSpan | None:
    """The longest period a refusal says one request may ask for, or None if it names none."""
    for found in _ISO_PERIOD.finditer(text):
        try:
            return RequestSpan.parse(found.group(0))
        except InvalidRequest:
            continue
    counted = _ALLOWED_COUNT.search(text)
    if counted is not None and int(counted.group(1)) > 0:
        return RequestSpan.parse(
            f"P{int(counted.group(1))}{_UNIT_PERIOD[counted.group(2).lower()]}"
        )
    return None


def refusal_error(text: str, message: str) -> RequestTooLong | TooManyInstances | None:
    """The error a refusal stands for, carrying ``message``; None for any other refusal.

    ``text`` is what the API said (the acknowledgement's reason), ``message`` the whole error
    message to raise with (which request, which status, and that text).
    """
    if _TOO_MANY_INSTANCES.search(text):
        return TooManyInstances(message)
    if _TOO_LONG.search(text):
        return RequestTooLong(message, stated_limit(text))
    return None
