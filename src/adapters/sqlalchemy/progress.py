"""BackfillProgressPort on SQLAlchemy Core: jobs, chunks, leases and version fencing.

Several workers may share one PostgreSQL. A chunk is claimed with
``SELECT ... FOR UPDATE SKIP LOCKED`` (on SQLite the unit of work's ``BEGIN IMMEDIATE``
serialises claims instead), one job at a time along the index of open chunks, so that a claim
costs the same with a million chunks as with a hundred. Every update of a job or chunk is
fenced by its version: ``UPDATE ... WHERE id = :id AND version = :expected``. A worker whose
lease was taken over finds no row to update, raises :class:`~entsoe_core.errors.LeaseLost`,
and its whole unit of work (observations and coverage included) rolls back.

Plan order is insertion order, as in the memory twin: jobs by the sequence they were added in,
chunks by their position in the job's plan.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.errors import storage_errors
from adapters.sqlalchemy.store import AnyRow, ConnectionSource
from adapters.sqlalchemy.tables import ERRED_CHUNK, OPEN_CHUNK, chunks, jobs
from entsoe_core.areas import AreaKey
from entsoe_core.errors import InvalidRequest, LeaseLost, UnknownJob
from entsoe_core.plan import Chunk, ChunkSpan
from entsoe_core.progress import (
    BackfillJob,
    ChunkCounts,
    ChunkProgress,
    ChunkStatus,
    JobKind,
    JobStatus,
)
from entsoe_core.timeline import Interval

__all__ = ["SqlBackfillProgress"]


class SqlBackfillProgress:
    """Jobs and chunks in SQL; hands out frozen values, never rows bound to a connection."""

    def __init__(self, connection: ConnectionSource) -> None:
        self._connection = connection

    async def add_job(self, job: BackfillJob, chunk_list: Sequence[ChunkProgress]) -> None:
        conn = self._connection()
        with storage_errors(f"add job {job.id}"):
            exists = await conn.scalar(sa.select(jobs.c.id).where(jobs.c.id == job.id))
            if exists is not None:
                raise InvalidRequest(f"a job with id {job.id!r} exists already")
            await conn.execute(jobs.insert().values(**_job_values(job), version=job.version))
            if chunk_list:
                await conn.execute(
                    chunks.insert(),
                    [
                        {
                            **_chunk_values(chunk),
                            "id": chunk.id,
                            "job_id": chunk.job_id,
                            "position": position,
                            "version": chunk.version,
                        }
                        for position, chunk in enumerate(chunk_list)
                    ],
                )

    async def get_job(self, job_id: str) -> BackfillJob:
        with storage_errors(f"read job {job_id}"):
            row = (
                await self._connection().execute(sa.select(jobs).where(jobs.c.id == job_id))
            ).one_or_none()
        if row is None:
            raise UnknownJob(job_id)
        return _job_from_row(row)

    async def save_job(self, job: BackfillJob) -> BackfillJob:
        with storage_errors(f"save job {job.id}"):
            saved = await _fenced_update(
                self._connection(), jobs, job.id, job.version, _job_values(job)
            )
        if not saved:
            await self.get_job(job.id)
            raise LeaseLost(f"job {job.id} was changed by another process; read it again")
        return attrs.evolve(job, version=job.version + 1)

    async def list_jobs(
        self, statuses: Collection[JobStatus] | None = None, *, limit: int | None = None
    ) -> list[BackfillJob]:
        conn = self._connection()
        query = sa.select(jobs).order_by(
            jobs.c.created_at.desc(), _binary(conn.dialect.name, jobs.c.id).desc()
        )
        if statuses is not None:
            query = query.where(jobs.c.status.in_([s.value for s in statuses]))
        if limit is not None:
            query = query.limit(limit)
        with storage_errors("list jobs"):
            rows = (await conn.execute(query)).all()
        return [_job_from_row(row) for row in rows]

    async def job_counts(self) -> dict[JobStatus, int]:
        query = sa.select(jobs.c.status, sa.func.count()).group_by(jobs.c.status)
        with storage_errors("count the jobs"):
            rows = (await self._connection().execute(query)).all()
        counted = {JobStatus(status): int(count) for status, count in rows}
        return {status: counted.get(status, 0) for status in JobStatus}

    async def get_chunks(
        self, job_id: str, statuses: Collection[ChunkStatus] | None = None
    ) -> list[ChunkProgress]:
        query = sa.select(chunks).where(chunks.c.job_id == job_id).order_by(chunks.c.position)
        if statuses is not None:
            query = query.where(chunks.c.status.in_([s.value for s in statuses]))
        with storage_errors(f"read the chunks of job {job_id}"):
            rows = (await self._connection().execute(query)).all()
        return [_chunk_from_row(row) for row in rows]

    async def chunks_touching(
        self, dataset: str, area: AreaKey, period: Interval
    ) -> list[ChunkProgress]:
        conn = self._connection()
        c = chunks.c
        query = (
            sa.select(chunks)
            .join(jobs, jobs.c.id == c.job_id)
            .where(
                c.dataset == dataset,
                c.area == str(area),
                c.interval_start < period.end,
                c.interval_end > period.start,
            )
            .order_by(
                jobs.c.created_at.desc(),
                _binary(conn.dialect.name, jobs.c.id).desc(),
                c.position,
            )
        )
        with storage_errors(f"look up the chunks of {dataset} {area}"):
            rows = (await conn.execute(query)).all()
        return [_chunk_from_row(row) for row in rows]

    async def counts(self, job_id: str, now: datetime) -> ChunkCounts:
        c = chunks.c
        live = sa.case(
            (sa.and_(c.status == ChunkStatus.IN_FLIGHT.value, c.lease_expires_at > now), 1),
            else_=0,
        )
        query = (
            sa.select(
                c.status,
                sa.func.count().label("n"),
                sa.func.coalesce(sa.func.sum(c.points_written), 0).label("points"),
                sa.func.coalesce(sa.func.sum(c.points_kept), 0).label("kept"),
                sa.func.coalesce(sa.func.sum(c.points_unchanged), 0).label("unchanged"),
                sa.func.coalesce(sa.func.sum(c.holes), 0).label("holes"),
                sa.func.coalesce(sa.func.sum(c.requests), 0).label("requests"),
                sa.func.coalesce(sa.func.sum(live), 0).label("live"),
            )
            .where(c.job_id == job_id)
            .group_by(c.status)
        )
        with storage_errors(f"count the chunks of job {job_id}"):
            rows = (await self._connection().execute(query)).all()
        by_status = dict.fromkeys(ChunkStatus, 0)
        for row in rows:
            by_status[ChunkStatus(row.status)] = int(row.n)
        return ChunkCounts(
            by_status,
            sum(int(row.points) for row in rows),
            sum(int(row.requests) for row in rows),
            sum(int(row.live) for row in rows),
            sum(int(row.kept) for row in rows),
            sum(int(row.holes) for row in rows),
            sum(int(row.unchanged) for row in rows),
        )

    async def last_error(self, job_id: str) -> str | None:
        c = chunks.c
        query = (
            sa.select(c.last_error)
            # A split chunk's reason is a refusal its children answer, not an error of the job.
            .where(
                c.job_id == job_id,
                # The index's own predicate, as for OPEN_CHUNK in claims.
                ERRED_CHUNK,
                c.status != ChunkStatus.SPLIT.value,
            )
            .order_by(
                sa.case((c.updated_at.is_(None), 1), else_=0),
                c.updated_at.desc(),
                c.position,
            )
            .limit(1)
        )
        with storage_errors(f"read the last error of job {job_id}"):
            found: str | None = await self._connection().scalar(query)
        return found

    async def cancel_waiting(self, job_id: str, now: datetime) -> int:
        c = chunks.c
        # One statement for a job of any size; a chunk claimed meanwhile is no longer waiting
        # when PostgreSQL looks again after its lock, and is left to finish.
        update = (
            chunks.update()
            .where(
                c.job_id == job_id,
                c.status.in_([ChunkStatus.PENDING.value, ChunkStatus.FAILED.value]),
            )
            .values(
                status=ChunkStatus.CANCELLED.value,
                lease_owner=None,
                lease_expires_at=None,
                updated_at=now,
                version=c.version + 1,
            )
        )
        with storage_errors(f"cancel the waiting chunks of job {job_id}"):
            result = await self._connection().execute(update)
        return int(result.rowcount)

    async def retry_failed(self, job_id: str, now: datetime) -> int:
        c = chunks.c
        update = (
            chunks.update()
            .where(c.job_id == job_id, c.status == ChunkStatus.FAILED.value)
            .values(status=ChunkStatus.PENDING.value, updated_at=now, version=c.version + 1)
        )
        with storage_errors(f"put the failed chunks of job {job_id} back to pending"):
            result = await self._connection().execute(update)
        return int(result.rowcount)

    async def has_open(self, job_id: str) -> bool:
        # One probe of the index of open chunks, however many chunks the job has. Ordered by
        # position so that the planner takes the index: with LIMIT 1 alone it may scan the
        # table, expecting an open chunk soon, and read every done one ahead of the first.
        query = (
            sa.select(chunks.c.id)
            .where(chunks.c.job_id == job_id, OPEN_CHUNK)
            .order_by(chunks.c.position)
            .limit(1)
        )
        with storage_errors(f"look for chunks of job {job_id} still to run"):
            found = await self._connection().scalar(query)
        return found is not None

    async def claim_next(
        self,
        owner: str,
        now: datetime,
        lease: timedelta,
        *,
        job_id: str | None = None,
        areas: Collection[AreaKey] | None = None,
    ) -> ChunkProgress | None:
        values: dict[str, Any] = {
            "claim_owner": owner,
            "claim_now": now,
            "claim_expires": now + lease,
        }
        if areas is not None:
            values["claim_areas"] = [str(area) for area in areas]
        conn = self._connection()
        with storage_errors(f"claim a chunk for {owner}"):
            # Job by job, in the order they were added: each statement walks one job's open
            # chunks by position (ix_backfill_chunks_open) and takes the first it may, where
            # one over every job would sort all their open chunks first. The first job is
            # found inside the statement, so that a claim is one round trip to the database
            # while the first job has chunks to give.
            first = _claim_statement(named_job=job_id is not None, areas=areas is not None)
            row = (await conn.execute(first, {**values, "claim_job": job_id})).one_or_none()
            if row is None and job_id is None:
                others = (
                    sa.select(jobs.c.id)
                    .where(jobs.c.status == JobStatus.IN_PROGRESS.value)
                    .order_by(jobs.c.seq)
                    .offset(1)
                )
                named = _claim_statement(named_job=True, areas=areas is not None)
                for one in (await conn.scalars(others)).all():
                    row = (await conn.execute(named, {**values, "claim_job": one})).one_or_none()
                    if row is not None:
                        break
        return None if row is None else _chunk_from_row(row)

    async def save_chunk(self, chunk: ChunkProgress) -> ChunkProgress:
        conn = self._connection()
        with storage_errors(f"save chunk {chunk.id}"):
            saved = await _fenced_update(
                conn, chunks, chunk.id, chunk.version, _chunk_values(chunk)
            )
            if not saved:
                stored = (
                    await conn.execute(
                        sa.select(chunks.c.lease_owner).where(chunks.c.id == chunk.id)
                    )
                ).one_or_none()
                if stored is None:
                    raise InvalidRequest(f"no chunk with id {chunk.id!r}")
                raise LeaseLost(
                    f"chunk {chunk.id} ({chunk.chunk}) was taken over by "
                    f"{stored.lease_owner or 'another worker'}; this result is discarded"
                )
        return attrs.evolve(chunk, version=chunk.version + 1)

    async def split_chunk(
        self, parent: ChunkProgress, children: Sequence[ChunkProgress]
    ) -> ChunkProgress:
        saved = await self.save_chunk(parent)
        conn = self._connection()
        with storage_errors(f"add the chunks split from {parent.id}"):
            # The job's row is locked first, so that two workers splitting chunks of one job
            # at once on PostgreSQL take positions one after the other, never the same.
            await conn.execute(
                sa.select(jobs.c.id).where(jobs.c.id == parent.job_id).with_for_update()
            )
            last = await conn.scalar(
                sa.select(sa.func.max(chunks.c.position)).where(chunks.c.job_id == parent.job_id)
            )
            first = -1 if last is None else int(last)
            if children:
                await conn.execute(
                    chunks.insert(),
                    [
                        {
                            **_chunk_values(child),
                            "id": child.id,
                            "job_id": child.job_id,
                            "position": first + number,
                            "version": child.version,
                        }
                        for number, child in enumerate(children, start=1)
                    ],
                )
        return saved


@functools.cache
def _claim_statement(*, named_job: bool, areas: bool) -> sa.Update:
    """Claim the first chunk a claim may take, in one statement: the chunk as it is once
    claimed, or no row. Built once for each shape and sent with its values (named apart from
    every column, which an UPDATE would otherwise set): ``claim_job`` (the job named, else the
    first in progress), ``claim_now``, ``claim_owner``, ``claim_expires`` and ``claim_areas``.

    The first chunk of the job that is pending, or in flight with its lease run out, locked
    for the claim and skipping those another claim holds, is written as ``ChunkProgress.claim``
    writes it (after ``expire``, for one in flight: the same columns either way).
    """
    c = chunks.c
    now = sa.bindparam("claim_now", type_=c.updated_at.type)
    in_progress = jobs.c.status == JobStatus.IN_PROGRESS.value
    job = sa.select(jobs.c.id).where(in_progress)
    if named_job:
        job = job.where(jobs.c.id == sa.bindparam("claim_job"))
    else:
        job = job.order_by(jobs.c.seq)
    claimable = sa.or_(
        c.status == ChunkStatus.PENDING.value,
        sa.and_(
            c.status == ChunkStatus.IN_FLIGHT.value,
            sa.or_(c.lease_expires_at.is_(None), c.lease_expires_at <= now),
        ),
    )
    # OPEN_CHUNK is the index's own predicate, written out, so that the planner uses the
    # index even in a generic plan of a prepared statement (its parameters unknown).
    first = (
        sa.select(c.id)
        .where(c.job_id == job.limit(1).scalar_subquery(), OPEN_CHUNK, claimable)
        .order_by(c.position)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if areas:
        first = first.where(c.area.in_(sa.bindparam("claim_areas", expanding=True)))
    return (
        chunks.update()
        .where(c.id == first.scalar_subquery())
        .values(
            status=ChunkStatus.IN_FLIGHT.value,
            lease_owner=sa.bindparam("claim_owner", type_=c.lease_owner.type),
            lease_expires_at=sa.bindparam("claim_expires", type_=c.lease_expires_at.type),
            updated_at=now,
            version=c.version + 1,
        )
        .returning(*c)
    )


async def _fenced_update(
    conn: AsyncConnection, table: sa.Table, row_id: str, version: int, values: dict[str, Any]
) -> bool:
    """Update the row only if it still has ``version``, moving it to the next one.

    ``False`` when the row has moved on (or is gone): someone else saved it since it was read.
    """
    result = await conn.execute(
        table.update()
        .where(table.c.id == row_id, table.c.version == version)
        .values(**values, version=version + 1)
    )
    return bool(result.rowcount)


def _binary(dialect: str, column: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
    """Order text by code point, as Python does (SQLite's default; PostgreSQL needs "C")."""
    return column.collate("C") if dialect == "postgresql" else column


# -- values to rows and back ------------------------------------------------------------


def _job_values(job: BackfillJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "created_at": job.created_at,
        "period_start": job.period.start,
        "period_end": job.period.end,
        "datasets": json.dumps(list(job.datasets)),
        "areas": json.dumps(list(job.areas)),
        # The column is NOT NULL: an empty text is "no cap".
        "span": job.span.value if job.span is not None else "",
        "kind": job.kind.value,
        "status": job.status.value,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


def _job_from_row(row: AnyRow) -> BackfillJob:
    return BackfillJob(
        id=row.id,
        created_at=row.created_at,
        period=Interval(row.period_start, row.period_end),
        datasets=tuple(json.loads(row.datasets)),
        areas=tuple(json.loads(row.areas)),
        span=ChunkSpan(row.span) if row.span else None,
        kind=JobKind(row.kind),
        status=JobStatus(row.status),
        started_at=row.started_at,
        finished_at=row.finished_at,
        version=row.version,
    )


def _chunk_values(chunk: ChunkProgress) -> dict[str, Any]:
    """The columns of a chunk that change over its life (and those that identify its work)."""
    return {
        "dataset": chunk.chunk.dataset,
        "area": str(chunk.chunk.area),
        "interval_start": chunk.chunk.interval.start,
        "interval_end": chunk.chunk.interval.end,
        "status": chunk.status.value,
        "attempts": chunk.attempts,
        "requests": chunk.requests,
        "points_written": chunk.points_written,
        "points_kept": chunk.points_kept,
        "points_unchanged": chunk.points_unchanged,
        "holes": chunk.holes,
        "last_error": chunk.last_error,
        "lease_owner": chunk.lease_owner,
        "lease_expires_at": chunk.lease_expires_at,
        "updated_at": chunk.updated_at,
        "parent_id": chunk.parent_id,
    }


def _chunk_from_row(row: AnyRow) -> ChunkProgress:
    return ChunkProgress(
        id=row.id,
        job_id=row.job_id,
        chunk=Chunk(
            dataset=row.dataset,
            area=AreaKey.parse(row.area),
            interval=Interval(row.interval_start, row.interval_end),
        ),
        status=ChunkStatus(row.status),
        attempts=row.attempts,
        requests=row.requests,
        points_written=row.points_written,
        points_kept=row.points_kept,
        points_unchanged=row.points_unchanged,
        holes=row.holes,
        last_error=row.last_error,
        lease_owner=row.lease_owner,
        lease_expires_at=row.lease_expires_at,
        version=row.version,
        updated_at=row.updated_at,
        parent_id=row.parent_id,
    )
