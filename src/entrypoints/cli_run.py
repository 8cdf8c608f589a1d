"""``entsoe run``: keep the configured scope fresh, without cron."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import click

from entrypoints.bootstrap import Application, application
from entrypoints.cli_support import run
from entrypoints.operations import keep_fresh, metrics_endpoint
from entrypoints.settings import check_scope, load_settings

__all__ = ["metrics_options", "run_command", "serve_metrics"]

F = TypeVar("F", bound=Callable[..., Any])

metrics_port = click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Serve Prometheus metrics on GET /metrics at this port (0 picks a free one).",
)
metrics_host = click.option(
    "--metrics-host",
    default="127.0.0.1",
    show_default=True,
    help="Address the metrics listen on.",
)


def metrics_options(command: F) -> F:
    """``--metrics-port`` and ``--metrics-host``."""
    return metrics_host(metrics_port(command))


@contextlib.asynccontextmanager
async def serve_metrics(
    app: Application, name: str, host: str, port: int | None
) -> AsyncIterator[None]:
    """The metrics endpoint of a command, announced on stderr with the port it bound."""
    async with metrics_endpoint(app, host, port) as bound:
        if bound is not None:
            click.echo(f"entsoe {name}: metrics on http://{host}:{bound}/metrics", err=True)
        yield


@click.command("run")
@metrics_options
def run_command(metrics_host: str, metrics_port: int | None) -> None:
    """Keep ENTSOE_AREAS x ENTSOE_DATASETS fresh, without cron: each dataset on a schedule
    that follows its publication (ENTSOE_SCHEDULES sets cron expressions per dataset), and
    the chunks of every active job run between rounds, like `entsoe worker`.

    Start as many as you like on one PostgreSQL: each round runs once. Ctrl-C or SIGTERM stops
    it; a round or chunks in progress are handed back.
    """

    async def main() -> None:
        settings = load_settings(os.environ)
        check_scope(settings)  # before anything is opened or written
        async with (
            application(fetching=True, settings=settings) as app,
            serve_metrics(app, "run", metrics_host, metrics_port),
        ):
            click.echo(
                f"entsoe run: {app.backfill.owner} keeps "
                + ", ".join(f"{s.dataset} ({s.expression})" for s in app.scheduler.schedules)
                + " fresh",
                err=True,
            )
            try:
                await keep_fresh(app)
            except asyncio.CancelledError:
                # Stopped as asked: what was in flight has been handed back.
                click.echo("entsoe run: stopped", err=True)

    run(main())
