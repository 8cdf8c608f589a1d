"""The options that shape what ``entsoe export`` writes: ``--resolution`` and ``--wide``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from entsoe_core.errors import InvalidRequest
from entsoe_core.resolution_rules import RESOLUTION_RULES, ResolutionRule

__all__ = ["RESOLUTION", "shape_options"]

F = TypeVar("F", bound=Callable[..., Any])


class _ResolutionType(click.ParamType[ResolutionRule]):
    name = "RULE"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> ResolutionRule:
        if isinstance(value, ResolutionRule):
            return value
        try:
            return ResolutionRule.parse(str(value))
        except InvalidRequest as error:
            self.fail(str(error), param, ctx)


RESOLUTION = _ResolutionType()


def shape_options(command: F) -> F:
    """``--resolution RULE`` (default ``native``) and ``--wide``."""
    command = click.option(
        "--wide",
        is_flag=True,
        help="One row per instant and one column per series, named as entsoe-py names its "
        "columns (Solar, Actual Load, NL …); the unit in a column of its own.",
    )(command)
    return click.option(
        "--resolution",
        type=RESOLUTION,
        default="native",
        show_default=True,
        help=f"Series of several resolutions: {RESOLUTION_RULES}. native keeps each apart; "
        "finest/coarsest keep, per step, the finest/coarsest one published; RES:mean gives "
        "one series at RES, averaging finer ones into it.",
    )(command)
