"""A click group whose commands are imported when they are run, not when ``entsoe`` starts.

Every command pulls in what it needs (the database driver, the HTTP server, pandas …); a
group that imports them all up front makes ``entsoe status`` pay for ``entsoe serve``'s
imports. Here a command is named by its module and attribute, and by the first sentence of
its help, which is all ``entsoe --help`` shows, so the listing imports none of them.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Mapping
from typing import Any

import attrs
import click

__all__ = ["LazyCommand", "LazyGroup"]


@attrs.frozen
class LazyCommand:
    """Where a command lives, and the first sentence of its help for the group's listing."""

    module: str
    attribute: str
    summary: str

    def load(self) -> click.Command:
        # Importing makes objects by the hundred thousand and hardly any garbage: the
        # collector's passes over them would cost a fifth of the import.
        collecting = gc.isenabled()
        gc.disable()
        try:
            command = getattr(importlib.import_module(self.module), self.attribute)
        finally:
            if collecting:
                gc.enable()
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.module}.{self.attribute} is not a click command")
        return command

    def listed(self, name: str) -> click.Command:
        """A stand-in that lists like the command, for ``--help``."""
        return click.Command(name, help=self.summary)


class LazyGroup(click.Group):
    """A group that imports a lazy command's module only when the command is asked for.

    Commands added with :meth:`add_command` are kept as click keeps them; the lazy ones are
    listed from their summaries.
    """

    def __init__(self, *args: Any, lazy: Mapping[str, LazyCommand], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(self.lazy[cmd_name].load(), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        listed = [
            (name, self.commands.get(name) or self.lazy[name].listed(name))
            for name in self.list_commands(ctx)
        ]
        shown = [(name, command) for name, command in listed if not command.hidden]
        if not shown:
            return
        # click's own layout: the short help gets what the widest name leaves of the line.
        limit = formatter.width - 6 - max(len(name) for name, _ in shown)
        with formatter.section("Commands"):
            formatter.write_dl([(name, c.get_short_help_str(limit)) for name, c in shown])
