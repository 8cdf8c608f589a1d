"""Log output: text lines (the default) or one JSON object a line (``--log-format json``,
``ENTSOE_LOG_FORMAT=json``), for a log collector.

A JSON line holds the time, level, logger and message, and the fields a line was logged with
(``job``, ``chunk``, ``dataset``, ``area``, ``outcome``, …). Every line, in either format, has
the configured tokens blanked out: no code path is meant to log one, and this makes sure.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime

__all__ = ["FIELDS", "LOG_FORMATS", "configure_logging"]

LOG_FORMATS = ("text", "json")
FIELDS = (
    "job",
    "chunk",
    "dataset",
    "area",
    "outcome",
    "points",
    "seconds",
    "banned_until",
    "round",
)
_TEXT = "entsoe: %(levelname)s %(name)s: %(message)s"
_BLANK = "********"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``ts``, ``level``, ``logger``, ``message``, the known fields
    that are set, and ``error`` with the exception's text when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in FIELDS:
            value = record.__dict__.get(field)
            if value is not None:
                line[field] = value
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class _Redacting(logging.Formatter):
    """Blanks the secrets out of what the formatter it wraps writes."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self._inner = inner
        self._secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        text = self._inner.format(record)
        for secret in self._secrets:
            text = text.replace(secret, _BLANK)
        return text


def configure_logging(*, verbose: bool, log_format: str, secrets: Iterable[str]) -> None:
    """Log to stderr at INFO (verbose) or WARNING, in ``log_format``."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format {log_format!r} is not one of {', '.join(LOG_FORMATS)}")
    inner = JsonFormatter() if log_format == "json" else logging.Formatter(_TEXT)
    handler = logging.StreamHandler()
    handler.setFormatter(_Redacting(inner, secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
