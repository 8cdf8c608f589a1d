"""What a read does with series of one identity published at several resolutions.

The same prices come as PT60M until the day-ahead market moved to quarter hours and as PT15M
after (and both for a while); a generation series switches from hours to quarter hours. A
table of them must not mix the two silently. A :class:`ResolutionRule` says what to do:

- ``native`` keeps every series at its own resolution, each apart (the default);
- ``finest`` / ``coarsest`` keep, per step, the value of the finest (coarsest) resolution
  that covers it: a step of another resolution is left out where a preferred one overlaps it,
  and each value keeps its own resolution, so a row still says which it is;
- ``RESOLUTION:mean`` (``PT60M:mean``) gives one series at that resolution: its own values
  where it has them, elsewhere the mean of the finer values within each of its steps (of the
  points there are). A resolution coarser than the target cannot be made finer and is refused.

Series are of one identity when their keys differ in the resolution only.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Final, Literal

import attrs

from entsoe_core.areas import AreaKey
from entsoe_core.errors import DocumentFault, InvalidRequest
from entsoe_core.observations import Observation, SeriesKey
from entsoe_core.resolution import Resolution

__all__ = ["NATIVE", "RESOLUTION_RULES", "ResolutionRule"]

RuleKind = Literal["native", "finest", "coarsest", "mean"]
RESOLUTION_RULES: Final = "native, finest, coarsest, or RESOLUTION:mean (such as PT60M:mean)"
"""The accepted values, as errors and help texts name them."""

_DAY: Final = timedelta(days=1)
_PLAIN: Final[dict[str, RuleKind]] = {
    "native": "native",
    "finest": "finest",
    "coarsest": "coarsest",
}


@attrs.frozen
class ResolutionRule:
    """How a read turns series of several resolutions into one table (see the module)."""

    kind: RuleKind = "native"
    target: str = ""
    """The resolution ``mean`` aggregates into; empty for the other kinds."""

    @classmethod
    def parse(cls, text: str) -> ResolutionRule:
        """``native``, ``finest``, ``coarsest`` or ``RESOLUTION:mean``; anything else is
        refused with the accepted values."""
        value = text.strip()
        if value.lower() in _PLAIN:
            return cls(_PLAIN[value.lower()])
        target, colon, rule = value.partition(":")
        if colon and rule.lower() == "mean":
            step = _fixed_step(target.upper())
            if step is not None and step < _DAY and _DAY % step == timedelta(0):
                return cls("mean", target.upper())
            raise InvalidRequest(
                f"resolution {text!r}: mean aggregates into a step of less than a day that "
                f"divides it (PT15M, PT30M, PT60M …), not {target!r}; accepted: "
                f"{RESOLUTION_RULES}"
            )
        raise InvalidRequest(f"unknown resolution {text!r}; accepted: {RESOLUTION_RULES}")

    def __str__(self) -> str:
        return f"{self.target}:mean" if self.kind == "mean" else self.kind

    def apply(self, observations: Iterable[Observation]) -> list[Observation]:
        """The observations the rule keeps or makes, in (timestamp, series) order."""
        found = list(observations)
        if self.kind == "native":
            return found
        groups: dict[tuple[str, AreaKey, SeriesKey], dict[str, list[Observation]]] = {}
        for one in found:
            identity = (one.dataset, one.area, attrs.evolve(one.key, resolution=""))
            groups.setdefault(identity, {}).setdefault(one.key.resolution, []).append(one)
        kept: list[Observation] = []
        for by_resolution in groups.values():
            if self.kind == "mean":
                kept += self._mean(by_resolution)
            else:
                kept += _preferred(by_resolution, finest_first=self.kind == "finest")
        return sorted(kept, key=lambda o: (o.timestamp, o.key))

    def _mean(self, by_resolution: dict[str, list[Observation]]) -> list[Observation]:
        target = Resolution.parse(self.target)
        coarser = sorted(r for r in by_resolution if _length(r) > target.step)
        if coarser:
            raise InvalidRequest(
                f"resolution {self}: series at {', '.join(coarser)} are coarser than "
                f"{self.target} and cannot be made finer; read them with native or coarsest"
            )
        own = by_resolution.get(self.target, [])
        kept = {o.timestamp: o for o in own}
        for resolution in sorted(by_resolution, key=_length):
            if resolution == self.target:
                continue
            buckets: dict[datetime, list[Observation]] = {}
            for one in by_resolution[resolution]:
                start = _floor(one.timestamp, target.step)
                buckets.setdefault(start, []).append(one)
            for start, members in buckets.items():
                if start not in kept:
                    kept[start] = _averaged(members, start, self.target)
        return list(kept.values())


NATIVE: Final = ResolutionRule()


def _preferred(
    by_resolution: dict[str, list[Observation]], *, finest_first: bool
) -> list[Observation]:
    order = sorted(by_resolution, key=_length, reverse=not finest_first)
    starts: list[datetime] = []
    ends: list[datetime] = []
    kept: list[Observation] = []
    for resolution in order:
        step = Resolution.parse(resolution)
        taken = []
        for one in by_resolution[resolution]:
            end = step.after(one.timestamp)
            # The covered steps are disjoint and sorted: the one starting last before ``end``
            # is the only one that can overlap [timestamp, end).
            index = bisect.bisect_left(starts, end) - 1
            if index < 0 or ends[index] <= one.timestamp:
                taken.append((one.timestamp, end))
                kept.append(one)
        covered = sorted([*zip(starts, ends, strict=True), *taken])
        starts = [start for start, _ in covered]
        ends = [end for _, end in covered]
    return kept


def _averaged(members: Sequence[Observation], start: datetime, target: str) -> Observation:
    first = members[0]
    return attrs.evolve(
        first,
        key=attrs.evolve(first.key, resolution=target),
        timestamp=start,
        value=sum(o.value for o in members) / len(members),
        revision=max(o.revision for o in members),
        created_at=None,
    )


def _floor(instant: datetime, step: timedelta) -> datetime:
    """The start of the step holding ``instant``, steps counted from a UTC midnight."""
    epoch = instant.replace(year=2000, month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    return instant - (instant - epoch) % step


def _length(resolution: str) -> timedelta:
    return Resolution.parse(resolution).longest


def _fixed_step(code: str) -> timedelta | None:
    try:
        return Resolution.parse(code).step or None
    except DocumentFault:
        return None
