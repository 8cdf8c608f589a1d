"""NextDuePort on cronsim: five fields (minute hour day month weekday), or six with seconds
first, always in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cronsim import CronSim, CronSimError

__all__ = ["CronsimNextDue", "check_expression"]

_EXAMPLE = "'20 12,16 * * *' (12:20 and 16:20 UTC) or '7 * * * *' (every hour at :07)"


def check_expression(expression: str) -> str:
    """The expression, if cronsim reads it; a ``ValueError`` naming it otherwise."""
    try:
        CronSim(expression, datetime(2000, 1, 1, tzinfo=UTC))
    except CronSimError as error:
        raise ValueError(
            f"{expression!r} is not a cron expression ({error}); give five fields, "
            f"for example {_EXAMPLE}"
        ) from None
    return expression


class CronsimNextDue:
    """Reads cron expressions in UTC."""

    def next_after(self, expression: str, after: datetime) -> datetime:
        # cronsim steps from the whole second: strictly after a fractional instant is the
        # first instant after its whole second.
        start = after.astimezone(UTC).replace(microsecond=0)
        return next(CronSim(check_expression(expression), start))

    def latest_until(self, expression: str, until: datetime) -> datetime:
        # Reverse iteration starts strictly before its start: one second on, so that an
        # instant exactly on the schedule is its own latest.
        start = until.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
        return next(CronSim(check_expression(expression), start, reverse=True))
