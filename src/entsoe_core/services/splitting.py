"""Splitting refused chunks: the source's refusals teach limits, and chunks are cut to fit.

When the source refuses a chunk's interval as too long, the limit it named is learned for the
dataset (kept in the database for every later plan of every worker), and the chunk is replaced
by children cut along the calendar cells that fit the job's cap and every limit learned. If
that leaves one piece (the refusal named no limit, or the chunk already fits the one named),
the chunk is halved at a UTC day boundary instead, and a refusal of a child halves it again. A
refusal for naming too many instances halves the chunk in time the same way and teaches no
limit. A chunk of one day or less that is still refused fails with the refusal's text.

A claimed chunk that no longer fits what was learned since it was planned (another worker
learned it meanwhile) is split before any request is sent. Each split is one unit of work: the
learned limit, the parent marked split (fenced by its version) and its pending children commit
together or not at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from entsoe_core.datasets import DATASETS
from entsoe_core.errors import RequestTooLong, TooManyInstances
from entsoe_core.limits import LearnedLimit
from entsoe_core.plan import Chunk, ChunkPolicy, ChunkSpan
from entsoe_core.ports import AbstractUnitOfWork, ClockPort, UnitOfWorkFactory
from entsoe_core.progress import BackfillJob, ChunkProgress, split_children
from entsoe_core.timeline import Interval, floor_to_day

__all__ = ["ChunkSplitter", "FirstRequests", "Refusal", "halve", "pieces_after"]

log = logging.getLogger(__name__)

Refusal = RequestTooLong | TooManyInstances
"""The refusals a chunk is split for rather than failed."""

_DAY = timedelta(days=1)


class FirstRequests:
    """One chunk of a dataset at a time until the source has answered one of them in this run.

    A limit the catalogue does not know yet is then met by one request of the dataset, not by
    one per lane: the lanes behind it wait for its refusal, and their chunks fit what it taught
    (:meth:`ChunkSplitter.fit`) before anything is sent. Once a chunk of the dataset has been
    answered, its chunks run side by side again. (Each process learns this once; several
    workers starting at the same instant may each meet a new limit once.)
    """

    def __init__(self) -> None:
        self._answered: set[str] = set()
        self._turns: dict[str, asyncio.Lock] = {}

    def answered(self, dataset: str) -> bool:
        """Whether a chunk of ``dataset`` was answered in this run: its turn waits no more."""
        return dataset in self._answered

    @contextlib.asynccontextmanager
    async def turn(self, dataset: str) -> AsyncIterator[None]:
        if dataset not in self._answered:
            lock = self._turns.setdefault(dataset, asyncio.Lock())
            await lock.acquire()
            if dataset in self._answered:
                lock.release()
            else:
                try:
                    yield
                    # Reached when the chunk's run ended normally: done, failed, split or held.
                    self._answered.add(dataset)
                finally:
                    lock.release()
                return
        yield


def halve(interval: Interval) -> list[Interval] | None:
    """``interval`` cut in two at the UTC day boundary nearest its middle; ``None`` when it
    lasts one day or less (the shortest request worth sending)."""
    if interval.end - interval.start <= _DAY:
        return None
    middle = interval.start + (interval.end - interval.start) / 2
    before = floor_to_day(middle)
    # Longer than a day, so at least one of the two boundaries around the middle is inside.
    inside = [b for b in (before, before + _DAY) if interval.start < b < interval.end]
    cut = min(inside, key=lambda boundary: abs(boundary - middle))
    return [Interval(interval.start, cut), Interval(cut, interval.end)]


def pieces_after(chunk: Chunk, refusal: Refusal, policy: ChunkPolicy) -> list[Interval] | None:
    """The intervals that replace a refused chunk; ``None`` when it cannot be split further.

    Too long: cut along the cells that fit ``policy`` (which knows what was just learned), or
    halved when that leaves the chunk whole. Too many instances: halved.
    """
    if isinstance(refusal, RequestTooLong):
        cut = list(policy.cut(DATASETS.get(chunk.dataset), chunk.interval))
        if len(cut) > 1:
            return cut
    return halve(chunk.interval)


def policy_of(span: ChunkSpan | None, learned: Mapping[str, LearnedLimit]) -> ChunkPolicy:
    return ChunkPolicy(span, {key: limit.span for key, limit in learned.items()})


Settle = Callable[[AbstractUnitOfWork, BackfillJob], Awaitable[BackfillJob]]


class ChunkSplitter:
    """Replaces refused chunks, and chunks that outgrew what was learned, by chunks that fit."""

    def __init__(self, uow: UnitOfWorkFactory, clock: ClockPort, settle: Settle) -> None:
        self._uow = uow
        self._clock = clock
        self._settle = settle
        # A job's cap never changes, so each job is read once for it.
        self._spans: dict[str, ChunkSpan | None] = {}

    async def policy(self, uow: AbstractUnitOfWork, chunk: ChunkProgress) -> ChunkPolicy:
        """How ``chunk`` must be cut now: its job's cap and every limit learned, read in
        ``uow`` (the claim's own, so that :meth:`fit` needs no transaction of its own)."""
        if chunk.job_id not in self._spans:
            self._spans[chunk.job_id] = (await uow.progress.get_job(chunk.job_id)).span
        return policy_of(self._spans[chunk.job_id], await uow.limits.learned())

    async def refused(
        self, chunk: ChunkProgress, refusal: Refusal, requests: int, attempts: int
    ) -> ChunkProgress:
        """Learn from ``refusal`` and split ``chunk`` (or fail it, at one day), in one unit of
        work; the chunk as stored."""
        now = self._clock.now()
        target = chunk.chunk
        async with self._uow() as uow:
            job = await uow.progress.get_job(chunk.job_id)
            learned = await uow.limits.learned()
            if isinstance(refusal, RequestTooLong) and refusal.limit is not None:
                learned[target.dataset] = await uow.limits.learn(
                    LearnedLimit(target.dataset, refusal.limit, now, str(refusal))
                )
            pieces = pieces_after(target, refusal, policy_of(job.span, learned))
            if pieces is None:
                reason = f"{refusal} (refused even for one day; nothing left to split)"
                stored = await uow.progress.save_chunk(chunk.fail(reason, requests, attempts, now))
            else:
                stored = await self._split(
                    uow, chunk, str(refusal), pieces, now, requests, attempts
                )
            await self._settle(uow, job)
            await uow.commit()
        log.info("chunk %s refused (%s): %s", target, refusal, stored.status.value)
        return stored

    async def fit(
        self, chunk: ChunkProgress, policy: ChunkPolicy | None = None
    ) -> ChunkProgress | None:
        """Split a claimed chunk that no longer fits the limits learned since it was planned;
        ``None`` (nothing written) when it fits. ``policy``: as :meth:`policy` read it with
        the claim; without it, it is read now."""
        if policy is None:
            async with self._uow(reading=True) as uow:
                policy = await self.policy(uow, chunk)
        dataset = DATASETS.get(chunk.chunk.dataset)
        if policy.fits(dataset, chunk.chunk.interval):
            return None
        # Not fitting, it crosses a boundary of the cell that fits: at least two pieces.
        pieces = list(policy.cut(dataset, chunk.chunk.interval))
        limits = ", ".join(str(limit) for limit in policy.limits(dataset))
        reason = f"split before sending: longer than {dataset.key} requests may ask ({limits})"
        now = self._clock.now()
        async with self._uow() as uow:
            stored = await self._split(uow, chunk, reason, pieces, now, 0, 0)
            await self._settle(uow, await uow.progress.get_job(chunk.job_id))
            await uow.commit()
        log.info("chunk %s %s", chunk.chunk, reason)
        return stored

    @staticmethod
    async def _split(
        uow: AbstractUnitOfWork,
        chunk: ChunkProgress,
        reason: str,
        pieces: list[Interval],
        now: datetime,
        requests: int,
        attempts: int,
    ) -> ChunkProgress:
        parent = chunk.split(reason, requests, attempts, now)
        return await uow.progress.split_chunk(parent, split_children(parent, pieces, now))
