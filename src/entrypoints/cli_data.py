"""Commands that move observations in and out: import, export."""

from __future__ import annotations

import gc
import sys
from datetime import datetime, tzinfo
from pathlib import Path

import click

from entrypoints.bootstrap import Application, application
from entrypoints.cli_shape import shape_options
from entrypoints.cli_support import INSTANT, current_zone, fail, run, split_option, tz_option
from entrypoints.export_files import (
    EXPORT_FORMATS,
    TextPages,
    YearPartitions,
    bytes_replaced_on_success,
    export_format_for,
    replaced_on_success,
    target_stem,
)
from entrypoints.parquet_rows import ParquetRows, require_pyarrow
from entrypoints.reshaped import reshaped_read
from entrypoints.wire import row_writer
from entsoe_core.errors import ConfigurationError, InvalidRequest
from entsoe_core.resolution_rules import NATIVE, ResolutionRule
from entsoe_core.services.importing import ImportReport
from entsoe_core.services.requests import BackfillRequest

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
@tz_option
@click.option(
    "--area",
    "areas",
    multiple=True,
    required=True,
    help="EIC code, alias, or FROM>TO for borders; comma-separated or repeated.",
)
@click.option(
    "--dataset",
    "datasets",
    multiple=True,
    required=True,
    help="Dataset key; comma-separated or repeated.",
)
@click.option(
    "--start", type=INSTANT, required=True, help="ISO date (midnight, UTC or --tz) or datetime."
)
@click.option(
    "--end",
    type=INSTANT,
    required=True,
    help="ISO date (midnight, UTC or --tz) or datetime; exclusive.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(EXPORT_FORMATS),
    default=None,
    help="jsonl, csv or parquet; by default from the -o file's suffix (.csv, .parquet), "
    "jsonl otherwise.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="Write to this file instead of stdout; a directory for several areas or datasets "
    "(one file each) or with --partition.",
)
@click.option(
    "--partition",
    is_flag=True,
    help="Parquet partitioned the hive way under -o DIR: dataset=…/area=…/year=…",
)
@shape_options
def export(
    areas: tuple[str, ...],
    datasets: tuple[str, ...],
    start: datetime,
    end: datetime,
    output_format: str | None,
    output: Path | None,
    resolution: ResolutionRule,
    wide: bool,
    partition: bool,
) -> None:
    """Stored observations in [START, END): timestamp, value and unit first, then dataset,
    area and the series' key fields, each code beside its name (docs/cli.md lists the columns).

    Timestamps are in UTC (`Z`), or with --tz in that zone, with their offset and the zone
    named in a `tz` column (Parquet: in the column's type). With -o, the rows go to a
    temporary file beside FILE, which replaces FILE only once every row is written: a failed
    export leaves an existing FILE as it was. Several areas or datasets go to one file each,
    DATASET_AREA.FORMAT, in the directory -o names.
    """
    zone = current_zone()
    export_format = output_format or ("parquet" if partition else export_format_for(output))
    if export_format == "parquet":
        try:
            require_pyarrow()
        except ConfigurationError as error:
            fail(str(error))
    if partition and export_format != "parquet":
        fail(f"--partition writes Parquet; it cannot be combined with --format {export_format}")

    async def main() -> int:
        async with application() as app:
            collect_for_long_exports()
            request = app.reads.request(split_option(areas), split_option(datasets), start, end)
            if wide or resolution != NATIVE:
                return await _reshaped(app, request, output, export_format, zone, resolution, wide)
            each = app.reads.one_by_one(request)
            if partition or len(each) > 1:
                folder = _folder(output, partition, len(each))
                return sum(
                    [
                        await _to_folder(app, one, folder, export_format, zone, partition)
                        for one in each
                    ]
                )
            return await _to_file(app, each[0], output, export_format, zone)

    count = run(main())
    click.echo(f"exported {count} {'row' if wide else 'observation'}(s)", err=True)


async def _reshaped(
    app: Application,
    request: BackfillRequest,
    output: Path | None,
    export_format: str,
    zone: tzinfo,
    rule: ResolutionRule,
    wide: bool,
) -> int:
    """The rows of one dataset with a resolution rule applied, or wide, as CSV or JSONL."""
    if len(request.datasets) > 1:
        raise InvalidRequest(
            f"--wide and --resolution shape one dataset at a time; got {len(request.datasets)}: "
            f"{', '.join(request.datasets)}"
        )
    if export_format not in ("csv", "jsonl"):
        raise InvalidRequest(f"--wide and --resolution write csv or jsonl, not {export_format}")
    fields, rows = await reshaped_read(app.reads, request, rule, wide=wide, zone=zone)
    if output is None:
        row_writer(sys.stdout, export_format, fields)(rows)
    else:
        with replaced_on_success(output) as text:
            row_writer(text, export_format, fields)(rows)
    return len(rows)


def collect_for_long_exports() -> None:
    """Set the garbage collector for the rest of the process for an export of millions of
    points.

    A long export makes millions of short-lived objects (a row a point, as the driver hands
    them over) and no reference cycles. Collecting after every 700 of them, each time walking
    all that the imports made, took a third of its time: what exists now lives as long as the
    command and is frozen out of the collections, and they run less often.
    """
    gc.freeze()
    gc.set_threshold(50_000, 20, 10)


def _folder(output: Path | None, partition: bool, targets: int) -> Path:
    why = "--partition" if partition else f"{targets} (dataset, area) pairs"
    if output is None:
        raise InvalidRequest(f"{why} need a directory: give -o DIR")
    if output.exists() and not output.is_dir():
        raise InvalidRequest(f"{output} is a file; {why} need a directory for -o")
    output.mkdir(parents=True, exist_ok=True)
    return output


async def _to_file(
    app: Application,
    request: BackfillRequest,
    output: Path | None,
    export_format: str,
    zone: tzinfo,
) -> int:
    if export_format == "parquet":
        if output is None:
            if sys.stdout.isatty():
                raise InvalidRequest("Parquet is binary: give -o FILE, or redirect stdout")
            rows = ParquetRows(sys.stdout.buffer, zone)
            count = await app.reads.export_columns(request, rows.write, page_size=PAGE)
            rows.close()
            return count
        with bytes_replaced_on_success(output) as binary:
            rows = ParquetRows(binary, zone)
            count = await app.reads.export_columns(request, rows.write, page_size=PAGE)
            rows.close()
            return count
    if output is None:
        return await app.reads.export(
            request, TextPages(sys.stdout, export_format, zone).write, page_size=PAGE
        )
    with replaced_on_success(output) as text:
        return await app.reads.export(
            request, TextPages(text, export_format, zone).write, page_size=PAGE
        )


async def _to_folder(
    app: Application,
    request: BackfillRequest,
    folder: Path,
    export_format: str,
    zone: tzinfo,
    partition: bool,
) -> int:
    ((dataset, area),) = request.targets()
    if partition:
        with YearPartitions(folder, dataset, area, zone) as partitions:
            return await app.reads.export_columns(request, partitions.write, page_size=PAGE)
    path = folder / f"{target_stem(dataset, area)}.{export_format}"
    return await _to_file(app, request, path, export_format, zone)
