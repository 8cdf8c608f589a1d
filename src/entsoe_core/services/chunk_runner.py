"""The chunk runner: claims chunks, fetches them, and commits or fails each one.

Each chunk runs the same way, whoever runs it (``entsoe backfill``, ``entsoe resume``, a worker,
the HTTP API): claim it with a lease in a short transaction; fetch it with no transaction open,
retrying transient failures with backoff and obeying rate limits; check the answer against the
request; then one unit of work upserts its observations, records its coverage entry and moves
its progress row, and commits. The runner is the one owner of retries and of bans: the source
classifies what went wrong, the runner decides what happens next.

No chunk is left in flight by what goes wrong. An unexpected error in a chunk (a bug, a parser
overflow, a database refusal) fails that chunk with the error recorded on it, and the other
chunks go on. A lost database connection is transient: each database step of a chunk (claim,
lease renewal, rate budget, commit) is tried again on a new connection, with backoff, for as
long as the retry policy waits for the database; past that the run ends and hands its chunks
back to the pending pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import ParamSpec, TypeVar

import attrs

from entsoe_core.areas import AreaKey
from entsoe_core.coverage import RecheckPolicy
from entsoe_core.errors import (
    EntsoeBackfillError,
    LeaseLost,
    PermanentSourceError,
    RateLimited,
    RequestTooLong,
    SourceUnavailable,
    StorageError,
    TooManyInstances,
    TransientSourceError,
    TransientStorageError,
    UnstorableData,
)
from entsoe_core.holes import answer_entry
from entsoe_core.observer import NullObserver, RequestOutcome, RunObserverPort
from entsoe_core.plan import ChunkPolicy
from entsoe_core.ports import (
    AbstractUnitOfWork,
    ChunkData,
    ClockPort,
    MarketDataSourcePort,
    RateLimiterPort,
    SourceAnswer,
    SourceBreakerPort,
    UnitOfWorkFactory,
)
from entsoe_core.progress import BackfillJob, ChunkProgress, ChunkStatus, JobStatus
from entsoe_core.services.outage import OutageGuard, Turn
from entsoe_core.services.retry import RetryPolicy
from entsoe_core.services.splitting import ChunkSplitter, FirstRequests
from entsoe_core.validation import check_answer
from entsoe_core.versions import UpsertResult

__all__ = ["ChunkListener", "ChunkRunner", "RunLimits", "default_owner"]

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")

ChunkListener = Callable[[ChunkProgress], None]
"""Called with each chunk's final state (done, failed or split) as soon as it is committed."""


@attrs.frozen
class RunLimits:
    """Concurrency and lease settings of a run."""

    max_requests_in_flight: int = attrs.field(
        default=4, validator=attrs.validators.in_(range(1, 65))
    )
    max_concurrent_areas: int = attrs.field(
        default=4, validator=attrs.validators.in_(range(1, 1001))
    )
    lease: timedelta = timedelta(minutes=2)
    idle_poll_seconds: float = 1.0


def default_owner() -> str:
    return f"worker-{uuid.uuid4().hex[:8]}"


class ChunkRunner:
    """Runs the chunks of one job, or (as a worker) of every active job, with bounded
    concurrency: requests in flight, areas at once, a lease per chunk."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        source: MarketDataSourcePort,
        clock: ClockPort,
        limiter: RateLimiterPort,
        *,
        retry: RetryPolicy | None = None,
        limits: RunLimits | None = None,
        recheck: RecheckPolicy | None = None,
        rng: random.Random | None = None,
        owner: str | None = None,
        breaker: SourceBreakerPort | None = None,
        observer: RunObserverPort | None = None,
    ) -> None:
        self._uow = uow
        self._observer = observer or NullObserver()
        self._recheck = recheck or RecheckPolicy()
        self._source = source
        self._outage = OutageGuard(breaker, clock)
        self._clock = clock
        self._limiter = limiter
        self._retry = retry or RetryPolicy()
        self._limits = limits or RunLimits()
        self._rng = rng or random.Random()
        self.owner = owner or default_owner()
        self._claim_lock = asyncio.Lock()
        self._active_areas: Counter[AreaKey] = Counter()
        self._splitter = ChunkSplitter(uow, clock, self.settle)
        self._first_requests = FirstRequests()
        # How each claimed chunk must be cut, read with its claim (see _claim_once).
        self._policies: dict[str, ChunkPolicy] = {}

    async def run_chunks(
        self,
        job_id: str | None,
        on_chunk: ChunkListener | None = None,
        *,
        follow: bool = False,
        stop: asyncio.Event | None = None,
    ) -> None:
        """Run the chunks of ``job_id`` (every active job's with ``None``) until none is left;
        with ``follow``, keep polling for new work until ``stop`` is set."""
        await self._work(job_id, on_chunk, follow=follow, stop=stop)

    async def settle(self, uow: AbstractUnitOfWork, job: BackfillJob) -> BackfillJob:
        """Store the status the job's chunks give it, in ``uow``; the job as stored."""
        # Nothing follows from the chunks while some are still to run: one probe of an index
        # says so, where counting every chunk of a large job on each commit would not scale.
        if job.status is not JobStatus.IN_PROGRESS or await uow.progress.has_open(job.id):
            return job
        settled = job.settle(
            await uow.progress.counts(job.id, self._clock.now()), self._clock.now()
        )
        if settled is job:
            return job
        return await uow.progress.save_job(settled)

    async def _settle(self, job_id: str) -> None:
        # A concurrent settle by another worker may win the version race; then all is well.
        # With the database out of reach, the next reader settles the job (status() does).
        with contextlib.suppress(LeaseLost, TransientStorageError):
            async with self._uow() as uow:
                await self.settle(uow, await uow.progress.get_job(job_id))
                await uow.commit()

    async def persist(
        self, operation: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run one database step of a run, again on a new connection while the database is lost.

        The waits between tries follow the retry policy, through the clock, for at most its
        ``storage_outage_seconds``; then the :class:`TransientStorageError` stands.
        """
        failures = 0
        give_up_at: datetime | None = None
        while True:
            try:
                return await operation(*args, **kwargs)
            except TransientStorageError as error:
                now = self._clock.now()
                if give_up_at is None:
                    give_up_at = now + timedelta(seconds=self._retry.storage_outage_seconds)
                if now >= give_up_at:
                    raise
                failures += 1
                wait = min(
                    self._retry.delay(failures, self._rng), (give_up_at - now).total_seconds()
                )
                log.warning("%s; trying again in %.1f s", error, wait)
                await self._clock.sleep(wait)

    # -- the run loop -------------------------------------------------------------------

    async def _work(
        self,
        job_id: str | None,
        on_chunk: ChunkListener | None,
        *,
        follow: bool,
        stop: asyncio.Event | None = None,
    ) -> None:
        touched: set[str] = set() if job_id is None else {job_id}

        async def lane() -> None:
            while stop is None or not stop.is_set():
                turn = await self.persist(self._outage.turn)
                if turn is Turn.WAITED:
                    continue
                claimed = await self.persist(self._claim, job_id)
                if claimed is None:
                    if not follow and not await self.persist(self._others_still_running, job_id):
                        return
                    await self._clock.sleep(self._limits.idle_poll_seconds)
                    continue
                touched.add(claimed.job_id)
                claimed_at = self._clock.now()
                try:
                    finished = await self._execute(claimed, probe=turn is Turn.PROBE)
                finally:
                    self._release_area(claimed.chunk.area)
                if finished is not None:
                    seconds = (self._clock.now() - claimed_at).total_seconds()
                    self._observer.finished(finished, seconds)
                if finished is not None and on_chunk is not None:
                    on_chunk(finished)

        lanes = [asyncio.create_task(lane()) for _ in range(self._limits.max_requests_in_flight)]
        try:
            await asyncio.gather(*lanes)
        finally:
            # A lane already being cancelled is handing its chunk back; cancelling it again
            # would abandon the chunk in flight until its lease runs out.
            for task in lanes:
                if not task.cancelling():
                    task.cancel()
            await asyncio.gather(*lanes, return_exceptions=True)
            for touched_id in touched:
                await asyncio.shield(self._settle(touched_id))

    async def _others_still_running(self, job_id: str | None) -> bool:
        """Whether chunks are still in flight (here or elsewhere) that may yet need taking over.

        For one job: that job's chunks. For a worker (no job): those of every active job.
        """
        async with self._uow(reading=True) as uow:
            if job_id is None:
                jobs = await uow.progress.list_jobs((JobStatus.IN_PROGRESS,))
            else:
                jobs = [await uow.progress.get_job(job_id)]
            for job in jobs:
                counts = await uow.progress.counts(job.id, self._clock.now())
                if job.is_active and counts[ChunkStatus.IN_FLIGHT] > 0:
                    return True
        return False

    async def _claim(self, job_id: str | None) -> ChunkProgress | None:
        # A cancellation must not strike between the claim's commit and the caller learning
        # of it: the chunk would stay leased to nobody until the lease expires. So the claim
        # finishes, and a chunk claimed for a cancelled caller is handed back at once.
        claiming = asyncio.ensure_future(self._claim_once(job_id))
        try:
            return await asyncio.shield(claiming)
        except asyncio.CancelledError:
            claimed = None
            # A claim that failed meanwhile left nothing to hand back.
            with contextlib.suppress(StorageError):
                claimed = await claiming
            if claimed is not None:
                self._policies.pop(claimed.id, None)
                self._release_area(claimed.chunk.area)
                await self._give_back(claimed)
            raise

    async def _claim_once(self, job_id: str | None) -> ChunkProgress | None:
        async with self._claim_lock:
            areas = None
            if len(self._active_areas) >= self._limits.max_concurrent_areas:
                areas = set(self._active_areas)
            async with self._uow() as uow:
                claimed = await uow.progress.claim_next(
                    self.owner,
                    self._clock.now(),
                    self._limits.lease,
                    job_id=job_id,
                    areas=areas,
                )
                # Read here rather than in a transaction of its own per chunk; not for a
                # dataset not yet answered, whose first refusal may teach a limit meanwhile.
                if claimed is not None and self._first_requests.answered(claimed.chunk.dataset):
                    self._policies[claimed.id] = await self._splitter.policy(uow, claimed)
                await uow.commit()
            if claimed is not None:
                self._active_areas[claimed.chunk.area] += 1
            return claimed

    def _release_area(self, area: AreaKey) -> None:
        self._active_areas[area] -= 1
        if self._active_areas[area] <= 0:
            del self._active_areas[area]

    async def _execute(self, claimed: ChunkProgress, *, probe: bool) -> ChunkProgress | None:
        """Fetch and commit one chunk; ``None`` if the chunk was lost to another worker or
        waits for the source.

        The chunk leaves here done, failed with its error recorded (an unexpected one too),
        or, when the run is cancelled or cannot go on, or the source is unavailable, handed
        back to the pending pool. ``probe``: the breaker's probe is due, and this chunk may
        be it.
        """
        tally = _Tally(claimed, probe=probe)
        try:
            try:
                async with self._first_requests.turn(claimed.chunk.dataset):
                    return await self._fetch_and_commit(tally)
            except (LeaseLost, TransientStorageError):
                raise
            except Exception as error:
                # None of the failures planned for: a bug, a parser overflow, a database that
                # refuses the data. The chunk fails with it, and the other chunks go on.
                # One line in the log; the traceback too when the log is verbose.
                reason = _unexpected(error)
                where = log.isEnabledFor(logging.INFO)
                log.error("chunk %s failed: %s", tally.chunk.chunk, reason, exc_info=where)
                return await self.persist(self._fail_tally, tally, reason)
        except LeaseLost as error:
            log.warning("chunk %s abandoned: %s", claimed.id, error)
            return None
        except (asyncio.CancelledError, Exception):
            # Cancelled, the database out of reach for too long, or the failure could not be
            # recorded: the chunk goes back at once rather than staying in flight until its
            # lease expires. The requests answered for it are counted; one cut off before its
            # answer may never have reached the source.
            await asyncio.shield(self._give_back(tally.chunk, requests=tally.answered))
            raise

    async def _fetch_and_commit(self, tally: _Tally) -> ChunkProgress | None:
        policy = self._policies.pop(tally.chunk.id, None)
        refitted = await self.persist(self._splitter.fit, tally.chunk, policy)
        if refitted is not None:
            return refitted
        while True:
            await self.persist(self._limiter.acquire)
            if tally.requests or self._lease_aging(tally.chunk):
                # Waiting (backoff, a ban, the budget) may have outlived the lease: renew it,
                # or learn that another lane or worker took the chunk over, before spending a
                # request on it.
                tally.chunk = await self.persist(self._renew, tally.chunk)
            if not await self.persist(self._outage.clear_to_send, tally.probe):
                return await self.persist(self._hold, tally)
            tally.probe = False
            tally.requests += 1
            tally.attempts += 1
            try:
                # Checked before any unit of work opens: a document fault (a permanent error)
                # fails the chunk, and nothing of the answer is written.
                answer = check_answer(
                    tally.chunk.chunk, await self._source.fetch(tally.chunk.chunk)
                )
            except RateLimited as error:
                self._observed(tally, RequestOutcome.RATE_LIMITED)
                self._observer.banned(self._clock.now(), error.until)
                tally.attempts -= 1
                tally.rate_waits += 1
                await self.persist(self._limiter.ban_until, error.until)
                if tally.rate_waits > self._retry.max_rate_limit_waits:
                    return await self.persist(self._fail_tally, tally, f"still {error}")
                continue
            except TransientSourceError as error:
                self._observed(tally, RequestOutcome.TRANSIENT)
                if isinstance(error, SourceUnavailable) and await self.persist(
                    self._outage.failed, error
                ):
                    return await self.persist(self._hold, tally)
                if tally.attempts >= self._retry.attempts:
                    reason = f"gave up after {tally.attempts} attempts: {error}"
                    return await self.persist(self._fail_tally, tally, reason)
                self._observer.retrying(tally.chunk.job_id, tally.chunk.chunk, str(error))
                await self._clock.sleep(self._retry.delay(tally.attempts, self._rng))
                continue
            except (RequestTooLong, TooManyInstances) as error:
                self._observed(tally, RequestOutcome.REFUSED)
                return await self.persist(
                    self._splitter.refused, tally.chunk, error, tally.requests, tally.attempts
                )
            except PermanentSourceError as error:
                self._observed(tally, RequestOutcome.REFUSED)
                return await self.persist(self._fail_tally, tally, str(error))
            except TransientStorageError as error:
                # The source lost the database while taking a token for a re-send. Not the
                # chunk's fault: the next round takes a token again, and that
                # waits for the database as long as the retry policy allows.
                tally.attempts -= 1
                log.warning("chunk %s: %s", tally.chunk.chunk, error)
                await self._clock.sleep(self._retry.delay(1, self._rng))
                continue
            self._observed(
                tally,
                RequestOutcome.OK if isinstance(answer, ChunkData) else RequestOutcome.NO_DATA,
            )
            await self.persist(self._outage.succeeded)
            try:
                return await self.persist(
                    self._commit, tally.chunk, answer, tally.requests, tally.attempts
                )
            except UnstorableData as error:
                return await self.persist(self._fail_tally, tally, f"cannot store: {error}")

    def _observed(self, tally: _Tally, outcome: RequestOutcome) -> None:
        tally.answered += 1
        self._observer.requested(tally.chunk.job_id, tally.chunk.chunk, outcome)

    def _lease_aging(self, chunk: ChunkProgress) -> bool:
        expires = chunk.lease_expires_at
        return expires is None or expires - self._clock.now() < self._limits.lease * 0.75

    async def _renew(self, chunk: ChunkProgress) -> ChunkProgress:
        async with self._uow() as uow:
            renewed = await uow.progress.save_chunk(
                chunk.renew(self._clock.now(), self._limits.lease)
            )
            await uow.commit()
        return renewed

    async def _give_back(self, chunk: ChunkProgress, *, requests: int = 0) -> None:
        """Return an interrupted chunk to the pending pool at once (it keeps no lease), with
        the ``requests`` spent on it counted.

        The stored row is read again: the interruption may have struck after a lease renewal
        committed, so the version in hand may be stale. Only a chunk still leased to this
        service's owner is handed back.
        """
        with contextlib.suppress(EntsoeBackfillError):
            async with self._uow() as uow:
                for current in await uow.progress.get_chunks(
                    chunk.job_id, (ChunkStatus.IN_FLIGHT,)
                ):
                    if current.id == chunk.id and current.lease_owner == self.owner:
                        released = current.release(self._clock.now(), requests=requests)
                        await uow.progress.save_chunk(released)
                await uow.commit()

    async def _hold(self, tally: _Tally) -> None:
        """The source is unavailable: the chunk waits in the pending pool, its requests
        counted, its attempts not, so that no outage, however long, fails it."""
        async with self._uow() as uow:
            await uow.progress.save_chunk(
                tally.chunk.release(self._clock.now(), requests=tally.requests)
            )
            await uow.commit()
        log.debug("chunk %s waits for the source", tally.chunk.chunk)

    async def _commit(
        self, chunk: ChunkProgress, answer: SourceAnswer, requests: int, attempts: int
    ) -> ChunkProgress:
        now = self._clock.now()
        target = chunk.chunk
        # What arrived is stored even with holes; its coverage entry records them.
        entry = answer_entry(target, answer, now)
        async with self._uow() as uow:
            stored = UpsertResult()
            if isinstance(answer, ChunkData):
                stored = await uow.store.upsert(target.dataset, target.area, answer.series)
            if entry.holes:
                earlier = await uow.store.coverage(target.dataset, target.area, target.interval)
                entry = self._recheck.accept_holes(entry, earlier.entries)
            await uow.store.record_coverage(target.dataset, target.area, entry)
            done = await uow.progress.save_chunk(
                chunk.complete(
                    stored.written,
                    requests,
                    attempts,
                    now,
                    kept=stored.kept_newer,
                    unchanged=stored.unchanged,
                    holes=len(entry.holes),
                )
            )
            await self.settle(uow, await uow.progress.get_job(chunk.job_id))
            await uow.commit()
        return done

    async def _fail_tally(self, tally: _Tally, reason: str) -> ChunkProgress:
        return await self._fail(tally.chunk, reason, tally.requests, tally.attempts)

    async def _fail(
        self, chunk: ChunkProgress, reason: str, requests: int, attempts: int
    ) -> ChunkProgress:
        now = self._clock.now()
        async with self._uow() as uow:
            failed = await uow.progress.save_chunk(chunk.fail(reason, requests, attempts, now))
            await self.settle(uow, await uow.progress.get_job(chunk.job_id))
            await uow.commit()
        log.info("chunk %s failed: %s", chunk.chunk, reason)
        return failed


@attrs.define
class _Tally:
    """One chunk's run so far: the chunk as last stored, and what was spent on it."""

    chunk: ChunkProgress
    probe: bool = False
    requests: int = 0
    answered: int = 0
    attempts: int = 0
    rate_waits: int = 0


def _unexpected(error: Exception) -> str:
    """What a chunk records of an error nobody planned for."""
    if isinstance(error, StorageError):
        return f"database error: {error}"
    return f"unexpected error: {type(error).__name__}: {error}"
