"""The ``entsoe`` command line: thin commands over the services.

Each command parses its input, calls one service, and renders the result. Bad input is one
line on stderr and exit code 2; a job that ends failed is exit code 1.
"""

from __future__ import annotations

import click

from entrypoints.cli_emulator import emulator
from entrypoints.cli_parse import parse
from entsoe_core import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="entsoe")
def main() -> None:
    """Keep a database full of ENTSO-E Transparency Platform data."""


main.add_command(emulator)
main.add_command(parse)
