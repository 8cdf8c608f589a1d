"""The quality command: per stored series, points expected and stored, and its holes."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from entrypoints.bootstrap import application
from entrypoints.cli_support import INSTANT, run, split_option, tz_option
from entrypoints.wire import QualityBody, json_text, quality_csv

FORMATS = ("table", "json", "csv")


@click.command()
@tz_option
@click.option("--area", "areas", multiple=True, required=True, help="Area(s) or FROM>TO.")
@click.option("--dataset", "datasets", multiple=True, required=True, help="Dataset key(s).")
@click.option(
    "--start", type=INSTANT, default=None, help="Default: ENTSOE_HISTORY_YEARS before today."
)
@click.option("--end", type=INSTANT, default=None, help="Default: tomorrow (UTC); exclusive.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table for people; json or csv for programs (the fields of GET /quality).",
)
@click.option(
    "--fail-on-holes",
    is_flag=True,
    help="Exit 1 when any series has a hole (accepted ones too), 0 otherwise.",
)
def quality(
    areas: tuple[str, ...],
    datasets: tuple[str, ...],
    start: datetime | None,
    end: datetime | None,
    output_format: str,
    fail_on_holes: bool,
) -> None:
    """Per stored series of areas x datasets in [START, END): points expected from its
    resolution, points stored, holes (the first ten and a count), last fetch, revision."""

    async def main() -> list[QualityBody]:
        async with application() as app:
            request = app.reads.request(split_option(areas), split_option(datasets), start, end)
            return [QualityBody.of(one) for one in await app.quality.report(request)]

    bodies = run(main())
    if output_format == "json":
        click.echo(json_text(bodies))
    elif output_format == "csv":
        quality_csv(sys.stdout, bodies)
    else:
        _table(bodies)
    if fail_on_holes and any(body.holes for body in bodies):
        raise SystemExit(1)


def _table(bodies: list[QualityBody]) -> None:
    if not bodies:
        click.echo("no stored series in the period")
    for body in bodies:
        series = " ".join(
            part
            for part in (
                f"{body.document_type}/{body.process_type}"
                if body.process_type
                else body.document_type,
                body.business_type,
                body.psr_type and f"psr {body.psr_type}",
                body.classification_position and f"position {body.classification_position}",
                body.price_category and f"price category {body.price_category}",
                body.flow_direction and f"direction {body.flow_direction}",
                body.market_product and f"product {body.market_product}",
                body.quantity_kind,
                body.registered_resource and f"unit {body.registered_resource}",
                body.resolution,
            )
            if part
        )
        accepted = f" ({body.holes_accepted} published that way)" if body.holes_accepted else ""
        fetched = body.last_fetch.isoformat() if body.last_fetch else "never"
        click.echo(
            f"{body.dataset} {body.area_label} {series}: {body.stored}/{body.expected} points, "
            f"{body.holes} holes{accepted}, revision {body.revision}, last fetch {fetched}"
        )
        for hole in body.first_holes:
            click.echo(f"  hole {hole.start.isoformat()}..{hole.end.isoformat()}")
        if body.holes > len(body.first_holes):
            click.echo(f"  … and {body.holes - len(body.first_holes)} more")
