"""Cron expressions read by cronsim: the scheduler's :class:`NextDuePort`."""

from adapters.cron.cronsim_due import CronsimNextDue, check_expression

__all__ = ["CronsimNextDue", "check_expression"]
