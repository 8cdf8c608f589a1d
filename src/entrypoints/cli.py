"""The ``entsoe`` command line: thin commands over the services.

Each command parses its input, calls one service, and renders the result. Bad input is one
line on stderr and exit code 2; a job that ends failed is exit code 1.
"""

from __future__ import annotations

import os

import click

from entrypoints.cli_areas import areas
from entrypoints.cli_data import export, import_
from entrypoints.cli_datasets import datasets
from entrypoints.cli_db import db
from entrypoints.cli_demo import demo
from entrypoints.cli_emulator import emulator
from entrypoints.cli_jobs import backfill, cancel, coverage, fill_gaps, jobs, resume, status, worker
from entrypoints.cli_parse import parse
from entrypoints.cli_plan import plan
from entrypoints.cli_quality import quality
from entrypoints.cli_run import run_command
from entrypoints.cli_serve import serve
from entrypoints.logs import LOG_FORMATS, configure_logging
from entsoe_core import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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


for command in (plan, backfill, resume, cancel, status, jobs, coverage, fill_gaps, worker):
    main.add_command(command)
main.add_command(import_)
main.add_command(export)
main.add_command(quality)
main.add_command(demo)
main.add_command(emulator)
main.add_command(parse)
main.add_command(serve)
main.add_command(db)
main.add_command(datasets)
main.add_command(run_command)
main.add_command(areas)


def run() -> None:
    """The console script: click's usage errors become one line on stderr and exit code 2."""
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
