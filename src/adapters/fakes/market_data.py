"""A scripted market data source: deterministic series and failures on demand."""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import attrs

from entsoe_core.datasets import DATASETS, REGION_CODE, DomainParameter
from entsoe_core.errors import (
    PermanentSourceError,
    RateLimited,
    RequestTooLong,
    SourceError,
    SourceUnavailable,
    TooManyInstances,
    TransientSourceError,
)
from entsoe_core.limits import RequestSpan
from entsoe_core.observations import Point, Series, SeriesKey
from entsoe_core.plan import Chunk
from entsoe_core.ports import ChunkData, ClockPort, NoData, SourceAnswer
from entsoe_core.timeline import Interval


@attrs.frozen
class Failure:
    """What a scripted fetch does instead of answering."""

    kind: str  # "transient", "permanent", "rate_limited", "no_data", "unavailable",
    # "too_long", "too_many"
    seconds: float = 60.0
    limit: str | None = None
    """For "too_long": the period the refusal names ("P1M"); none named when ``None``."""

    def raise_or_answer(self, now: datetime) -> NoData:
        if self.kind == "too_long":
            named = f" is larger than maximum allowed period '{self.limit}'" if self.limit else ""
            raise RequestTooLong(
                f"scripted refusal (400): the time interval{named or ' is too long'}",
                RequestSpan.parse(self.limit) if self.limit else None,
            )
        if self.kind == "too_many":
            raise TooManyInstances(
                "scripted refusal (400): the number of instances (149) exceeds the allowed "
                "maximum (100)"
            )
        if self.kind == "transient":
            raise TransientSourceError("scripted transient failure (503)")
        if self.kind == "permanent":
            raise PermanentSourceError("scripted permanent failure (400)")
        if self.kind == "rate_limited":
            raise RateLimited(now + timedelta(seconds=self.seconds))
        if self.kind == "no_data":
            return NoData()
        if self.kind == "unavailable":
            raise SourceUnavailable("scripted outage: 503 Scheduled maintenance")
        raise ValueError(f"unknown scripted failure kind {self.kind!r}")


def synthetic_value(series: str, timestamp: datetime) -> float:
    """A deterministic value for a series at an instant."""
    digest = hashlib.blake2b(f"{series}|{timestamp.isoformat()}".encode(), digest_size=4)
    return int.from_bytes(digest.digest(), "big") % 100_000 / 10


class ScriptedMarketDataSource:
    """Serves hourly series for any chunk, failing as scripted.

    Failures are taken from a queue (first fetches first) or decided per chunk by ``rule``;
    during the ``outages`` (instants of the clock) every fetch fails as unavailable. Every
    call is recorded in ``requests``, and the instant it was made in ``sent_at``. With
    ``cut_after`` set, every series stops after that many points, as the real API's did for
    weeks (answered with HTTP 200 all the same).
    """

    def __init__(
        self,
        clock: ClockPort,
        *,
        failures: Iterable[Failure] = (),
        rule: Callable[[Chunk, int], Failure | None] | None = None,
        series_per_chunk: int = 2,
        published_until: datetime | None = None,
        outages: Iterable[Interval] = (),
        cut_after: int | None = None,
    ) -> None:
        self._clock = clock
        self._queue = deque(failures)
        self._rule = rule
        self._series_per_chunk = series_per_chunk
        self._published_until = published_until
        self._outages = tuple(outages)
        self.cut_after = cut_after
        self.requests: list[Chunk] = []
        self.sent_at: list[datetime] = []

    async def fetch(self, chunk: Chunk) -> SourceAnswer:
        now = self._clock.now()
        self.requests.append(chunk)
        self.sent_at.append(now)
        if any(outage.contains(now) for outage in self._outages):
            return Failure("unavailable").raise_or_answer(now)
        failure = self._queue.popleft() if self._queue else None
        if failure is None and self._rule is not None:
            failure = self._rule(chunk, len(self.requests))
        if failure is not None:
            return failure.raise_or_answer(self._clock.now())
        end = chunk.interval.end
        if self._published_until is not None:
            end = min(end, self._published_until)
        if end <= chunk.interval.start:
            return NoData()
        return ChunkData(tuple(self._series(chunk, end)))

    def _series(self, chunk: Chunk, end: datetime) -> Iterable[Series]:
        dataset = DATASETS.get(chunk.dataset)
        net_position = dataset.domain is DomainParameter.NET_POSITION
        # A net position has two series, export and import, both of one business type.
        count = min(self._series_per_chunk, 2) if net_position else self._series_per_chunk
        for index in range(count):
            takes_in = dataset.domain is not DomainParameter.OUT_BIDDING_ZONE
            takes_out = dataset.domain not in (
                DomainParameter.IN_DOMAIN,
                DomainParameter.CONTROL_AREA,
                DomainParameter.AREA,
            )
            in_domain = (chunk.area.to_code or chunk.area.code) if takes_in else ""
            out_domain = chunk.area.code if takes_out else ""
            if net_position:
                sides = (REGION_CODE, chunk.area.code)
                in_domain, out_domain = sides if index == 0 else sides[::-1]
            key = SeriesKey(
                document_type=dataset.document_type,
                process_type=dataset.process_type or "",
                business_type=dataset.business_type or f"A{index + 1:02d}",
                in_domain=in_domain,
                out_domain=out_domain,
                resolution="PT60M",
            )
            points = []
            cursor = chunk.interval.start
            while cursor < end:
                points.append(Point(cursor, synthetic_value(f"{chunk.area}{key}", cursor)))
                cursor += timedelta(hours=1)
            yield Series(key, tuple(points[: self.cut_after]), unit="MAW", curve_type="A01")


def refuse_longer_than(limit: str) -> Callable[[Chunk, int], Failure | None]:
    """A rule that refuses, naming ``limit``, every chunk longer than ``limit``."""
    span = RequestSpan.parse(limit)

    def rule(chunk: Chunk, _: int) -> Failure | None:
        return None if span.fits(chunk.interval) else Failure("too_long", limit=limit)

    return rule


__all__ = [
    "Failure",
    "ScriptedMarketDataSource",
    "SourceError",
    "refuse_longer_than",
    "synthetic_value",
]
