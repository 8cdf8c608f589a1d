"""The access log, without the secrets a client may put in a query string.

uvicorn logs every request line as the client sent it. The API never reads a token from the
query string, but a client may still send one there (``?token=…`` or ENTSO-E's own
``?securityToken=…``), and it must not end up in a log file. A filter on the access logger
replaces the value of every parameter named like a secret before any handler sees the line.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import unquote_plus

import uvicorn.config

__all__ = ["ACCESS_LOGGER", "REDACTED", "RedactSecrets", "logging_config", "redact_query"]

ACCESS_LOGGER = "uvicorn.access"
REDACTED = "REDACTED"

_SECRET_NAME = re.compile(
    r"token|secret|passw|pwd|api[-_.]?key|auth|credential|signature|session|cookie",
    re.IGNORECASE,
)


def redact_query(target: str) -> str:
    """``target`` (a path with its query) with the values of secret-like parameters replaced."""
    path, mark, query = target.partition("?")
    if not mark:
        return target
    parts = []
    for pair in query.split("&"):
        name, equals, _ = pair.partition("=")
        # Names are matched decoded: %74oken is a token too.
        if equals and _SECRET_NAME.search(unquote_plus(name)):
            pair = f"{name}={REDACTED}"
        parts.append(pair)
    return f"{path}?{'&'.join(parts)}"


class RedactSecrets(logging.Filter):
    """Rewrites the request target of uvicorn's access records (their third argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_query(args[2]), *args[3:])
        return True


def logging_config() -> dict[str, Any]:
    """uvicorn's logging configuration, with :class:`RedactSecrets` on the access logger."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_secrets"] = {"()": RedactSecrets}
    config["loggers"][ACCESS_LOGGER]["filters"] = ["redact_secrets"]
    return config
