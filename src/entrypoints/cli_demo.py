"""``entsoe demo``: a backfill against the bundled emulator, offline, in one command."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import attrs
import click

from adapters.sqlalchemy.engine import display_url
from entrypoints.bootstrap import application
from entrypoints.cli_jobs import _run_job
from entrypoints.cli_support import describe, fail, run
from entrypoints.emulator import EmulatorConfig, emulator_in_thread
from entrypoints.emulator.app import DEFAULT_TOKEN
from entrypoints.inputs import split_names
from entrypoints.settings import Secret, load_settings
from entsoe_core.areas import AREAS
from entsoe_core.errors import InvalidRequest, NothingToFetch
from entsoe_core.services.requests import EARLIEST, LATEST, BackfillRequest, JobReport

DEMO_AREAS = "NL,FR,DE_LU"
DEMO_DATASETS = "actual_total_load,day_ahead_prices,actual_generation_per_type,wind_solar_forecast"


@click.command()
@click.option("--area", "areas", default=DEMO_AREAS, show_default=True)
@click.option("--dataset", "datasets", default=DEMO_DATASETS, show_default=True)
@click.option(
    "--year",
    # A year of the range every request must lie in (EARLIEST .. LATEST).
    type=click.IntRange(EARLIEST.year, LATEST.year - 1),
    default=None,
    help="Calendar year to backfill (default: last year).",
)
def demo(areas: str, datasets: str, year: int | None) -> None:
    """Start the emulator on loopback and backfill a year of several areas and datasets.

    The data goes to the configured database (by default entsoe.sqlite3 in this folder). No
    network and no token needed: everything is served by `entsoe emulator` on 127.0.0.1.
    """
    year = year or datetime.now(UTC).year - 1
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    # Bad settings or names are reported before the emulator starts, as one line.
    try:
        settings = load_settings(os.environ)
        request = BackfillRequest.parse(
            split_names([areas]),
            split_names([datasets]),
            start,
            end,
            span=settings.backfill.chunk_span,
        )
    except InvalidRequest as error:
        fail(str(error))

    with emulator_in_thread(EmulatorConfig(seed=1)) as api_url:
        click.echo(f"emulator listening on {api_url}", err=True)
        settings = attrs.evolve(settings, api_url=api_url, api_token=Secret(DEFAULT_TOKEN))

        async def main() -> tuple[JobReport | None, list[tuple[str, str, str, str]]]:
            async with application(fetching=True, settings=settings) as app:
                report = None
                try:
                    job = await app.backfill.create(request)
                except NothingToFetch as nothing:
                    click.echo(str(nothing))
                else:
                    click.echo(f"job {job.id}: {len(request.targets())} area/dataset pairs, {year}")
                    report = await _run_job(app, job.id, resume=False)
                summary = [
                    (
                        AREAS.label(r.area),
                        r.dataset,
                        f"{r.covered.total.days} days",
                        f"{r.gaps.total.days} days",
                    )
                    for r in await app.reads.coverage(request)
                ]
                return report, summary

        report, summary = run(main())

    if report is not None:
        click.echo(describe(report))
    click.echo("")
    click.echo(f"{'area':<8} {'dataset':<28} {'covered':<10} missing")
    for label, dataset, covered, missing in summary:
        click.echo(f"{label:<8} {dataset:<28} {covered:<10} {missing}")
    first_area = split_names([areas])[0]
    click.echo(
        "\nQuery it:\n"
        f"  entsoe coverage --area {first_area} --dataset actual_total_load "
        f"--start {year}-01-01 --end {year + 1}-01-01\n"
        f"  entsoe export --area {first_area} --dataset day_ahead_prices "
        f"--start {year}-01-01 --end {year}-01-08 --format csv\n"
        f"  entsoe jobs\n"
        f"The database: {display_url(settings.database_url)}"
    )
    if report is not None and report.job.status.value == "failed":
        raise SystemExit(1)
