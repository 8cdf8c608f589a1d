"""The version rule of :mod:`entsoe_core.versions` as the ``WHERE`` of an upsert's update."""

from __future__ import annotations

__all__ = ["replaces", "replaces_between", "replaces_changing"]


def replaces(stored: str) -> str:
    """:meth:`~entsoe_core.versions.Version.replaces` as the upsert's ``WHERE`` clause.

    An undated incoming row (``excluded.created_at`` NULL) against a dated stored one makes
    the last comparison NULL, which ``WHERE`` treats as false: the stored value is kept.
    """
    return f"WHERE {replaces_between('excluded', stored)}"


def replaces_between(incoming: str, stored: str) -> str:
    """The condition of :func:`replaces`, for rows of ``incoming`` against rows of ``stored``."""
    return f"""\
{incoming}.revision > {stored}.revision
    OR ({incoming}.revision = {stored}.revision
        AND ({stored}.created_at IS NULL OR {incoming}.created_at >= {stored}.created_at))
"""


def replaces_changing(stored: str) -> str:
    """:func:`replaces`, narrowed to rows that change something (SQLite's upsert).

    A row the version rule would replace with the same value, unit and curve type from the
    same revision is left alone, whatever its creation time (see
    :class:`~entsoe_core.versions.UpsertResult`). A row the rule keeps calls
    ``entsoe_kept()``, which the upsert registers to count those rows (it answers 0, 1, 2 ...,
    never below 0): the rows left alone are then the rest of those not written. Kept rows are
    counted rather than unchanged ones because a re-fetch of unchanged data is the common
    case, and the function call the costly part. SQLite evaluates ``OR`` and ``AND`` from
    left to right and stops as soon as the outcome is known, so the function runs for exactly
    the rows kept.
    """
    rule = replaces(stored).removeprefix("WHERE ")
    return f"""\
WHERE ({rule} OR entsoe_kept() < 0)
    AND (excluded.value, excluded.unit, excluded.curve_type, excluded.revision)
        IS NOT ({stored}.value, {stored}.unit, {stored}.curve_type, {stored}.revision)
"""
