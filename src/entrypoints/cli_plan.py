"""The ``plan`` command, and what it shares with ``backfill``: the options of a request and
the summary of a plan."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import click

from entrypoints.bootstrap import application
from entrypoints.cli_support import INSTANT, run, split_option, tz_option
from entrypoints.settings import Settings, load_settings
from entrypoints.wire import PlanBody, json_text
from entsoe_core.areas import AREAS
from entsoe_core.plan import ChunkSpan
from entsoe_core.services.plan_summary import PlanSummary
from entsoe_core.services.requests import BackfillRequest
from entsoe_core.timeline import Interval

__all__ = ["backfill_request", "describe_plan", "plan", "request_options"]

F = TypeVar("F", bound=Callable[..., Any])

SPANS = click.Choice([s.value for s in ChunkSpan])


def request_options(command: F) -> F:
    """The options that say what to backfill: areas, datasets, period, chunk span."""
    command = tz_option(command)
    for option in reversed(
        (
            click.option(
                "--area",
                "areas",
                multiple=True,
                required=True,
                help="EIC code or alias (NL, DE_LU); FROM>TO for borders; comma-separated; "
                "`all`: every area the dataset takes that existed in the period; "
                "`all-borders`: every border, for border datasets.",
            ),
            click.option(
                "--dataset",
                "datasets",
                multiple=True,
                required=True,
                help="Dataset key (actual_total_load, day_ahead_prices …); comma-separated.",
            ),
            click.option(
                "--start",
                type=INSTANT,
                required=True,
                help="ISO date (midnight, UTC or --tz) or datetime.",
            ),
            click.option(
                "--end",
                type=INSTANT,
                required=True,
                help="ISO date (midnight, UTC or --tz) or datetime; exclusive.",
            ),
            click.option(
                "--span",
                type=SPANS,
                default=None,
                help="Cap on the chunk span (default: ENTSOE_CHUNK_SPAN; unset, no cap: each "
                "dataset's chunks are as long as its request limit allows). A cap only "
                "shortens chunks.",
            ),
        )
    ):
        command = option(command)
    return command


def backfill_request(
    settings: Settings,
    areas: tuple[str, ...],
    datasets: tuple[str, ...],
    start: datetime,
    end: datetime,
    span: str | None,
) -> BackfillRequest:
    """The request the options name, checked; the settings give the defaults and the limits."""
    tuning = settings.backfill
    return BackfillRequest.parse(
        split_option(areas),
        split_option(datasets),
        start,
        end,
        span=ChunkSpan(span) if span else tuning.chunk_span,
        max_years=tuning.history_years,
    )


def describe_plan(summary: PlanSummary, *, by_area: bool = True) -> str:
    """The plan as text: chunks by dataset and area (or by dataset only), then the requests
    and the time the request budget needs for them."""
    request = summary.request
    lines = [
        f"plan: {len(request.datasets)} dataset(s) x {len(request.areas)} area(s) over "
        f"{request.period.start:%Y-%m-%d %H:%M}Z..{request.period.end:%Y-%m-%d %H:%M}Z"
    ]
    for dataset in request.datasets:
        groups = [g for g in summary.groups if g.dataset == dataset]
        if not groups:
            lines.append(f"  {dataset}: nothing missing")
            continue
        chunks = sum(g.chunks for g in groups)
        first = min(g.first.start for g in groups)
        last = max(g.last.end for g in groups)
        lines.append(
            f"  {dataset}: {chunks} chunk(s) in {len(groups)} area(s), "
            f"{first:%Y-%m-%d}..{last:%Y-%m-%d}"
        )
        if by_area:
            lines += [
                f"    {AREAS.label(g.area):<14} {g.chunks:>5} chunk(s)  first "
                f"{_interval_text(g.first)}  last {_interval_text(g.last)}"
                for g in groups
            ]
    if summary.complete:
        lines.append(f"  {summary.complete} (dataset, area) pair(s) with nothing missing")
    seconds = round(summary.budget.total_seconds())
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    lines.append(
        f"{summary.requests} request(s); at {summary.rate_per_minute:g} per minute "
        f"(ENTSOE_RATE_LIMIT_PER_MINUTE) the request budget needs {hours}:{minutes:02d}:{secs:02d}"
    )
    return "\n".join(lines)


def _interval_text(interval: Interval) -> str:
    return f"{interval.start:%Y-%m-%d}..{interval.end:%Y-%m-%d}"


@click.command()
@request_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plan(
    areas: tuple[str, ...],
    datasets: tuple[str, ...],
    start: datetime,
    end: datetime,
    span: str | None,
    as_json: bool,
) -> None:
    """Show what `entsoe backfill` would fetch with the same options, writing nothing.

    The chunks by dataset and area (how many, the first and the last), the number of requests,
    and the time the request budget (ENTSOE_RATE_LIMIT_PER_MINUTE) needs for them.
    """

    async def main() -> PlanSummary:
        settings = load_settings(os.environ)
        request = backfill_request(settings, areas, datasets, start, end, span)
        async with application(settings=settings) as app:
            return await app.backfill.preview(request, rate=settings.backfill.request_budget)

    summary = run(main())
    if as_json:
        click.echo(json_text(PlanBody.of(summary)))
        return
    click.echo(describe_plan(summary))
