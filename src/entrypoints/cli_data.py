"""Commands that move observations in and out: import, export."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TextIO

import click

from adapters.entsoe_http.parser import Acknowledgement, iter_parsed
from adapters.entsoe_http.rows import row
from entrypoints.bootstrap import application
from entrypoints.cli_parse import _row_writer
from entrypoints.cli_support import INSTANT, fail, run
from entsoe_core.areas import AreaKey
from entsoe_core.errors import InvalidRequest, SourceError
from entsoe_core.observations import Series
from entsoe_core.services.requests import BackfillRequest
from entsoe_core.validation import file_series

PAGE = 50_000


def _filed(path: Path) -> Iterator[tuple[str, AreaKey, Series] | Acknowledgement]:
    number = 0
    for item in iter_parsed(path, label=str(path)):
        if isinstance(item, Acknowledgement):
            yield item
            continue
        number += 1
        filed = file_series(item, number)
        yield filed.dataset.key, filed.area, filed.series


@click.command("import")
@click.argument(
    "files",
    nargs=-1,
    required=True,
    metavar="FILE...",
    type=click.Path(dir_okay=False, path_type=Path),
)
def import_(files: tuple[Path, ...]) -> None:
    """Load saved ENTSO-E documents (XML or ZIP) into the store.

    Idempotent and revision-aware: importing a file twice changes nothing, and a value is never
    replaced by one from an older revision. Every file is checked before anything is written
    (it must parse, and every series must keep the rules that need no request: a dataset of the
    catalogue, a resolution it allows, finite values); one bad file means nothing is imported.
    """
    for path in files:
        try:
            for item in _filed(path):
                if isinstance(item, Acknowledgement):
                    click.echo(f"{path}: acknowledgement, nothing to import: {item.text}", err=True)
        except OSError as error:
            fail(f"{path}: cannot read it: {error.strerror or error}")
        except SourceError as error:
            fail(f"{path}: {error}; nothing was imported")

    async def main() -> tuple[int, int]:
        async with application() as app, app.uow() as uow:
            points = written = 0
            for path in files:
                for item in _filed(path):
                    if isinstance(item, Acknowledgement):
                        continue
                    dataset, area, series = item
                    points += len(series.points)
                    written += await uow.store.upsert(dataset, area, [series])
            await uow.commit()
            return points, written

    points, written = run(main())
    click.echo(
        f"imported {len(files)} file(s): {points} points read, {written} written "
        f"({points - written} kept because the stored revision is newer)"
    )


@click.command()
@click.option("--area", required=True, help="EIC code, alias, or FROM>TO for borders.")
@click.option("--dataset", required=True, help="Dataset key.")
@click.option("--start", type=INSTANT, required=True, help="ISO date (UTC) or datetime.")
@click.option("--end", type=INSTANT, required=True, help="ISO date (UTC) or datetime; exclusive.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["csv", "jsonl"]),
    default="csv",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of stdout.",
)
def export(
    area: str, dataset: str, start: datetime, end: datetime, output_format: str, output: Path | None
) -> None:
    """Stored observations in [START, END), in the shape of `entsoe parse` output."""
    request = _checked(area, dataset, start, end)

    async def main(out: TextIO) -> int:
        write = _row_writer(out, output_format)
        count = 0
        async with application() as app:
            after = None
            while True:
                async with app.uow() as uow:
                    page = await uow.store.read(
                        request.datasets[0],
                        request.areas[0],
                        request.period,
                        after=after,
                        limit=PAGE,
                    )
                for o in page:
                    write(row(o.key, o.curve_type, o.timestamp, o.value))
                count += len(page)
                if len(page) < PAGE:
                    return count
                after = (page[-1].timestamp, page[-1].key)

    with contextlib.ExitStack() as stack:
        out = (
            stack.enter_context(output.open("w", encoding="utf-8", newline=""))
            if output
            else sys.stdout
        )
        count = run(main(out))
    click.echo(f"exported {count} observation(s)", err=True)


def _checked(area: str, dataset: str, start: datetime, end: datetime) -> BackfillRequest:
    try:
        return BackfillRequest.parse([area], [dataset], start, end, max_years=100)
    except InvalidRequest as error:
        fail(str(error))
