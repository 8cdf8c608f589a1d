"""The ``datasets`` command: the catalogue, with the request limits the source has taught."""

from __future__ import annotations

import click

from entrypoints.bootstrap import application
from entrypoints.cli_support import run
from entrypoints.dataset_table import AREA_KINDS, markdown_table
from entrypoints.wire import DatasetBody, json_text
from entsoe_core.datasets import DATASETS


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--markdown",
    is_flag=True,
    help="The catalogue as the Markdown table of the README (no database needed).",
)
def datasets(as_json: bool, markdown: bool) -> None:
    """The datasets that can be fetched, and the longest period one request may ask for.

    For each: its key and title, document and process type, the kind of area it takes (single
    areas or borders) and the request's domain parameter,
    the catalogue's request limit, the limit learned from the source's refusals (and when), the
    effective limit every plan cuts chunks by, how far ahead it is published, its resolutions.
    """

    if markdown:
        click.echo(markdown_table(DATASETS), nl=False)
        return

    async def main() -> list[DatasetBody]:
        async with application() as app:
            return [DatasetBody.of(report) for report in await app.datasets.datasets()]

    bodies = run(main())
    if as_json:
        click.echo(json_text(bodies))
        return
    for body in bodies:
        document = body.document_type + (f"/{body.process_type}" if body.process_type else "")
        if body.business_type:
            document += f" businessType={body.business_type}"
        if body.contract_type:
            document += f" contract_MarketAgreement.Type={body.contract_type}"
        learned = "none learned"
        if body.learned_limit is not None and body.learned_at is not None:
            learned = f"learned {body.learned_limit} on {body.learned_at:%Y-%m-%d %H:%M}Z"
        click.echo(f"{body.key}  {body.title}")
        click.echo(
            f"  {document}; {AREA_KINDS[body.area_kind]} ({body.domain}); "
            f"limit {body.effective_limit} per request "
            f"(catalogue {body.catalogue_limit}, {learned}); published "
            f"{body.publication_horizon} ahead; {', '.join(body.resolutions)}"
        )
