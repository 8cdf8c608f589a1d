"""Coverage: the ledger of what has been fetched for a dataset and area.

Coverage is a record of fetches, not a guess from counting rows (counting rows is wrong for
weekly, monthly and yearly series). Each entry says which interval one fetch asked for, what
came back (data, or "no data published"), and when.

Not every entry is final. Publication runs late: a "no data" answer for an interval that ended
recently may turn into data later, and data fetched before its interval ended is partial. Such
entries are *provisional*: they show as covered for progress, but gap-filling asks again.

An answer with holes (see :mod:`entsoe_core.holes`) is provisional too, however old: the
missing steps may yet be published. After a bounded number of settled fetches that found holes
in the same place, the holes are accepted as published that way, and the entry is final.
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

    An entry with holes is final only once its holes are accepted: when
    ``max_hole_fetches`` fetches made after the settle time (this one included) found holes
    overlapping them.
    """

    data_settle: timedelta = timedelta(days=2)
    no_data_settle: timedelta = timedelta(days=7)
    max_hole_fetches: int = attrs.field(default=3, validator=attrs.validators.ge(1))

    def settle(self, outcome: Outcome) -> timedelta:
        return self.data_settle if outcome is Outcome.DATA else self.no_data_settle

    def settled(self, entry: CoverageEntry) -> bool:
        """Whether the fetch came after the settle time of its interval."""
        return entry.interval.end + self.settle(entry.outcome) <= entry.fetched_at

    def is_final(self, entry: CoverageEntry) -> bool:
        return self.settled(entry) and (not entry.holes or entry.holes_accepted)

    def accept_holes(self, entry: CoverageEntry, earlier: Iterable[CoverageEntry]) -> CoverageEntry:
        """``entry`` with its holes accepted if this fetch reaches the bound, else as it is.

        Counts the settled fetches among ``earlier`` whose holes overlap this entry's.
        """
        if not entry.holes or not self.settled(entry):
            return entry
        repeated = sum(
            1
            for before in earlier
            if self.settled(before) and before.holes.intersection(entry.holes)
        )
        if repeated + 1 < self.max_hole_fetches:
            return entry
        return attrs.evolve(entry, holes_accepted=True)


@attrs.frozen(order=True)
class CoverageEntry:
    """One fetch: the interval asked for, its outcome, and when the answer came.

    ``holes`` are the steps the answer should have held and did not; ``holes_accepted`` says
    they were found often enough to be taken as published that way.
    """

    interval: Interval
    outcome: Outcome = attrs.field(order=lambda o: o.value)
    fetched_at: datetime
    holes: IntervalSet = attrs.field(factory=IntervalSet, order=False)
    holes_accepted: bool = attrs.field(default=False, order=False)


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

    def holes(self, *, accepted: bool | None = None) -> IntervalSet:
        """The holes of every entry; with ``accepted``, only those accepted (or not)."""
        return IntervalSet.of(
            hole
            for e in self.entries
            if accepted is None or e.holes_accepted is accepted
            for hole in e.holes
        )

    def with_outcome(self, outcome: Outcome) -> IntervalSet:
        return IntervalSet.of(e.interval for e in self.entries if e.outcome is outcome)

    def gaps(self, requested: Interval, policy: RecheckPolicy | None = None) -> IntervalSet:
        """What of ``requested`` is not covered (by final entries, when a policy is given)."""
        return IntervalSet((requested,)).difference(self.covered(policy))
