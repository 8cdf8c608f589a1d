"""The composition root: settings -> engine, HTTP source -> adapters -> services.

Nothing is built at import time. :func:`application` is an async context manager: it creates
the engine and (when asked for) the HTTP source inside it, registers them as instances in a
punq container with the adapters and services built on them, and disposes of them on the way
out. Units of work come from a factory, one per chunk; none is shared.

The HTTP source and the XML reader (httpx, lxml) are imported by the commands that fetch or
import, not by every command that builds an application.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable, Iterator, Mapping

import attrs
import punq
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.cron import CronsimNextDue
from adapters.observability import LogObserver, PrometheusObserver
from adapters.sqlalchemy import (
    SchemaGate,
    SqlRateLimiter,
    SqlSourceBreaker,
    SqlUnitOfWorkFactory,
    create_engine,
)
from adapters.sqlalchemy.engine import check_database_url
from adapters.sqlalchemy.schedule import SqlScheduleStore
from adapters.system import SystemClock
from entrypoints.settings import Settings, load_settings
from entsoe_core.errors import ConfigurationError
from entsoe_core.observations import Series
from entsoe_core.observer import ObserverGroup
from entsoe_core.plan import Chunk
from entsoe_core.ports import (
    Acknowledged,
    ClockPort,
    MarketDataSourcePort,
    RateLimiterPort,
    SourceAnswer,
    SourceBreakerPort,
)
from entsoe_core.scheduling import schedules_for
from entsoe_core.services.backfill import BackfillService
from entsoe_core.services.chunk_lookup import ChunkLookup
from entsoe_core.services.coverage_grid import CoverageGridService
from entsoe_core.services.datasets import DatasetReports
from entsoe_core.services.freshness import FreshnessReports, FreshnessService
from entsoe_core.services.gapfill import GapFillService
from entsoe_core.services.importing import ImportService
from entsoe_core.services.quality import QualityService
from entsoe_core.services.reads import ReadService
from entsoe_core.services.reports import JobReports
from entsoe_core.services.scheduler import GapFillRounds, Scheduler

__all__ = ["Application", "application"]


class SourceNotConfigured:
    """Stands in for the source in commands that never fetch (status, export …)."""

    async def fetch(self, chunk: Chunk) -> SourceAnswer:
        raise ConfigurationError(
            "this command was started without a market data source; use a command that "
            "fetches (backfill, resume, fill-gaps, worker)"
        )


def read_saved(name: str) -> Iterator[Series | Acknowledged]:
    """The saved-document reader of :mod:`adapters.entsoe_xml`, imported when first used."""
    from adapters.entsoe_xml import read_saved as read

    return read(name)


@attrs.frozen
class Application:
    """What the entry points use; resolved from the container."""

    settings: Settings
    clock: ClockPort
    uow: SqlUnitOfWorkFactory
    limiter: SqlRateLimiter
    backfill: BackfillService
    reports: JobReports
    gap_fill: GapFillService
    reads: ReadService
    imports: ImportService
    quality: QualityService
    datasets: DatasetReports
    metrics: PrometheusObserver
    freshness: FreshnessReports
    scheduler: Scheduler
    coverage_grid: CoverageGridService
    freshness_view: FreshnessService
    chunks: ChunkLookup


SourceFactory = Callable[[RateLimiterPort], MarketDataSourcePort]


def build_container(
    settings: Settings, engine: AsyncEngine, clock: ClockPort, source: SourceFactory | None
) -> punq.Container:
    """Register the instances made in the lifespan, and the adapters and services on them."""
    container = punq.Container()
    container.register(Settings, instance=settings)
    container.register(AsyncEngine, instance=engine)
    container.register(ClockPort, instance=clock)
    gate = SchemaGate(engine)
    uow = SqlUnitOfWorkFactory(engine, gate=gate)
    container.register(SqlUnitOfWorkFactory, instance=uow)
    tuning = settings.backfill
    # One request budget for every process on this database: it lives in the database.
    limiter = SqlRateLimiter(
        engine, clock, tuning.rate_limit_per_minute, tuning.rate_limit_burst, gate=gate
    )
    container.register(RateLimiterPort, instance=limiter)
    container.register(SqlRateLimiter, instance=limiter)
    # One circuit breaker over the source for every process on this database, likewise.
    container.register(
        SourceBreakerPort, instance=SqlSourceBreaker(engine, clock, tuning.breaker, gate=gate)
    )
    container.register(
        MarketDataSourcePort,
        instance=source(limiter) if source is not None else SourceNotConfigured(),
    )
    # One registry per application: two applications in one process keep their metrics apart.
    metrics = PrometheusObserver()
    container.register(PrometheusObserver, instance=metrics)
    container.register(
        BackfillService,
        factory=lambda: BackfillService(
            uow,
            container.resolve(MarketDataSourcePort),
            clock,
            container.resolve(RateLimiterPort),
            retry=tuning.retry,
            limits=tuning.limits,
            recheck=tuning.recheck,
            max_years=tuning.history_years,
            breaker=container.resolve(SourceBreakerPort),
            observer=ObserverGroup(metrics, LogObserver()),
        ),
        scope=punq.Scope.singleton,
    )
    container.register(
        ReadService,
        factory=lambda: ReadService(
            uow,
            clock,
            history_years=tuning.history_years,
            recheck=tuning.recheck,
        ),
        scope=punq.Scope.singleton,
    )
    container.register(
        ImportService, factory=lambda: ImportService(uow, read_saved), scope=punq.Scope.singleton
    )
    container.register(
        QualityService, factory=lambda: QualityService(uow), scope=punq.Scope.singleton
    )
    container.register(
        DatasetReports, factory=lambda: DatasetReports(uow), scope=punq.Scope.singleton
    )
    # The dashboard's reads: the grid, freshness and chunk lookups.
    container.register(
        CoverageGridService,
        factory=lambda: CoverageGridService(uow, clock, tuning.recheck),
        scope=punq.Scope.singleton,
    )
    container.register(
        FreshnessService,
        factory=lambda: FreshnessService(uow, clock, tuning.recheck),
        scope=punq.Scope.singleton,
    )
    container.register(ChunkLookup, factory=lambda: ChunkLookup(uow), scope=punq.Scope.singleton)
    container.register(
        GapFillService,
        factory=lambda: GapFillService(
            container.resolve(BackfillService),
            uow,
            clock,
            areas=tuning.areas,
            datasets=tuning.datasets,
            history_years=tuning.history_years,
            span=tuning.chunk_span,
        ),
        scope=punq.Scope.singleton,
    )
    container.register(
        FreshnessReports,
        factory=lambda: FreshnessReports(
            uow, clock, container.resolve(GapFillService), container.resolve(FreshnessService)
        ),
        scope=punq.Scope.singleton,
    )
    container.register(
        Scheduler,
        factory=lambda: Scheduler(
            SqlScheduleStore(engine, gate=gate),
            clock,
            CronsimNextDue(),
            schedules_for(tuning.datasets, settings.schedule_overrides),
            GapFillRounds(
                container.resolve(GapFillService), container.resolve(BackfillService), uow
            ),
            policy=settings.scheduler,
            owner=container.resolve(BackfillService).owner,
        ),
        scope=punq.Scope.singleton,
    )
    return container


@contextlib.asynccontextmanager
async def application(
    *,
    fetching: bool = False,
    settings: Settings | None = None,
    environ: Mapping[str, str] | None = None,
) -> AsyncIterator[Application]:
    """The application for one command or server lifetime.

    With ``fetching``, the ENTSO-E HTTP source is built too, which needs a token: a missing
    one is a :class:`ConfigurationError` before anything is written, as is a database URL
    this application cannot use.
    """
    settings = settings or load_settings(os.environ if environ is None else environ)
    # A database URL that cannot work is the first thing to say, before any other complaint.
    check_database_url(settings.database_url)
    clock = SystemClock()
    token = settings.api_token.reveal() if settings.api_token else ""
    if fetching and not token:
        raise ConfigurationError(
            "no ENTSO-E API token: set ENTSOE_API_TOKEN to the token the Transparency "
            "Platform issued for your account (or point ENTSOE_API_URL at `entsoe emulator`)"
        )
    async with contextlib.AsyncExitStack() as stack:
        engine = create_engine(settings.database_url)
        stack.push_async_callback(engine.dispose)

        def http_source(limiter: RateLimiterPort) -> MarketDataSourcePort:
            from adapters.entsoe_http import EntsoeHttpSource

            http = EntsoeHttpSource(settings.api_url, token, limiter=limiter, clock=clock)
            stack.push_async_callback(http.aclose)
            return http

        container = build_container(settings, engine, clock, http_source if fetching else None)
        yield Application(
            settings=settings,
            clock=clock,
            uow=container.resolve(SqlUnitOfWorkFactory),
            limiter=container.resolve(SqlRateLimiter),
            backfill=container.resolve(BackfillService),
            reports=container.resolve(BackfillService).reports,
            gap_fill=container.resolve(GapFillService),
            reads=container.resolve(ReadService),
            imports=container.resolve(ImportService),
            quality=container.resolve(QualityService),
            datasets=container.resolve(DatasetReports),
            metrics=container.resolve(PrometheusObserver),
            freshness=container.resolve(FreshnessReports),
            scheduler=container.resolve(Scheduler),
            coverage_grid=container.resolve(CoverageGridService),
            freshness_view=container.resolve(FreshnessService),
            chunks=container.resolve(ChunkLookup),
        )
