"""What the commands share: input types, running a coroutine, errors, progress output."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, datetime, tzinfo
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from entrypoints.inputs import parse_instant, split_names
from entrypoints.zones import TZ_ENV, parse_zone
from entsoe_core.areas import AREAS
from entsoe_core.errors import (
    ConfigurationError,
    EntsoeBackfillError,
    IllegalTransition,
    InvalidRequest,
    StorageError,
    UnknownJob,
)
from entsoe_core.progress import ChunkProgress, ChunkStatus, JobStatus
from entsoe_core.services.outage import describe_outage
from entsoe_core.services.requests import JobReport

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

BAD_INPUT = (InvalidRequest, ConfigurationError, UnknownJob, IllegalTransition)


_ZONE = "entsoe.tz"


def _remember_zone(ctx: click.Context, param: click.Parameter, value: str | None) -> tzinfo | None:
    # Unset stays None, not UTC: a date-time without an offset is refused unless a zone is named.
    try:
        zone = parse_zone(value) if value else None
    except InvalidRequest as error:
        raise click.BadParameter(str(error), ctx, param) from None
    ctx.meta[_ZONE] = zone
    return zone


def tz_option(command: F) -> F:
    """``--tz`` (or ENTSOE_TZ): the zone the command's dates are read in, UTC by default.

    Eager, so that it is known before ``--start`` and ``--end`` are converted, wherever it
    stands on the command line; commands that write timestamps read it with
    :func:`current_zone`.
    """
    return click.option(
        "--tz",
        envvar=TZ_ENV,
        is_eager=True,
        expose_value=False,
        callback=_remember_zone,
        help="Time zone of --start/--end dates (Europe/Berlin); default UTC, or ENTSOE_TZ.",
    )(command)


def current_zone() -> tzinfo:
    """The zone ``--tz`` named for the running command; UTC without one."""
    ctx = click.get_current_context(silent=True)
    zone = ctx.meta.get(_ZONE) if ctx is not None else None
    return zone if isinstance(zone, tzinfo) else UTC


class Instant(click.ParamType[datetime]):
    """An ISO date (midnight, in the ``--tz`` zone or UTC) or an ISO datetime with an offset;
    naive times only with ``--tz``."""

    name = "DATE"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            zone = ctx.meta.get(_ZONE) if ctx is not None else None
            return parse_instant(str(value), param.name if param and param.name else "date", zone)
        except InvalidRequest as error:
            self.fail(str(error), param, ctx)


INSTANT = Instant()


def split_option(values: tuple[str, ...]) -> list[str]:
    """``--area NL,BE --area FR`` -> ``["NL", "BE", "FR"]``."""
    return split_names(list(values))


def fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"entsoe: {message}", err=True)
    raise SystemExit(code)


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine: bad input is exit 2, trouble exit 1, never a traceback.

    SIGTERM is handled like Ctrl-C: the run is cancelled, chunks in flight are handed back,
    and the job stays resumable.
    """
    try:
        return asyncio.run(_with_signals(main))
    except BAD_INPUT as error:
        fail(str(error))
    except StorageError as error:
        fail(f"database error: {error}", 1)
    except EntsoeBackfillError as error:
        fail(str(error), 1)
    except KeyboardInterrupt:
        fail("interrupted; the job stays resumable (`entsoe jobs` lists it)", 130)


async def _with_signals(main: Coroutine[Any, Any, T]) -> T:
    task = asyncio.ensure_future(main)
    loop = asyncio.get_running_loop()
    previous = signal.getsignal(signal.SIGTERM)
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await task
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGTERM)
            # asyncio leaves the default (death by the signal); the console script's stays.
            signal.signal(signal.SIGTERM, previous)


def describe(report: JobReport) -> str:
    counts = report.counts
    parts = [
        f"job {report.job.id} {report.job.status.value}",
        f"chunks {counts[ChunkStatus.DONE]}/{counts.total} done",
    ]
    for status in (
        ChunkStatus.FAILED,
        ChunkStatus.PENDING,
        ChunkStatus.IN_FLIGHT,
        ChunkStatus.CANCELLED,
    ):
        if counts[status]:
            parts.append(f"{counts[status]} {status.value.replace('_', ' ')}")
    if counts.split:
        parts.append(f"{counts.split} split into smaller requests")
    parts.append(f"{report.counts.points_written} points")
    if report.counts.points_kept:
        parts.append(f"{report.counts.points_kept} kept (stored values are newer)")
    if report.counts.points_unchanged:
        parts.append(f"{report.counts.points_unchanged} unchanged")
    if report.holes:
        parts.append(f"{report.holes} holes (see `entsoe quality`)")
    parts.append(f"{report.counts.requests} requests")
    if report.elapsed is not None:
        parts.append(f"elapsed {_clock_text(report.elapsed.total_seconds())}")
    if report.eta is not None:
        parts.append(f"eta {_clock_text(report.eta.total_seconds())}")
    if report.job.status is JobStatus.IN_PROGRESS and not report.running:
        parts.append("nobody is running it: `entsoe resume` or `entsoe worker`")
    line = ", ".join(parts)
    for limit in report.limits:
        line += (
            f"\n  learned limit: {limit.dataset} at most {limit.span} per request "
            f"(since {limit.learned_at:%Y-%m-%d %H:%M}Z)"
        )
    if report.last_error:
        line += f"\n  last error: {report.last_error}"
    if report.outage is not None:
        line += f"\n  {describe_outage(report.outage)}; the job waits for it"
    return line


def _clock_text(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


class ChunkProgressView:
    """A live progress bar on a terminal, plain lines otherwise (logs, pipes, CI)."""

    def __init__(
        self, total: int, done: int, label: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._total = total
        self._done = done
        self._label = label
        self._points = 0
        self._finished = 0
        self._clock = clock
        self._started = clock()
        self._console = Console(stderr=True)
        self._progress: Progress | None = None
        self._task: Any = None

    @contextlib.contextmanager
    def shown(self) -> Iterator[Callable[[ChunkProgress], None]]:
        if self._console.is_terminal:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[points]} points"),
                TextColumn("elapsed"),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                console=self._console,
            )
            self._task = self._progress.add_task(
                self._label, total=self._total, completed=self._done, points=0
            )
            with self._progress:
                yield self.update
        else:
            yield self.update

    @property
    def finished(self) -> int:
        """Chunks reported since the view was made."""
        return self._finished

    def update(self, chunk: ChunkProgress) -> None:
        if chunk.status is ChunkStatus.SPLIT:
            # Not finished: its children carry its work and are reported as they finish.
            line = (
                f"split {chunk.chunk.dataset} {chunk.chunk.area} "
                f"{chunk.chunk.interval.start:%Y-%m-%d}..{chunk.chunk.interval.end:%Y-%m-%d} "
                f"into smaller requests: {chunk.last_error}"
            )
            if self._progress is not None:
                self._progress.console.print(line, markup=False, highlight=False)
            else:
                print(line, file=sys.stderr, flush=True)
            return
        self._done += 1
        self._finished += 1
        self._points += chunk.points_written
        if self._progress is not None:
            # Chunks are claimed in plan order, dataset by dataset and area by area: the pair
            # of the chunk that just finished is the one being worked through.
            at = f"{self._label}: {chunk.chunk.dataset} {AREAS.label(chunk.chunk.area)}"
            self._progress.update(self._task, advance=1, points=self._points, description=at)
            return
        state = "done" if chunk.status is ChunkStatus.DONE else "FAILED"
        count = f"{self._done}/{self._total}" if self._total else f"{self._done}"
        points = f"{chunk.points_written} points"
        if chunk.points_kept:
            points += f", {chunk.points_kept} kept"
        if chunk.points_unchanged:
            points += f", {chunk.points_unchanged} unchanged"
        if chunk.holes:
            points += f", {chunk.holes} holes"
        line = (
            f"[{count}] {state} {chunk.chunk.dataset} {chunk.chunk.area} "
            f"{chunk.chunk.interval.start:%Y-%m-%d}..{chunk.chunk.interval.end:%Y-%m-%d} "
            f"({points}) {self._times()}"
        )
        if chunk.last_error:
            line += f": {chunk.last_error}"
        print(line, file=sys.stderr, flush=True)

    def _times(self) -> str:
        """``elapsed H:MM:SS, eta H:MM:SS`` (the eta from the pace of this run so far)."""
        elapsed = self._clock() - self._started
        text = f"elapsed {_clock_text(elapsed)}"
        left = self._total - self._done
        if self._total and left >= 0:
            text += f", eta {_clock_text(elapsed / self._finished * left)}"
        return text
