"""The ports: what the core needs from the outside world, and nothing about how it is done.

Adapters implement these: ``adapters.memory`` (the reference twin), ``adapters.sqlalchemy``
(SQLite and PostgreSQL), ``adapters.entsoe_http`` (the real API) and ``adapters.fakes``.
"""

from __future__ import annotations

import abc
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, Self

import attrs

from entsoe_core.areas import AreaKey
from entsoe_core.breaker import SourceChange, SourceState
from entsoe_core.columns import ObservationColumns
from entsoe_core.coverage import Coverage, CoverageEntry, RecheckPolicy
from entsoe_core.errors import StorageError
from entsoe_core.limits import LearnedLimit
from entsoe_core.observations import Observation, Series, SeriesKey, SeriesStats
from entsoe_core.plan import Chunk
from entsoe_core.progress import BackfillJob, ChunkCounts, ChunkProgress, ChunkStatus, JobStatus
from entsoe_core.timeline import Interval, IntervalSet
from entsoe_core.versions import UpsertResult

__all__ = [
    "AbstractUnitOfWork",
    "Acknowledged",
    "BackfillProgressPort",
    "ChunkData",
    "ClockPort",
    "DatasetArea",
    "DatasetLimitsPort",
    "DocumentReaderPort",
    "EnergyStorePort",
    "MarketDataSourcePort",
    "NoData",
    "ObservationCursor",
    "RateLimiterPort",
    "SourceAnswer",
    "SourceBreakerPort",
    "UnitOfWorkFactory",
    "UpsertResult",
    "refuse_commit_when_reading",
]


class ClockPort(Protocol):
    """Time, and waiting for it. Every wait in the core goes through here."""

    def now(self) -> datetime:
        """The current instant, UTC-aware."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (the fake clock advances instantly)."""
        ...


@attrs.frozen
class ChunkData:
    """What a source returned for a chunk: its series (possibly none for some instants)."""

    series: tuple[Series, ...]


@attrs.frozen
class NoData:
    """The source answered that nothing is published for the chunk's interval."""

    reason: str = "No matching data found"


SourceAnswer = ChunkData | NoData


@attrs.frozen
class Acknowledged:
    """A saved document that holds an acknowledgement instead of series: what it said."""

    reason_code: str
    text: str


class DocumentReaderPort(Protocol):
    """Reads a saved document (a file name, or ``-`` for standard input).

    Yields its series, or what an acknowledgement said; raises a
    :class:`~entsoe_core.errors.SourceError` for a document it cannot read or that breaks a
    rule of its structure, and an :class:`~entsoe_core.errors.InvalidRequest` for a file that
    cannot be opened.
    """

    def __call__(self, name: str) -> Iterable[Series | Acknowledged]: ...


class MarketDataSourcePort(Protocol):
    """Fetches one chunk from the market data source.

    Raises :class:`~entsoe_core.errors.RateLimited` (with the instant it may try again),
    :class:`~entsoe_core.errors.TransientSourceError` (5xx, time-outs, resets, truncated
    bodies) or :class:`~entsoe_core.errors.PermanentSourceError` (bad request, token rejected,
    unsupported document).
    """

    async def fetch(self, chunk: Chunk) -> SourceAnswer: ...


class RateLimiterPort(Protocol):
    """Admits requests within the budget, and stops them all while the source bans us."""

    async def acquire(self) -> None:
        """Wait until one request may be sent, and count it."""
        ...

    async def ban_until(self, until: datetime) -> None:
        """No request may be admitted before ``until``."""
        ...


class SourceBreakerPort(Protocol):
    """The circuit breaker over the source (:mod:`entsoe_core.breaker`), shared by its users.

    Each method is a short step of its own, outside any unit of work, like the rate limiter's;
    instants come from the adapter's clock.
    """

    async def read(self) -> SourceState:
        """The state as it stands (closed and clean when nothing was ever recorded)."""
        ...

    async def record_failure(self, reason: str) -> SourceChange:
        """Count one outage-like failure, ``reason`` being what the source answered."""
        ...

    async def record_success(self) -> SourceChange:
        """The source answered: close and reset; writes nothing when already clean."""
        ...

    async def take_probe(self) -> bool:
        """Take the due probe: ``True`` for exactly one of any number of callers, and only
        while the breaker is open and its probe is due (a compare-and-set)."""
        ...


ObservationCursor = tuple[datetime, SeriesKey]
"""The position after which a paginated read continues: (timestamp, series key)."""

DatasetArea = tuple[str, AreaKey]
"""A dataset key and an area: what the store holds series and a coverage ledger of."""


class EnergyStorePort(Protocol):
    """Observations and the coverage ledger. Stores flush; only the unit of work commits."""

    async def upsert(self, dataset: str, area: AreaKey, series: Sequence[Series]) -> UpsertResult:
        """Insert or replace points, idempotently and version-aware.

        A stored value is replaced only by one whose :class:`~entsoe_core.versions.Version`
        replaces the stored one: a higher revision, or the same revision and an equal or later
        creation time. Points of one call apply in order, as if upserted one by one. Returns
        how many points were written (inserted or replaced) and how many were kept out because
        the stored value is newer.
        """
        ...

    async def read(
        self,
        dataset: str,
        area: AreaKey,
        interval: Interval,
        *,
        after: ObservationCursor | None = None,
        limit: int | None = None,
    ) -> list[Observation]:
        """Observations in ``interval``, ordered by timestamp then series key."""
        ...

    async def read_columns(
        self,
        dataset: str,
        area: AreaKey,
        interval: Interval,
        *,
        after: ObservationCursor | None = None,
        limit: int | None = None,
    ) -> ObservationColumns:
        """What :meth:`read` returns for the same arguments (the same points in the same
        order), as columns: each series of the points once (key, unit, curve type, ordered),
        and per point only its series' position, its instant in epoch microseconds and its
        value. For reads of many points: no object is made per point."""
        ...

    async def record_coverage(self, dataset: str, area: AreaKey, entry: CoverageEntry) -> None:
        """Add one fetch to the coverage ledger."""
        ...

    async def coverage(self, dataset: str, area: AreaKey, within: Interval) -> Coverage:
        """The ledger entries of (dataset, area) that overlap ``within``."""
        ...

    async def gaps(
        self, dataset: str, area: AreaKey, requested: Interval, policy: RecheckPolicy
    ) -> IntervalSet:
        """What of ``requested`` no final coverage entry covers, computed by the store."""
        ...

    async def series_stats(
        self, dataset: str, area: AreaKey, interval: Interval
    ) -> list[SeriesStats]:
        """Every series of (dataset, area) with points in ``interval``, ordered by key: its
        points, first and last instant, highest revision, and the gaps between consecutive
        points longer than a step of its resolution. Computed by the store."""
        ...

    async def newest(self, pairs: Sequence[DatasetArea]) -> dict[DatasetArea, datetime | None]:
        """Per (dataset, area) of ``pairs``, the newest instant stored for any of its series,
        however far back; None with nothing stored. A probe per series, not a scan of its
        points, and a statement for many pairs at once."""
        ...

    async def last_fetched(
        self, pairs: Sequence[DatasetArea]
    ) -> dict[DatasetArea, datetime | None]:
        """Per (dataset, area) of ``pairs``, when the newest entry of its coverage ledger was
        fetched; None with none recorded. A probe per pair, a statement for many at once."""
        ...


class BackfillProgressPort(Protocol):
    """Jobs and chunks. Hands out frozen values only, never objects bound to a session."""

    async def add_job(self, job: BackfillJob, chunks: Sequence[ChunkProgress]) -> None: ...

    async def get_job(self, job_id: str) -> BackfillJob:
        """The job; raises :class:`~entsoe_core.errors.UnknownJob` if there is none."""
        ...

    async def save_job(self, job: BackfillJob) -> BackfillJob:
        """Store a job's new state if its version is still the stored one.

        Returns it with the version bumped; raises
        :class:`~entsoe_core.errors.LeaseLost` if someone else changed it meanwhile.
        """
        ...

    async def list_jobs(
        self, statuses: Collection[JobStatus] | None = None, *, limit: int | None = None
    ) -> list[BackfillJob]:
        """Jobs, newest first, optionally only those in ``statuses``; with ``limit``, only
        the newest ``limit`` of them."""
        ...

    async def job_counts(self) -> dict[JobStatus, int]:
        """How many jobs are stored in each status (every status, 0 where none), counted by
        the store."""
        ...

    async def get_chunks(
        self, job_id: str, statuses: Collection[ChunkStatus] | None = None
    ) -> list[ChunkProgress]:
        """The chunks of a job in plan order, optionally only those in ``statuses``."""
        ...

    async def chunks_touching(
        self, dataset: str, area: AreaKey, period: Interval
    ) -> list[ChunkProgress]:
        """Every chunk of any job that fetches ``dataset`` for ``area`` over an interval
        overlapping ``period``: newest job first (as :meth:`list_jobs`), each job's in plan
        order. Selected by the store, not by reading the jobs' chunks."""
        ...

    async def counts(self, job_id: str, now: datetime) -> ChunkCounts:
        """The job's counters, aggregated by the store."""
        ...

    async def last_error(self, job_id: str) -> str | None:
        """The error of the most recently failed chunk, if any."""
        ...

    async def cancel_waiting(self, job_id: str, now: datetime) -> int:
        """Cancel every pending and failed chunk of the job at ``now``, in one statement (each
        as :meth:`ChunkProgress.cancel` would, its version moved on); how many. A chunk in
        flight is left to finish."""
        ...

    async def retry_failed(self, job_id: str, now: datetime) -> int:
        """Put every failed chunk of the job back to pending at ``now``, in one statement (each
        as :meth:`ChunkProgress.retry` would, its version moved on); how many."""
        ...

    async def has_open(self, job_id: str) -> bool:
        """Whether any chunk of the job is still to run (pending or in flight); as quick
        with a million chunks as with a few, unlike :meth:`counts`."""
        ...

    async def claim_next(
        self,
        owner: str,
        now: datetime,
        lease: timedelta,
        *,
        job_id: str | None = None,
        areas: Collection[AreaKey] | None = None,
    ) -> ChunkProgress | None:
        """Claim the first claimable chunk of an in-progress job, with a lease.

        Claimable: pending, or in flight with an expired lease. ``job_id`` restricts the
        search to one job, ``areas`` to chunks of those areas. Two callers never get the same
        chunk while its lease is live.
        """
        ...

    async def save_chunk(self, chunk: ChunkProgress) -> ChunkProgress:
        """Store a chunk's new state, fenced by its version.

        Raises :class:`~entsoe_core.errors.LeaseLost` if the stored row has moved on (another
        worker took the chunk over). Returns the chunk with its version bumped.
        """
        ...

    async def split_chunk(
        self, parent: ChunkProgress, children: Sequence[ChunkProgress]
    ) -> ChunkProgress:
        """Store a split: ``parent`` (in state split) fenced by its version, as
        :meth:`save_chunk` does, and ``children`` added after the job's last chunk, in order.

        Returns the parent with its version bumped.
        """
        ...


class DatasetLimitsPort(Protocol):
    """Request limits the source stated in refusals, one per dataset, shared by every worker."""

    async def learned(self) -> dict[str, LearnedLimit]:
        """Every learned limit, by dataset key."""
        ...

    async def learn(self, limit: LearnedLimit) -> LearnedLimit:
        """Remember ``limit`` unless the stored one is tighter; the limit as stored now.

        A limit is never loosened: an older, longer one stated again changes nothing.
        """
        ...


class AbstractUnitOfWork(abc.ABC):
    """One transaction over the store and the progress tables.

    ``async with uow:`` begins it; leaving the block without :meth:`commit` rolls back. A
    chunk's observations, its coverage entry and its progress row commit together or not at
    all. No HTTP is done while one is open.
    """

    store: EnergyStorePort
    progress: BackfillProgressPort
    limits: DatasetLimitsPort
    reading: bool = False
    """A unit of work that only reads: it cannot commit, and on SQLite it does not take the
    write lock, so reads answer while a writer holds it."""

    async def __aenter__(self) -> Self:
        await self._begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.rollback()

    @abc.abstractmethod
    async def _begin(self) -> None: ...

    @abc.abstractmethod
    async def commit(self) -> None: ...

    @abc.abstractmethod
    async def rollback(self) -> None:
        """Discard whatever was not committed; harmless after a commit."""


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work per call; ``reading=True`` for one that only reads."""

    def __call__(self, *, reading: bool = False) -> AbstractUnitOfWork: ...


def refuse_commit_when_reading(uow: AbstractUnitOfWork) -> None:
    """What every adapter's commit checks first: a reading unit of work has nothing to commit."""
    if uow.reading:
        raise StorageError("a unit of work opened for reading cannot commit; open one for writing")
