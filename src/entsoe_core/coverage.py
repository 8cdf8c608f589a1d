"""Coverage: the ledger of what has been fetched for a dataset and area.

Coverage is a record of fetches, not a guess from counting rows (counting rows is wrong for
weekly, monthly and yearly series). Each entry says which interval one fetch asked for, what
came back (data, or "no data published"), and when.

Not every entry is final. Publication runs late: a "no data" answer for an interval that ended
recently may turn into data later, and data fetched before its interval ended is partial. Such
entries are *provisional*: they show as covered for progress, but gap-filling asks again.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime, timedelta

import attrs

from entsoe_core.timeline import Interval, IntervalSet

__all__ = ["Coverage", "CoverageEntry", "Outcome", "RecheckPolicy"]


class Outcome(enum.Enum):
    DATA = "data"
    NO_DATA = "no_data"


@attrs.frozen
class RecheckPolicy:
    """How long after an interval ends an answer for it may still change.

    An entry is final once it was fetched at least ``data_settle`` (for data) or
    ``no_data_settle`` (for "no data") after its interval ended. Late publication and
    same-day corrections make earlier answers provisional.
    """

    data_settle: timedelta = timedelta(days=2)
    no_data_settle: timedelta = timedelta(days=7)

    def settle(self, outcome: Outcome) -> timedelta:
        return self.data_settle if outcome is Outcome.DATA else self.no_data_settle

    def is_final(self, entry: CoverageEntry) -> bool:
        return entry.interval.end + self.settle(entry.outcome) <= entry.fetched_at


@attrs.frozen(order=True)
class CoverageEntry:
    """One fetch: the interval asked for, its outcome, and when the answer came."""

    interval: Interval
    outcome: Outcome = attrs.field(order=lambda o: o.value)
    fetched_at: datetime


@attrs.frozen
class Coverage:
    """The coverage entries of one (dataset, area)."""

    entries: tuple[CoverageEntry, ...] = ()

    @classmethod
    def of(cls, entries: Iterable[CoverageEntry]) -> Coverage:
        return cls(tuple(sorted(entries)))

    def merge(self, other: Coverage) -> Coverage:
        return Coverage.of((*self.entries, *other.entries))

    def covered(self, policy: RecheckPolicy | None = None) -> IntervalSet:
        """Everything fetched; with a policy, only what is final under it."""
        return IntervalSet.of(
            e.interval for e in self.entries if policy is None or policy.is_final(e)
        )

    def with_outcome(self, outcome: Outcome) -> IntervalSet:
        return IntervalSet.of(e.interval for e in self.entries if e.outcome is outcome)

    def gaps(self, requested: Interval, policy: RecheckPolicy | None = None) -> IntervalSet:
        """What of ``requested`` is not covered (by final entries, when a policy is given)."""
        return IntervalSet((requested,)).difference(self.covered(policy))
