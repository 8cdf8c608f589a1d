"""What the chunk runner tells an observer: each request's outcome, bans, retries, each chunk's
end. Metrics and structured logs are observers, in adapters; the core knows neither."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Protocol

from entsoe_core.plan import Chunk
from entsoe_core.progress import ChunkProgress

__all__ = ["NullObserver", "ObserverGroup", "RequestOutcome", "RunObserverPort"]


class RequestOutcome(enum.Enum):
    """How the source answered one request."""

    OK = "ok"
    NO_DATA = "no_data"
    REFUSED = "refused"
    RATE_LIMITED = "rate_limited"
    TRANSIENT = "transient"


class RunObserverPort(Protocol):
    """Told what a run does, as it does it. Must not raise, nor wait."""

    def requested(self, job_id: str, chunk: Chunk, outcome: RequestOutcome) -> None:
        """One request of ``chunk`` was answered (or failed) with ``outcome``."""
        ...

    def banned(self, now: datetime, until: datetime) -> None:
        """The source banned requests from ``now`` until ``until``."""
        ...

    def retrying(self, job_id: str, chunk: Chunk, reason: str) -> None:
        """A request of ``chunk`` failed transiently and is sent again after a wait."""
        ...

    def finished(self, chunk: ChunkProgress, seconds: float) -> None:
        """``chunk`` ended (done, failed or split), ``seconds`` after it was claimed."""
        ...


class NullObserver:
    """Observes nothing: runs without metrics or structured logs."""

    def requested(self, job_id: str, chunk: Chunk, outcome: RequestOutcome) -> None:
        return None

    def banned(self, now: datetime, until: datetime) -> None:
        return None

    def retrying(self, job_id: str, chunk: Chunk, reason: str) -> None:
        return None

    def finished(self, chunk: ChunkProgress, seconds: float) -> None:
        return None


class ObserverGroup:
    """Tells each of several observers, in turn."""

    def __init__(self, *observers: RunObserverPort) -> None:
        self._observers = observers

    def requested(self, job_id: str, chunk: Chunk, outcome: RequestOutcome) -> None:
        for observer in self._observers:
            observer.requested(job_id, chunk, outcome)

    def banned(self, now: datetime, until: datetime) -> None:
        for observer in self._observers:
            observer.banned(now, until)

    def retrying(self, job_id: str, chunk: Chunk, reason: str) -> None:
        for observer in self._observers:
            observer.retrying(job_id, chunk, reason)

    def finished(self, chunk: ChunkProgress, seconds: float) -> None:
        for observer in self._observers:
            observer.finished(chunk, seconds)
