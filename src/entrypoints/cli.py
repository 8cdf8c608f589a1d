"""The ``entsoe`` command line: thin commands over the services.

Each command parses its input, calls one service, and renders the result. Bad input is one
line on stderr and exit code 2; a job that ends failed is exit code 1.
"""

from __future__ import annotations

import atexit
import gc
import os
import signal
from types import FrameType
from typing import NoReturn

import click

from entrypoints.lazy_group import LazyCommand, LazyGroup
from entrypoints.logs import LOG_FORMATS, configure_logging
from entsoe_core import __version__

# Each command is imported when it runs: `entsoe status` does not pay for the HTTP server,
# the emulator or pandas. The summaries are what `entsoe --help` lists (a test keeps them
# equal to the commands' own help).
COMMANDS = {
    "plan": LazyCommand(
        "entrypoints.cli_plan",
        "plan",
        "Show what `entsoe backfill` would fetch with the same options, writing nothing.",
    ),
    "backfill": LazyCommand(
        "entrypoints.cli_jobs",
        "backfill",
        "Plan, persist and run a backfill of areas x datasets over [START, END).",
    ),
    "resume": LazyCommand(
        "entrypoints.cli_jobs",
        "resume",
        "Run every chunk of JOB that is not done, failed ones included.",
    ),
    "cancel": LazyCommand(
        "entrypoints.cli_jobs",
        "cancel",
        "Cancel JOB: its waiting chunks are cancelled, data already stored stays.",
    ),
    "status": LazyCommand(
        "entrypoints.cli_jobs", "status", "Status of JOB, or of every job that is not finished."
    ),
    "jobs": LazyCommand("entrypoints.cli_jobs", "jobs", "List the jobs, newest first."),
    "coverage": LazyCommand(
        "entrypoints.cli_jobs",
        "coverage",
        "Covered, no data, provisional and missing intervals of areas x datasets: one "
        "partition of each window, with a legend.",
    ),
    "fill-gaps": LazyCommand(
        "entrypoints.cli_jobs",
        "fill_gaps",
        "Keep ENTSOE_AREAS x ENTSOE_DATASETS fresh: fetch every gap up to now (and ahead, "
        'for forecasts), asking again for recent "no data" answers.',
    ),
    "worker": LazyCommand(
        "entrypoints.cli_jobs",
        "worker",
        "Claim and run chunks of every active job in the shared database.",
    ),
    "import": LazyCommand(
        "entrypoints.cli_data",
        "import_",
        "Load saved ENTSO-E documents (XML or ZIP) into the store.",
    ),
    "export": LazyCommand(
        "entrypoints.cli_data",
        "export",
        "Stored observations in [START, END): timestamp, value and unit first, then dataset, "
        "area and the series' key fields, each code beside its name (docs/cli.md lists the "
        "columns).",
    ),
    "quality": LazyCommand(
        "entrypoints.cli_quality",
        "quality",
        "Per stored series of areas x datasets in [START, END): points expected from its "
        "resolution, points stored, holes (the first ten and a count), last fetch, revision.",
    ),
    "demo": LazyCommand(
        "entrypoints.cli_demo",
        "demo",
        "Start the emulator on loopback and backfill a year of several areas and datasets.",
    ),
    "emulator": LazyCommand(
        "entrypoints.cli_emulator",
        "emulator",
        "Answer like the ENTSO-E API with deterministic synthetic data.",
    ),
    "parse": LazyCommand(
        "entrypoints.cli_parse",
        "parse",
        "Parse saved ENTSO-E documents (XML or ZIP) and print one observation per line.",
    ),
    "serve": LazyCommand(
        "entrypoints.cli_serve",
        "serve",
        "Serve the HTTP API and the dashboard at /: start and watch backfills, read coverage "
        "and observations.",
    ),
    "db": LazyCommand("entrypoints.cli_db", "db", "The database schema."),
    "datasets": LazyCommand(
        "entrypoints.cli_datasets",
        "datasets",
        "The datasets that can be fetched, and the longest period one request may ask for.",
    ),
    "run": LazyCommand(
        "entrypoints.cli_run",
        "run_command",
        "Keep ENTSOE_AREAS x ENTSOE_DATASETS fresh, without cron: each dataset on a schedule "
        "that follows its publication (ENTSOE_SCHEDULES sets cron expressions per dataset), "
        "and the chunks of every active job run between rounds, like `entsoe worker`.",
    ),
    "areas": LazyCommand(
        "entrypoints.cli_areas",
        "areas",
        "The areas data can be asked for: alias, EIC code, kinds (bidding zone, control area "
        "…), time zone, the window it existed in, and its name.",
    ),
}


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="entsoe")
@click.option("-v", "--verbose", is_flag=True, help="Log what happens (requests, retries).")
@click.option(
    "--log-format",
    type=click.Choice(LOG_FORMATS),
    default="text",
    envvar="ENTSOE_LOG_FORMAT",
    show_default=True,
    help="json: one JSON object a line, with job, chunk, dataset, area and outcome.",
)
def main(verbose: bool, log_format: str) -> None:
    """Keep a database full of ENTSO-E Transparency Platform data."""
    secrets = (os.environ.get(name, "") for name in ("ENTSOE_API_TOKEN", "ENTSOE_HTTP_TOKEN"))
    configure_logging(verbose=verbose, log_format=log_format, secrets=secrets)


def _interrupted(signum: int, frame: FrameType | None) -> NoReturn:
    raise KeyboardInterrupt


def run() -> None:
    """The console script: click's usage errors become one line on stderr and exit code 2."""
    # SIGTERM is Ctrl-C from the start, not only once a command runs (a worker stopped while
    # its modules load exits 130 too, not by the signal); commands that run install their own.
    signal.signal(signal.SIGTERM, _interrupted)
    # On its way out the interpreter searches every object the imports made for garbage, a
    # fifth of a short command's time once sqlalchemy is in; frozen, they are only freed.
    atexit.register(gc.freeze)
    try:
        code = main.main(standalone_mode=False)
    except click.UsageError as error:
        command = error.ctx.command_path if error.ctx else "entsoe"
        click.echo(f"{command}: {error.format_message()} (see `{command} --help`)", err=True)
        raise SystemExit(2) from None
    except click.ClickException as error:
        click.echo(f"entsoe: {error.format_message()}", err=True)
        raise SystemExit(error.exit_code) from None
    except click.Abort:
        click.echo("entsoe: aborted", err=True)
        raise SystemExit(130) from None
    raise SystemExit(code if isinstance(code, int) else 0)
