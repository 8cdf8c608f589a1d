"""Log lines of a run, each with its fields as ``extra`` (``job``, ``chunk``, ``dataset``,
``area``, ``outcome``), which the JSON log format writes as keys of their own."""

from __future__ import annotations

import logging
from datetime import datetime

from entsoe_core.observer import RequestOutcome
from entsoe_core.plan import Chunk
from entsoe_core.progress import ChunkProgress

__all__ = ["LogObserver"]

log = logging.getLogger("entsoe.run")

_QUIET = (RequestOutcome.OK, RequestOutcome.NO_DATA)


class LogObserver:
    """Logs every chunk's end at INFO, requests that did not answer at WARNING, the rest at
    DEBUG."""

    def requested(self, job_id: str, chunk: Chunk, outcome: RequestOutcome) -> None:
        level = logging.DEBUG if outcome in _QUIET else logging.WARNING
        log.log(
            level,
            "request %s: %s",
            chunk,
            outcome.value,
            extra=_fields(job_id, None, chunk, outcome.value),
        )

    def banned(self, now: datetime, until: datetime) -> None:
        log.warning(
            "the source bans requests until %s",
            f"{until:%Y-%m-%dT%H:%M:%SZ}",
            extra={"outcome": "banned", "banned_until": until.isoformat()},
        )

    def retrying(self, job_id: str, chunk: Chunk, reason: str) -> None:
        log.info("retrying %s: %s", chunk, reason, extra=_fields(job_id, None, chunk, "retrying"))

    def finished(self, chunk: ChunkProgress, seconds: float) -> None:
        fields = _fields(chunk.job_id, chunk.id, chunk.chunk, chunk.status.value)
        fields.update(points=chunk.points_written, seconds=round(seconds, 3))
        log.info(
            "chunk %s %s: %d points%s",
            chunk.id,
            chunk.status.value,
            chunk.points_written,
            f": {chunk.last_error}" if chunk.last_error else "",
            extra=fields,
        )


def _fields(job_id: str, chunk_id: str | None, chunk: Chunk, outcome: str) -> dict[str, object]:
    return {
        "job": job_id,
        "chunk": chunk_id,
        "dataset": chunk.dataset,
        "area": str(chunk.area),
        "outcome": outcome,
    }
