"""Metrics with prometheus-client, in a registry of their own (one per process or app, never
the global one, so that two applications in one process, tests among them, keep theirs apart).

Counters and the chunk histogram follow what the runner tells the observer; the gauges (jobs by
state, freshness lag, the scheduler's overdue datasets) are set from an
:class:`~entsoe_core.services.freshness.OperationsSnapshot` read just before each scrape.
Labels are datasets, areas (EIC codes), outcomes and states: never a URL, a parameter or a
token.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from entsoe_core.observer import RequestOutcome
from entsoe_core.plan import Chunk
from entsoe_core.progress import ChunkProgress, ChunkStatus
from entsoe_core.services.freshness import OperationsSnapshot
from entsoe_core.services.scheduler import Overdue

__all__ = ["CONTENT_TYPE", "PrometheusObserver"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
_CHUNK_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800)


class PrometheusObserver:
    """A run observer that counts into its own registry, and renders it."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._requests = Counter(
            "entsoe_requests",
            "Requests to the source by dataset and outcome.",
            ["dataset", "outcome"],
            registry=r,
        )
        self._bans = Counter("entsoe_bans", "Bans the source imposed (HTTP 429).", registry=r)
        self._banned = Counter(
            "entsoe_banned_seconds", "Seconds the source banned requests for.", registry=r
        )
        self._retries = Counter(
            "entsoe_retries",
            "Requests sent again after a transient failure.",
            ["dataset"],
            registry=r,
        )
        self._chunks = Histogram(
            "entsoe_chunk_duration_seconds",
            "Seconds from a chunk's claim to its end, by dataset and final state.",
            ["dataset", "status"],
            buckets=_CHUNK_BUCKETS,
            registry=r,
        )
        self._points = Counter(
            "entsoe_points_written",
            "Points written, by dataset and area.",
            ["dataset", "area"],
            registry=r,
        )
        self._jobs = Gauge("entsoe_jobs", "Jobs in the database by state.", ["state"], registry=r)
        self._lag = Gauge(
            "entsoe_freshness_lag_seconds",
            "The publication horizon minus the newest instant stored, per configured dataset "
            "and area (+Inf with nothing stored).",
            ["dataset", "area"],
            registry=r,
        )
        self._last_fetch = Gauge(
            "entsoe_last_fetch_timestamp_seconds",
            "When the newest coverage entry of the configured scope was fetched (epoch).",
            registry=r,
        )
        self._overdue = Gauge(
            "entsoe_schedule_overdue_seconds",
            "How late each dataset's due round is (0 once claimed).",
            ["dataset"],
            registry=r,
        )

    # -- RunObserverPort ------------------------------------------------------------------

    def requested(self, job_id: str, chunk: Chunk, outcome: RequestOutcome) -> None:
        self._requests.labels(chunk.dataset, outcome.value).inc()

    def banned(self, now: datetime, until: datetime) -> None:
        self._bans.inc()
        self._banned.inc(max((until - now).total_seconds(), 0.0))

    def retrying(self, job_id: str, chunk: Chunk, reason: str) -> None:
        self._retries.labels(chunk.dataset).inc()

    def finished(self, chunk: ChunkProgress, seconds: float) -> None:
        target = chunk.chunk
        self._chunks.labels(target.dataset, chunk.status.value).observe(seconds)
        if chunk.status is ChunkStatus.DONE:
            self._points.labels(target.dataset, str(target.area)).inc(chunk.points_written)

    # -- gauges read from the database ----------------------------------------------------

    def update(self, snapshot: OperationsSnapshot, overdue: Sequence[Overdue] = ()) -> None:
        for status, count in snapshot.jobs.items():
            self._jobs.labels(status.value).set(count)
        for freshness in snapshot.freshness:
            # With nothing stored, a (dataset, area) is behind without end: +Inf.
            lag = freshness.lag
            self._lag.labels(freshness.dataset, str(freshness.area)).set(
                math.inf if lag is None else lag.total_seconds()
            )
        if snapshot.last_fetch is not None:
            self._last_fetch.set(snapshot.last_fetch.timestamp())
        late = {o.dataset: o.late.total_seconds() for o in overdue}
        for dataset in {f.dataset for f in snapshot.freshness} | set(late):
            self._overdue.labels(dataset).set(late.get(dataset, 0.0))

    def render(self) -> bytes:
        return generate_latest(self.registry)
