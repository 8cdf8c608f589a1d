"""The Python API: the store read into pandas DataFrames, and backfills, for notebooks and
scripts (docs/python.md).

    from entrypoints import open_store
    store = open_store()                      # ENTSOE_DATABASE_URL, or entsoe.sqlite3 here
    prices = store.read("day_ahead_prices", "NL", "2024-01-01", "2024-02-01", wide=True)

Every function is synchronous. Each call opens the application for its own duration (an engine,
and for a backfill the HTTP source) and closes it before returning, so nothing is left open
between the cells of a notebook. A notebook already runs an event loop in its thread: a call
made there runs on a loop of its own in a worker thread and waits for it.

pandas is the optional extra ``pandas``; without it, importing this module says how to install
it.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

try:
    import pandas as pd
except ImportError as missing:
    raise ImportError(
        "the Python API of entsoe-backfill needs pandas, an optional extra: "
        "pip install 'entsoe-backfill[pandas]'"
    ) from missing

from adapters.sqlalchemy.engine import display_url
from entrypoints.bootstrap import application
from entrypoints.frames import long_frame, wide_frame
from entrypoints.inputs import split_names
from entrypoints.settings import Settings, load_settings
from entrypoints.wire import JobBody
from entsoe_core.areas import AREAS
from entsoe_core.errors import InvalidRequest, NothingToFetch
from entsoe_core.observations import Observation
from entsoe_core.plan import ChunkSpan
from entsoe_core.resolution_rules import ResolutionRule
from entsoe_core.services.requests import BackfillRequest

__all__ = ["Store", "open_store"]

T = TypeVar("T")
Instant = str | datetime | pd.Timestamp
Names = str | Sequence[str]


def open_store(url: str | None = None) -> Store:
    """The store at ``url`` (a SQLAlchemy URL such as ``sqlite+aiosqlite:///entsoe.sqlite3``),
    else the one the settings name (``ENTSOE_DATABASE_URL``, by default ``entsoe.sqlite3`` in
    the working folder). Nothing is opened until a read."""
    settings = load_settings(os.environ)
    if url is not None:
        settings = attrs.evolve(settings, database_url=url)
    return Store(settings)


class Store:
    """A database of entsoe-backfill, read into pandas; see :func:`open_store`."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def __repr__(self) -> str:
        return f"Store({display_url(self._settings.database_url)!r})"

    def read(
        self,
        dataset: str,
        areas: Names,
        start: Instant | None = None,
        end: Instant | None = None,
        *,
        wide: bool = False,
        tz: str | None = None,
        resolution: str = "native",
        names: bool = True,
    ) -> pd.DataFrame:
        """The stored observations of ``dataset`` for ``areas`` in [start, end).

        ``areas``: one name (``"NL"``, ``"NL>DE_LU"``), a comma-separated list or a list.
        ``start`` and ``end``: a date or date-time (string, ``datetime`` or
        ``pandas.Timestamp``); one without a UTC offset is read in ``tz`` when given, in UTC
        otherwise. Left out, they are those of the CLI's reads: from ``ENTSOE_HISTORY_YEARS``
        before today to tomorrow. ``wide``: one column per series, as entsoe-py shapes its
        frames (see :mod:`entrypoints.wide`); otherwise one row per point with every identity
        column.
        ``tz``: the time zone of the instants; by default the area's own for one area (the
        first area's for a border), UTC for several. ``resolution``: ``native``, ``finest``,
        ``coarsest`` or ``RESOLUTION:mean`` (:mod:`entsoe_core.resolution_rules`).
        ``names``: human names (production types, business types, areas), or raw codes.
        """
        rule = ResolutionRule.parse(resolution)
        _check_zone(tz)
        named = _listed(areas)
        period = (
            None if start is None else _instant(start, tz, "start"),
            None if end is None else _instant(end, tz, "end"),
        )

        async def main() -> tuple[BackfillRequest, list[Observation]]:
            async with application(settings=self._settings) as app:
                request = app.reads.request(named, [dataset], *period)
                return request, await app.reads.read_all(request, rule)

        request, observations = _run(main())
        several = len(request.areas) > 1
        zone = tz or ("UTC" if several else AREAS.get(request.areas[0].code).timezone)
        if wide:
            return wide_frame(
                observations,
                tz=zone,
                names=names,
                several_areas=several,
                rule=rule,
            )
        return long_frame(observations, tz=zone, names=names)

    def backfill(
        self,
        areas: Names,
        datasets: Names,
        start: Instant,
        end: Instant,
        *,
        tz: str | None = None,
        span: str | None = None,
        wait: bool = True,
    ) -> JobBody | None:
        """Plan and start a backfill of ``areas`` x ``datasets`` over [start, end), as
        ``entsoe backfill`` does, and return its job (the body ``GET /backfills/{id}`` gives),
        or None when every (dataset, area) is already covered over the period: then nothing is
        left to fetch and no job is made.

        With ``wait`` (the default) it runs here until every chunk is done or failed; this
        needs the token (``ENTSOE_API_TOKEN``) and the source (``ENTSOE_API_URL``) of the
        settings. Without it, the job is only created, for ``entsoe worker`` processes.
        """
        _check_zone(tz)
        tuning = self._settings.backfill
        request = BackfillRequest.parse(
            _listed(areas),
            _listed(datasets),
            _instant(start, tz, "start"),
            _instant(end, tz, "end"),
            span=_span(span) if span else tuning.chunk_span,
            max_years=tuning.history_years,
        )

        async def main() -> JobBody | None:
            async with application(fetching=wait, settings=self._settings) as app:
                try:
                    job = await app.backfill.create(request)
                except NothingToFetch:
                    return None
                if wait:
                    return JobBody.of(await app.backfill.run(job.id))
                return JobBody.of(await app.backfill.activate(job.id))

        return _run(main())


def _listed(names: Names) -> list[str]:
    return split_names([names] if isinstance(names, str) else list(names))


def _span(text: str) -> ChunkSpan:
    try:
        return ChunkSpan(text)
    except ValueError:
        spans = ", ".join(span.value for span in ChunkSpan)
        raise InvalidRequest(f"unknown span {text!r}; one of {spans}") from None


def _check_zone(tz: str | None) -> None:
    if tz is None:
        return
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(
            f"unknown time zone {tz!r}; expected an IANA name such as 'Europe/Berlin' or 'UTC'"
        ) from None


def _instant(value: Instant, tz: str | None, name: str) -> datetime:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as error:
        raise InvalidRequest(
            f"{name} {value!r} is not a date or date-time (expected e.g. '2024-01-01' or "
            "'2024-01-01T06:00+01:00')"
        ) from error
    if pd.isna(stamp):
        raise InvalidRequest(f"{name} {value!r} is not a date or date-time")
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(tz or "UTC")
    return stamp.tz_convert("UTC").to_pydatetime()


def _run(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` to the end: on a new event loop, or, where one already runs in this thread
    (a notebook), on a loop of its own in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="entsoe-python-api") as pool:
        return pool.submit(asyncio.run, work).result()
