"""The version rule of :mod:`entsoe_core.versions` as the ``WHERE`` of an upsert's update."""

from __future__ import annotations

__all__ = ["replaces"]


def replaces(stored: str) -> str:
    """:meth:`~entsoe_core.versions.Version.replaces` as the upsert's ``WHERE`` clause.

    An undated incoming row (``excluded.created_at`` NULL) against a dated stored one makes
    the last comparison NULL, which ``WHERE`` treats as false: the stored value is kept.
    """
    return f"""\
WHERE excluded.revision > {stored}.revision
    OR (excluded.revision = {stored}.revision
        AND ({stored}.created_at IS NULL OR excluded.created_at >= {stored}.created_at))
"""
