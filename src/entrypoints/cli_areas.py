"""The ``areas`` command: every area of the catalogue, with names, kinds and validity."""

from __future__ import annotations

import click

from entrypoints.wire import AreaBody, json_text
from entsoe_core.areas import AREAS


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (GET /areas).")
def areas(as_json: bool) -> None:
    """The areas data can be asked for: alias, EIC code, kinds (bidding zone, control area …),
    time zone, the window it existed in, and its name. No database needed."""
    bodies = [AreaBody.of(area) for area in AREAS]
    if as_json:
        click.echo(json_text(bodies))
        return
    for body in bodies:
        window = ""
        if body.valid_from or body.valid_until:
            since = f"{body.valid_from:%Y-%m-%d}" if body.valid_from else ""
            until = f"{body.valid_until:%Y-%m-%d}" if body.valid_until else ""
            window = f"  valid {since}..{until}"
        note = ""
        if body.choose_instead:
            note = f"  (as {body.alias}: ambiguous; give {', '.join(body.choose_instead)})"
        click.echo(
            f"{body.alias:<14} {body.code:<18} {', '.join(body.kinds):<48} "
            f"{body.timezone:<17} {body.name}{window}{note}"
        )
