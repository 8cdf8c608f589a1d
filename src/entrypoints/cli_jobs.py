"""Commands about backfill jobs: backfill, resume, cancel, status, jobs, coverage, fill-gaps,
worker."""

from __future__ import annotations

import os
from datetime import datetime

import attrs
import click

from entrypoints.bootstrap import Application, application
from entrypoints.cli_plan import backfill_request, describe_plan, request_options
from entrypoints.cli_run import metrics_options, serve_metrics
from entrypoints.cli_support import (
    INSTANT,
    ChunkProgressView,
    describe,
    run,
    split_option,
    tz_option,
)
from entrypoints.settings import load_settings
from entrypoints.wire import COVERAGE_LEGEND, CoverageBody, JobBody, json_text
from entsoe_core.areas import AREAS
from entsoe_core.errors import NothingToFetch
from entsoe_core.progress import ChunkStatus, JobStatus
from entsoe_core.services.plan_summary import PlanSummary
from entsoe_core.services.reports import JOBS_LISTED, JobListing
from entsoe_core.services.requests import JobReport


async def _run_job(app: Application, job_id: str, *, resume: bool) -> JobReport:
    before = await app.reports.status(job_id)
    view = ChunkProgressView(
        total=before.counts.total, done=before.counts[ChunkStatus.DONE], label=f"job {job_id}"
    )
    with view.shown() as on_chunk:
        if resume:
            return await app.backfill.resume(job_id, on_chunk)
        return await app.backfill.run(job_id, on_chunk)


def _finish(report: JobReport) -> None:
    click.echo(describe(report))
    if report.job.status is JobStatus.FAILED:
        raise SystemExit(1)


@click.command()
@request_options
@click.option(
    "--no-run",
    is_flag=True,
    help="Plan and persist the job, print its id and exit without fetching: "
    "`entsoe worker` processes run it (no token needed here).",
)
def backfill(
    areas: tuple[str, ...],
    datasets: tuple[str, ...],
    start: datetime,
    end: datetime,
    span: str | None,
    no_run: bool,
) -> None:
    """Plan, persist and run a backfill of areas x datasets over [START, END).

    The plan is shown first on stderr, in short (`entsoe plan` shows it by area). With
    --no-run the job is only created and left in progress for `entsoe worker`.
    """

    async def main() -> JobReport | None:
        settings = load_settings(os.environ)
        request = backfill_request(settings, areas, datasets, start, end, span)
        async with application(fetching=not no_run, settings=settings) as app:
            plan = await app.backfill.plan(request)
            # On stderr, beside the progress: stdout starts with `job ID`, for scripts.
            summary = PlanSummary.of(request, plan, settings.backfill.request_budget)
            click.echo(describe_plan(summary, by_area=False), err=True)
            try:
                job = await app.backfill.create(request, plan=plan)
            except NothingToFetch as nothing:
                click.echo(str(nothing))
                return None
            click.echo(f"job {job.id}")
            if no_run:
                return await app.backfill.activate(job.id)
            return await _run_job(app, job.id, resume=False)

    report = run(main())
    if report is not None:
        _finish(report)


@click.command()
@click.argument("job_id", metavar="JOB")
def resume(job_id: str) -> None:
    """Run every chunk of JOB that is not done, failed ones included."""

    async def main() -> JobReport:
        # An unknown, cancelled or completed job is reported before the token is asked for.
        async with application() as app:
            before = await app.reports.status(job_id)
            if not before.job.check_resumable():
                return before
        async with application(fetching=True) as app:
            return await _run_job(app, job_id, resume=True)

    _finish(run(main()))


@click.command()
@click.argument("job_id", metavar="JOB")
def cancel(job_id: str) -> None:
    """Cancel JOB: its waiting chunks are cancelled, data already stored stays."""

    async def main() -> JobReport:
        async with application() as app:
            return await app.backfill.cancel(job_id)

    click.echo(describe(run(main())))


@click.command()
@click.argument("job_id", metavar="[JOB]", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(job_id: str | None, as_json: bool) -> None:
    """Status of JOB, or of every job that is not finished."""

    async def main() -> tuple[list[JobReport], JobReport | None]:
        async with application() as app:
            if job_id:
                return [await app.reports.status(job_id)], None
            unfinished = await app.reports.list_jobs(
                (JobStatus.PENDING, JobStatus.IN_PROGRESS, JobStatus.FAILED)
            )
            if unfinished:
                return unfinished, None
            # Newest first: the job that finished last, for "what happened to my backfill?".
            return [], next(iter(await app.reports.list_jobs(limit=1)), None)

    reports, latest = run(main())
    if as_json:
        bodies = [JobBody.of(r) for r in reports]
        click.echo(json_text(bodies[0] if job_id else bodies))
        return
    if not reports:
        if latest is None:
            click.echo("no jobs yet; start one with `entsoe backfill`")
        else:
            click.echo(f"no unfinished jobs; the most recent:\n{describe(latest)}")
    for report in reports:
        click.echo(describe(report))


@click.command()
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([s.value for s in JobStatus]),
    help="Only jobs in this state; repeat for several.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=JOBS_LISTED,
    show_default=True,
    help="How many of the newest jobs to list.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def jobs(statuses: tuple[str, ...], limit: int, as_json: bool) -> None:
    """List the jobs, newest first.

    The newest 100 unless --limit names another number; when older ones are left out, a line on
    stderr says how many.
    """

    async def main() -> JobListing:
        async with application() as app:
            chosen = [JobStatus(s) for s in statuses] if statuses else None
            return await app.reports.listing(chosen, limit)

    listing = run(main())
    reports = listing.jobs
    if listing.more:
        click.echo(
            f"the newest {len(reports)} of {listing.total} jobs; --limit {listing.total} "
            "lists them all",
            err=True,
        )
    if as_json:
        click.echo(json_text([JobBody.of(r) for r in reports]))
        return
    if not reports:
        click.echo(
            "no jobs in that state" if statuses else "no jobs yet; start one with `entsoe backfill`"
        )
    for r in reports:
        areas = ",".join(AREAS.label(AREAS.key(a)) for a in r.job.areas)
        click.echo(
            f"{r.job.id}  {r.job.status.value:<11} {r.job.kind.value:<8} "
            f"{r.job.period.start:%Y-%m-%d}..{r.job.period.end:%Y-%m-%d}  "
            f"{r.counts[ChunkStatus.DONE]}/{r.counts.total} chunks  {areas}  "
            f"{','.join(r.job.datasets)}"
        )


@click.command()
@tz_option
@click.option("--area", "areas", multiple=True, required=True, help="Area(s) or FROM>TO.")
@click.option("--dataset", "datasets", multiple=True, required=True, help="Dataset key(s).")
@click.option(
    "--start", type=INSTANT, default=None, help="Default: ENTSOE_HISTORY_YEARS before today."
)
@click.option("--end", type=INSTANT, default=None, help="Default: tomorrow (UTC).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def coverage(
    areas: tuple[str, ...],
    datasets: tuple[str, ...],
    start: datetime | None,
    end: datetime | None,
    as_json: bool,
) -> None:
    """Covered, no data, provisional and missing intervals of areas x datasets: one partition
    of each window, with a legend."""

    async def main() -> list[CoverageBody]:
        async with application() as app:
            request = app.reads.request(split_option(areas), split_option(datasets), start, end)
            return [CoverageBody.of(report) for report in await app.reads.coverage(request)]

    reports = run(main())
    if as_json:
        click.echo(json_text(reports))
        return
    for report in reports:
        click.echo(
            f"{report.dataset} {report.area_label} "
            f"[{report.start.isoformat()}, {report.end.isoformat()})"
        )
        for label, spans in (
            ("covered", report.covered),
            ("no data", report.no_data),
            ("provisional", report.provisional),
            ("missing", report.missing),
        ):
            click.echo(
                f"  {label}: "
                + (
                    ", ".join(f"{s.start.isoformat()}..{s.end.isoformat()}" for s in spans)
                    or "none"
                )
            )
    click.echo("legend (each instant of a window is in exactly one):")
    for label, meaning in COVERAGE_LEGEND:
        click.echo(f"  {label}: {meaning}")


@click.command("fill-gaps")
def fill_gaps() -> None:
    """Keep ENTSOE_AREAS x ENTSOE_DATASETS fresh: fetch every gap up to now (and ahead, for
    forecasts), asking again for recent "no data" answers."""

    async def main() -> JobReport | None:
        async with application(fetching=True) as app:
            job = await app.gap_fill.create_job()
            if job is None:
                return None
            click.echo(f"job {job.id}")
            return await _run_job(app, job.id, resume=False)

    report = run(main())
    if report is None:
        click.echo("nothing missing: every configured area and dataset is up to date")
        return
    _finish(report)


@click.command()
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=None,
    help="Requests in flight (default: ENTSOE_MAX_REQUESTS_IN_FLIGHT).",
)
@click.option("--follow", is_flag=True, help="Keep waiting for new work instead of exiting.")
@metrics_options
def worker(
    concurrency: int | None, follow: bool, metrics_host: str, metrics_port: int | None
) -> None:
    """Claim and run chunks of every active job in the shared database.

    Start as many as you like against one PostgreSQL: each chunk is committed once, a killed
    worker's chunk is taken over when its lease expires, and all of them share one request
    budget kept in the database.
    """

    async def main() -> int:
        settings = load_settings(os.environ)
        if concurrency is not None:
            tuning = attrs.evolve(settings.backfill, max_requests_in_flight=concurrency)
            settings = attrs.evolve(settings, backfill=tuning)
        async with application(fetching=True, settings=settings) as app:
            view = ChunkProgressView(0, 0, "worker")
            click.echo(f"worker {app.backfill.owner} started", err=True)
            async with serve_metrics(app, "worker", metrics_host, metrics_port):
                await app.backfill.work(follow=follow, on_chunk=view.update)
            return view.finished

    count = run(main())
    click.echo(f"worker finished: {count} chunk(s) run")
