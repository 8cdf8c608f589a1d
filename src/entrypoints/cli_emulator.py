"""``entsoe emulator``: serve the ENTSO-E API emulator on loopback until stopped."""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import UTC, datetime

import click

from entrypoints.emulator.app import DEFAULT_TOKEN, EmulatorConfig
from entrypoints.emulator.faults import FaultSettings
from entrypoints.emulator.server import EmulatorServer
from entrypoints.emulator.spans import LimitEra, SpanLimits, parse_limits
from entrypoints.emulator.switches import OutageKind

__all__ = ["emulator"]


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


@click.command("emulator")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port on 127.0.0.1; 0 picks a free one.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed of the synthetic data and of the faults.",
)
@click.option(
    "--token",
    envvar="ENTSOE_EMULATOR_TOKEN",
    default=DEFAULT_TOKEN,
    show_default=True,
    help="The security token requests must carry.",
)
@click.option(
    "--data-start",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M"]),
    default="2015-01-01",
    show_default=True,
    help="No data is published before this instant (UTC).",
)
@click.option(
    "--now",
    "fixed_now",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M"]),
    default=None,
    help="Publish as if it were this instant (UTC); default: the clock.",
)
@click.option(
    "--rate-limit",
    type=click.IntRange(min=1),
    default=400,
    show_default=True,
    help="Requests per minute before a ban.",
)
@click.option(
    "--ban-seconds",
    type=click.FloatRange(min=0),
    default=600.0,
    show_default=True,
    help="How long a ban lasts.",
)
@click.option(
    "--fail-503",
    "unavailable",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of requests answered 503.",
)
@click.option(
    "--fail-drop",
    "drop",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of connections dropped without an answer.",
)
@click.option(
    "--fail-truncate",
    "truncate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of answers cut off halfway.",
)
@click.option(
    "--fail-slow",
    "slow",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of answers delayed by --slow-seconds.",
)
@click.option("--slow-seconds", type=click.FloatRange(min=0), default=5.0, show_default=True)
@click.option(
    "--limits",
    "era",
    type=click.Choice([era.value for era in LimitEra]),
    default=LimitEra.CURRENT.value,
    show_default=True,
    help="The API's request limits: current (one month for actual_total_load and "
    "actual_generation_per_type, one year for the rest, as since September 2026) or legacy "
    "(one year for every dataset).",
)
@click.option(
    "--limit",
    "limit_overrides",
    multiple=True,
    metavar="DATASET=PERIOD",
    help="Answer at most PERIOD (ISO 8601: P1M, P1Y, P10D) per request of DATASET, refusing "
    "longer ones as too long. Repeatable.",
)
@click.option(
    "--too-many-instances",
    "instance_limits",
    multiple=True,
    metavar="DATASET=PERIOD",
    help='Refuse requests of DATASET longer than PERIOD with "The number of instances … '
    'exceeds the allowed maximum". Repeatable.',
)
@click.option(
    "--cut-series",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Cut every series after its first N points, with HTTP 200 and the rest missing "
    "(the API did so at 1000).",
)
@click.option(
    "--outage",
    type=click.Choice([kind.value for kind in OutageKind]),
    default=None,
    help='Start down: every API request answered 503 with a "Scheduled maintenance" page, '
    'or 404 "404 page not found".',
)
@click.option(
    "--outage-seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="How long the --outage lasts; default: until DELETE /_emulator/outage.",
)
def emulator(
    port: int,
    seed: int,
    token: str,
    data_start: datetime,
    fixed_now: datetime | None,
    rate_limit: int,
    ban_seconds: float,
    unavailable: float,
    drop: float,
    truncate: float,
    slow: float,
    slow_seconds: float,
    era: str,
    limit_overrides: tuple[str, ...],
    instance_limits: tuple[str, ...],
    cut_series: int | None,
    outage: str | None,
    outage_seconds: float | None,
) -> None:
    """Answer like the ENTSO-E API with deterministic synthetic data.

    Prints the API URL (http://127.0.0.1:PORT/api) on one line, then serves until SIGINT or
    SIGTERM. Limits, cut series and outages can be switched while it runs: see
    /_emulator/limits, /_emulator/instances, /_emulator/cut and /_emulator/outage in docs/cli.md.
    """
    if outage_seconds is not None and outage is None:
        raise click.UsageError("--outage-seconds needs --outage maintenance or not-found")
    try:
        faults = FaultSettings(unavailable, drop, truncate, slow, slow_seconds)
        limits = SpanLimits(
            LimitEra(era), parse_limits(limit_overrides), parse_limits(instance_limits)
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    config = EmulatorConfig(
        seed=seed,
        token=token,
        data_start=data_start.replace(tzinfo=UTC),
        rate_limit_per_minute=rate_limit,
        ban_seconds=ban_seconds,
        faults=faults,
        now=_utc(fixed_now),
        limits=limits,
        cut_series=cut_series,
        outage=None if outage is None else OutageKind(outage),
        outage_seconds=outage_seconds,
    )
    asyncio.run(_serve(config, port))


async def _serve(config: EmulatorConfig, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with EmulatorServer(config, port=port) as server:
        click.echo(server.base_url)
        sys.stdout.flush()
        await stop.wait()
