"""In-memory BackfillProgressPort: the reference twin of the SQL progress tables."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

import attrs

from adapters.memory.database import OverlayTable
from entsoe_core.areas import AreaKey
from entsoe_core.errors import InvalidRequest, LeaseLost, UnknownJob
from entsoe_core.progress import BackfillJob, ChunkCounts, ChunkProgress, ChunkStatus, JobStatus
from entsoe_core.timeline import Interval

_OPEN = frozenset({ChunkStatus.PENDING, ChunkStatus.IN_FLIGHT})


class MemoryBackfillProgress:
    """Jobs and chunks in dicts, with the same fencing rules as the SQL adapter."""

    def __init__(
        self,
        jobs: OverlayTable[str, BackfillJob],
        chunks: OverlayTable[str, ChunkProgress],
    ) -> None:
        self._jobs = jobs
        self._chunks = chunks

    async def add_job(self, job: BackfillJob, chunks: Sequence[ChunkProgress]) -> None:
        if job.id in self._jobs:
            raise InvalidRequest(f"a job with id {job.id!r} exists already")
        self._jobs[job.id] = job
        for chunk in chunks:
            self._chunks[chunk.id] = chunk

    async def get_job(self, job_id: str) -> BackfillJob:
        job = self._jobs.get(job_id)
        if job is None:
            raise UnknownJob(job_id)
        return job

    async def save_job(self, job: BackfillJob) -> BackfillJob:
        stored = await self.get_job(job.id)
        if stored.version != job.version:
            raise LeaseLost(f"job {job.id} was changed by another process; read it again")
        saved = attrs.evolve(job, version=job.version + 1)
        self._jobs[job.id] = saved
        return saved

    async def list_jobs(
        self, statuses: Collection[JobStatus] | None = None, *, limit: int | None = None
    ) -> list[BackfillJob]:
        jobs = [j for j in self._jobs.values() if statuses is None or j.status in statuses]
        return sorted(jobs, key=lambda j: (j.created_at, j.id), reverse=True)[:limit]

    async def job_counts(self) -> dict[JobStatus, int]:
        counted = Counter(job.status for job in self._jobs.values())
        return {status: counted[status] for status in JobStatus}

    async def get_chunks(
        self, job_id: str, statuses: Collection[ChunkStatus] | None = None
    ) -> list[ChunkProgress]:
        return [
            c
            for c in self._chunks.values()
            if c.job_id == job_id and (statuses is None or c.status in statuses)
        ]

    async def chunks_touching(
        self, dataset: str, area: AreaKey, period: Interval
    ) -> list[ChunkProgress]:
        found: list[ChunkProgress] = []
        for job in await self.list_jobs():
            found.extend(
                chunk
                for chunk in await self.get_chunks(job.id)
                if chunk.chunk.dataset == dataset
                and chunk.chunk.area == area
                and chunk.chunk.interval.overlaps(period)
            )
        return found

    async def counts(self, job_id: str, now: datetime) -> ChunkCounts:
        return ChunkCounts.of(await self.get_chunks(job_id), now)

    async def cancel_waiting(self, job_id: str, now: datetime) -> int:
        waiting = await self.get_chunks(job_id, (ChunkStatus.PENDING, ChunkStatus.FAILED))
        for chunk in waiting:
            await self.save_chunk(chunk.cancel(now))
        return len(waiting)

    async def retry_failed(self, job_id: str, now: datetime) -> int:
        failed = await self.get_chunks(job_id, (ChunkStatus.FAILED,))
        for chunk in failed:
            await self.save_chunk(chunk.retry(now))
        return len(failed)

    async def has_open(self, job_id: str) -> bool:
        return any(c.status in _OPEN for c in await self.get_chunks(job_id))

    async def last_error(self, job_id: str) -> str | None:
        # A split chunk's reason is a refusal its children answer, not an error of the job.
        failed = [
            c
            for c in await self.get_chunks(job_id)
            if c.last_error is not None and c.status is not ChunkStatus.SPLIT
        ]
        if not failed:
            return None
        return max(failed, key=lambda c: (c.updated_at is not None, c.updated_at)).last_error

    async def claim_next(
        self,
        owner: str,
        now: datetime,
        lease: timedelta,
        *,
        job_id: str | None = None,
        areas: Collection[AreaKey] | None = None,
    ) -> ChunkProgress | None:
        active = {
            j.id
            for j in self._jobs.values()
            if j.status is JobStatus.IN_PROGRESS and (job_id is None or j.id == job_id)
        }
        for chunk in self._chunks.values():
            if chunk.job_id not in active:
                continue
            if areas is not None and chunk.chunk.area not in areas:
                continue
            if chunk.status is ChunkStatus.IN_FLIGHT and not chunk.lease_live(now):
                chunk = chunk.expire(now)
            elif chunk.status is not ChunkStatus.PENDING:
                continue
            claimed = attrs.evolve(chunk.claim(owner, now, lease), version=chunk.version + 1)
            self._chunks[chunk.id] = claimed
            return claimed
        return None

    async def save_chunk(self, chunk: ChunkProgress) -> ChunkProgress:
        stored = self._chunks.get(chunk.id)
        if stored is None:
            raise InvalidRequest(f"no chunk with id {chunk.id!r}")
        if stored.version != chunk.version:
            raise LeaseLost(
                f"chunk {chunk.id} ({chunk.chunk}) was taken over by "
                f"{stored.lease_owner or 'another worker'}; this result is discarded"
            )
        saved = attrs.evolve(chunk, version=chunk.version + 1)
        self._chunks[chunk.id] = saved
        return saved

    async def split_chunk(
        self, parent: ChunkProgress, children: Sequence[ChunkProgress]
    ) -> ChunkProgress:
        saved = await self.save_chunk(parent)
        for child in children:
            if child.id in self._chunks:
                raise InvalidRequest(f"a chunk with id {child.id!r} exists already")
            self._chunks[child.id] = child
        return saved
