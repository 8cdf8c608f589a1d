"""The progress state machine of backfill jobs and their chunks.

Chunk: ``pending → in_flight → done | failed``; ``failed → pending`` on resume;
``in_flight → pending`` when its lease expires; ``pending | failed → cancelled``;
``in_flight → split`` when the source refused it as too long (or too many instances) and it
was replaced by children that fit (:func:`split_children`).

Job: ``pending → in_progress → completed | failed | cancelled``; ``failed → in_progress`` on
resume; a pending or failed job may be cancelled too. Illegal transitions raise
:class:`IllegalTransition`.

A job's status and counters follow from its chunks (:meth:`BackfillJob.settle`): once no chunk
is left to run, the job is completed or failed, so it can never sit "in progress" with every
chunk finished. A split chunk is neither open nor failed: its children carry its work, so it
counts in no total.
"""

from __future__ import annotations

import enum
import itertools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from entsoe_core.errors import IllegalTransition
from entsoe_core.plan import Chunk, ChunkSpan
from entsoe_core.timeline import Interval

__all__ = [
    "BackfillJob",
    "ChunkCounts",
    "ChunkProgress",
    "ChunkStatus",
    "JobStatus",
    "split_children",
]


class JobStatus(enum.Enum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ChunkStatus(enum.Enum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SPLIT = "split"


JOB_TRANSITIONS: Mapping[JobStatus, frozenset[JobStatus]] = {
    JobStatus.PENDING: frozenset({JobStatus.IN_PROGRESS, JobStatus.CANCELLED}),
    JobStatus.IN_PROGRESS: frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED}),
    JobStatus.FAILED: frozenset({JobStatus.IN_PROGRESS, JobStatus.CANCELLED}),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}

CHUNK_TRANSITIONS: Mapping[ChunkStatus, frozenset[ChunkStatus]] = {
    ChunkStatus.PENDING: frozenset({ChunkStatus.IN_FLIGHT, ChunkStatus.CANCELLED}),
    ChunkStatus.IN_FLIGHT: frozenset(
        {ChunkStatus.DONE, ChunkStatus.FAILED, ChunkStatus.PENDING, ChunkStatus.SPLIT}
    ),
    ChunkStatus.FAILED: frozenset({ChunkStatus.PENDING, ChunkStatus.CANCELLED}),
    ChunkStatus.DONE: frozenset(),
    ChunkStatus.CANCELLED: frozenset(),
    ChunkStatus.SPLIT: frozenset(),
}


def new_id() -> str:
    return uuid.uuid4().hex[:12]


@attrs.frozen
class ChunkProgress:
    """A chunk of a job and where it stands.

    ``version`` is the optimistic-lock counter of the stored row: an update is accepted only
    against the version it was read at, which is how a worker whose lease was taken over is
    kept from committing.
    """

    id: str
    job_id: str
    chunk: Chunk
    status: ChunkStatus = ChunkStatus.PENDING
    attempts: int = 0
    requests: int = 0
    points_written: int = 0
    last_error: str | None = None
    points_kept: int = 0
    """Points not written because the stored value comes from a newer document version."""
    holes: int = 0
    """How many holes (runs of missing steps) the committed answer had."""
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    version: int = 0
    updated_at: datetime | None = None
    parent_id: str | None = None
    """The chunk this one was split from, if a refusal split one."""
    points_unchanged: int = 0
    """Points not written because the stored row already holds them as they are."""

    def _to(self, target: ChunkStatus, **changes: object) -> ChunkProgress:
        if target not in CHUNK_TRANSITIONS[self.status]:
            raise IllegalTransition(f"chunk {self.id}", self.status.value, target.value)
        return attrs.evolve(self, status=target, **changes)  # type: ignore[arg-type]

    def lease_live(self, now: datetime) -> bool:
        return (
            self.status is ChunkStatus.IN_FLIGHT
            and self.lease_expires_at is not None
            and self.lease_expires_at > now
        )

    def claim(self, owner: str, now: datetime, lease: timedelta) -> ChunkProgress:
        return self._to(
            ChunkStatus.IN_FLIGHT,
            lease_owner=owner,
            lease_expires_at=now + lease,
            updated_at=now,
        )

    def renew(self, now: datetime, lease: timedelta) -> ChunkProgress:
        if self.status is not ChunkStatus.IN_FLIGHT:
            raise IllegalTransition(f"chunk {self.id}", self.status.value, "renewed lease")
        return attrs.evolve(self, lease_expires_at=now + lease, updated_at=now)

    def complete(
        self,
        points: int,
        requests: int,
        attempts: int,
        now: datetime,
        *,
        kept: int = 0,
        holes: int = 0,
        unchanged: int = 0,
    ) -> ChunkProgress:
        """Done: ``points`` written, ``kept`` not written because the stored ones are newer,
        ``unchanged`` not written because they are stored as they are, ``holes`` found in
        the answer."""
        return self._to(
            ChunkStatus.DONE,
            points_written=self.points_written + points,
            points_kept=self.points_kept + kept,
            points_unchanged=self.points_unchanged + unchanged,
            holes=holes,
            requests=self.requests + requests,
            attempts=self.attempts + attempts,
            last_error=None,
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
        )

    def fail(self, error: str, requests: int, attempts: int, now: datetime) -> ChunkProgress:
        return self._to(
            ChunkStatus.FAILED,
            last_error=error,
            requests=self.requests + requests,
            attempts=self.attempts + attempts,
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
        )

    def split(self, reason: str, requests: int, attempts: int, now: datetime) -> ChunkProgress:
        """Replaced by children that fit: ``reason`` is what the source said, and the requests
        and attempts spent on the refused interval stay counted here."""
        return self._to(
            ChunkStatus.SPLIT,
            last_error=reason,
            requests=self.requests + requests,
            attempts=self.attempts + attempts,
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
        )

    def expire(self, now: datetime) -> ChunkProgress:
        """Return an in-flight chunk whose lease ran out to the pending pool."""
        if self.lease_live(now):
            raise IllegalTransition(f"chunk {self.id}", "in_flight (lease live)", "pending")
        return self._to(
            ChunkStatus.PENDING, lease_owner=None, lease_expires_at=None, updated_at=now
        )

    def release(self, now: datetime, *, requests: int = 0) -> ChunkProgress:
        """The lease holder gives an in-flight chunk back to the pending pool early.

        ``requests`` sent for it meanwhile are counted; its attempts are not.
        """
        return self._to(
            ChunkStatus.PENDING,
            requests=self.requests + requests,
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
        )

    def retry(self, now: datetime) -> ChunkProgress:
        """A failed chunk goes back to pending on resume."""
        if self.status is not ChunkStatus.FAILED:
            raise IllegalTransition(f"chunk {self.id}", self.status.value, "pending (retry)")
        return self._to(ChunkStatus.PENDING, updated_at=now)

    def cancel(self, now: datetime) -> ChunkProgress:
        return self._to(
            ChunkStatus.CANCELLED, lease_owner=None, lease_expires_at=None, updated_at=now
        )


def split_children(
    parent: ChunkProgress, pieces: Sequence[Interval], now: datetime
) -> list[ChunkProgress]:
    """The pending chunks that replace ``parent``, one per piece of its interval.

    Their ids are the parent's with ``.1``, ``.2`` … appended, so a chunk's lineage reads from
    its id, and splitting the same chunk twice could not add its children twice.
    """
    if len(pieces) < 2:
        raise IllegalTransition(f"chunk {parent.id}", parent.status.value, "split in one piece")
    covered = Interval(pieces[0].start, pieces[-1].end)
    contiguous = all(a.end == b.start for a, b in itertools.pairwise(pieces))
    if covered != parent.chunk.interval or not contiguous:
        raise IllegalTransition(
            f"chunk {parent.id}", str(parent.chunk.interval), f"pieces that cover {covered}"
        )
    return [
        ChunkProgress(
            f"{parent.id}.{number}",
            parent.job_id,
            attrs.evolve(parent.chunk, interval=piece),
            updated_at=now,
            parent_id=parent.id,
        )
        for number, piece in enumerate(pieces, start=1)
    ]


@attrs.frozen
class ChunkCounts:
    """Counters of a job, all derived from its chunks."""

    by_status: Mapping[ChunkStatus, int] = attrs.field(factory=dict)
    points_written: int = 0
    requests: int = 0
    live_leases: int = 0
    points_kept: int = 0
    holes: int = 0
    """Holes found in the answers of the job's chunks."""
    points_unchanged: int = 0

    @classmethod
    def of(cls, chunks: Iterable[ChunkProgress], now: datetime) -> ChunkCounts:
        by_status = dict.fromkeys(ChunkStatus, 0)
        points = requests = live = kept = holes = unchanged = 0
        for chunk in chunks:
            by_status[chunk.status] += 1
            points += chunk.points_written
            requests += chunk.requests
            live += chunk.lease_live(now)
            kept += chunk.points_kept
            holes += chunk.holes
            unchanged += chunk.points_unchanged
        return cls(by_status, points, requests, live, kept, holes, unchanged)

    def __getitem__(self, status: ChunkStatus) -> int:
        return self.by_status.get(status, 0)

    @property
    def total(self) -> int:
        """Chunks of the job's work; a split chunk's work is its children's, so not it."""
        return sum(n for status, n in self.by_status.items() if status is not ChunkStatus.SPLIT)

    @property
    def split(self) -> int:
        """Chunks replaced by smaller ones after a refusal."""
        return self[ChunkStatus.SPLIT]

    @property
    def open(self) -> int:
        """Chunks that still have work to do."""
        return self[ChunkStatus.PENDING] + self[ChunkStatus.IN_FLIGHT]


class JobKind(enum.Enum):
    BACKFILL = "backfill"
    GAP_FILL = "gap_fill"


@attrs.frozen
class BackfillJob:
    """A backfill: what it was asked for, and its status."""

    id: str
    created_at: datetime
    period: Interval
    datasets: tuple[str, ...]
    areas: tuple[str, ...]
    span: ChunkSpan | None = None
    """The user's cap on the chunk span; ``None``: chunks as long as the limits allow."""
    kind: JobKind = JobKind.BACKFILL
    status: JobStatus = JobStatus.PENDING
    started_at: datetime | None = None
    finished_at: datetime | None = None
    version: int = 0

    def to(self, target: JobStatus, now: datetime) -> BackfillJob:
        if target not in JOB_TRANSITIONS[self.status]:
            raise IllegalTransition(f"job {self.id}", self.status.value, target.value)
        finished = now if target in _TERMINAL_OR_FAILED else None
        started = self.started_at or (now if target is JobStatus.IN_PROGRESS else None)
        return attrs.evolve(self, status=target, started_at=started, finished_at=finished)

    def settle(self, counts: ChunkCounts, now: datetime) -> BackfillJob:
        """The status that follows from the chunks of a running job."""
        if self.status is not JobStatus.IN_PROGRESS or counts.open:
            return self
        if counts[ChunkStatus.FAILED]:
            return self.to(JobStatus.FAILED, now)
        return self.to(JobStatus.COMPLETED, now)

    def check_resumable(self) -> bool:
        """Whether resuming has anything to do; a cancelled job cannot be resumed at all."""
        if self.status is JobStatus.CANCELLED:
            raise IllegalTransition(
                f"job {self.id}", self.status.value, JobStatus.IN_PROGRESS.value
            )
        return self.status is not JobStatus.COMPLETED

    @property
    def is_active(self) -> bool:
        return self.status is JobStatus.IN_PROGRESS


_TERMINAL_OR_FAILED = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})
