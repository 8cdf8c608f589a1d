"""``entsoe parse``: print the observations of saved ENTSO-E documents, one per line."""

from __future__ import annotations

import sys

import click

from adapters.entsoe_xml import read_saved, saved_label
from entrypoints.wire import DEFAULT_ROW_FORMAT, ROW_FORMATS, iter_rows, row_writer
from entsoe_core.errors import DocumentFault, InvalidRequest, SourceError
from entsoe_core.observations import Series
from entsoe_core.ports import Acknowledged
from entsoe_core.validation import check_series


@click.command("parse")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(ROW_FORMATS),
    default=DEFAULT_ROW_FORMAT,
    show_default=True,
    help="jsonl: one JSON object per line; csv: a header, then rows.",
)
def parse(files: tuple[str, ...], output_format: str) -> None:
    """Parse saved ENTSO-E documents (XML or ZIP) and print one observation per line.

    FILE may be `-` (or /dev/stdin, or any pipe) to read a document from standard input.
    An acknowledgement ("No matching data found", or an error) prints no rows; what it said
    goes to stderr. A file that cannot be read or parsed, or whose series break a rule that
    needs no request (a dataset of the catalogue, a resolution it allows, finite values), is
    one line on stderr and exit code 2.
    """
    write = row_writer(sys.stdout, output_format)
    failed = False
    for name in files:
        try:
            # Whole files at a time, so a file that breaks half-way prints nothing. The parser's
            # errors name the file.
            items = list(read_saved(name))
        except (InvalidRequest, SourceError) as error:
            click.echo(f"entsoe parse: {error}", err=True)
            failed = True
            continue
        series = [item for item in items if isinstance(item, Series)]
        try:
            check_series(series)
        except DocumentFault as fault:
            click.echo(f"entsoe parse: {saved_label(name)}: {fault}", err=True)
            failed = True
            continue
        for item in items:
            if isinstance(item, Acknowledged):
                click.echo(
                    f"{saved_label(name)}: acknowledgement, no observations "
                    f"(reason {item.reason_code}): {item.text}",
                    err=True,
                )
        write(iter_rows(series))
    if failed:
        raise SystemExit(2)
