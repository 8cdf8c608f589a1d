"""Commands that move observations in and out: import, export."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TextIO

import click

from entrypoints.bootstrap import application
from entrypoints.cli_support import INSTANT, fail, run
from entrypoints.wire import ROW_FORMATS, observation_rows, row_format_for, row_writer
from entsoe_core.services.importing import ImportReport

PAGE = 50_000


@click.command("import")
@click.argument(
    "files",
    nargs=-1,
    required=True,
    metavar="FILE...",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
)
def import_(files: tuple[Path, ...]) -> None:
    """Load saved ENTSO-E documents (XML or ZIP) into the store.

    Idempotent and version-aware: importing a file twice changes nothing, and a value is never
    replaced by one from an older document version (a lower revision, or the same revision
    created earlier); the report counts the values kept that way. The whole import is one
    transaction and every file is read once: a file that cannot be read or parsed, or whose
    series break a rule that needs no request (a dataset of the catalogue, a resolution it
    allows, finite values), means nothing is imported. FILE may be `-` for standard input.
    """

    async def main() -> ImportReport:
        async with application() as app:
            return await app.imports.import_files([str(path) for path in files])

    report = run(main())
    for name, text in report.acknowledgements:
        click.echo(f"{name}: acknowledgement, nothing to import: {text}", err=True)
    stored = report.stored
    click.echo(
        f"imported {report.files} file(s): {stored.points} points read, {stored.written} "
        f"written, {stored.kept_newer} kept (stored values are newer), {stored.unchanged} "
        "unchanged"
    )


@click.command()
@click.option("--area", required=True, help="EIC code, alias, or FROM>TO for borders.")
@click.option("--dataset", required=True, help="Dataset key.")
@click.option("--start", type=INSTANT, required=True, help="ISO date (UTC) or datetime.")
@click.option("--end", type=INSTANT, required=True, help="ISO date (UTC) or datetime; exclusive.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(ROW_FORMATS),
    default=None,
    help="jsonl or csv; by default csv for an -o file named *.csv, jsonl otherwise.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of stdout.",
)
def export(
    area: str,
    dataset: str,
    start: datetime,
    end: datetime,
    output_format: str | None,
    output: Path | None,
) -> None:
    """Stored observations in [START, END), in the shape of `entsoe parse` output.

    With -o, the rows go to a temporary file beside FILE, which replaces FILE only once every
    row is written: a failed export leaves an existing FILE as it was.
    """
    row_format = output_format or row_format_for(output)

    async def main(out: TextIO) -> int:
        async with application() as app:
            request = app.reads.request([area], [dataset], start, end)
            write = row_writer(out, row_format)
            return await app.reads.export(
                request, lambda page: write(observation_rows(page)), page_size=PAGE
            )

    if output is None:
        count = run(main(sys.stdout))
    else:
        with _replaced_on_success(output) as out:
            count = run(main(out))
    click.echo(f"exported {count} observation(s)", err=True)


@contextlib.contextmanager
def _replaced_on_success(path: Path) -> Iterator[TextIO]:
    """A temporary file beside ``path`` that is renamed to ``path`` if the block succeeds.

    Beside it, so that the rename stays on one file system and is atomic; on any failure
    (exit codes included) the temporary file goes and ``path`` is untouched.
    """
    try:
        descriptor, name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".partial"
        )
    except OSError as error:
        fail(f"{path}: cannot write beside it: {error.strerror or error}")
    temporary = Path(name)
    try:
        # mkstemp makes the file private; the export gets the mode FILE has, or would get.
        os.chmod(descriptor, _mode_for(path))
        with open(descriptor, "w", encoding="utf-8", newline="") as out:
            yield out
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
