"""ENTSO-E areas (bidding zones, control areas, countries) and the keys chunks are made for.

An :class:`Area` is known by its EIC code and any number of aliases. Some zones existed only
for a while (the DE-AT-LU bidding zone ended on 2018-10-01, when DE-LU began); asking for data
outside an area's validity window is refused before any request is sent.

An :class:`AreaKey` is what a chunk, a coverage entry or a stored series is filed under: one
area for most datasets, or an ordered pair ``from>to`` for datasets about a border. The
catalogue knows the borders between neighbouring bidding zones (:mod:`._border_table`), both
directions of each, and which areas and borders existed during a period.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from datetime import datetime

import attrs

from entsoe_core._area_table import AREA_ROWS
from entsoe_core._border_table import BORDER_ROWS
from entsoe_core.errors import InvalidRequest
from entsoe_core.timeline import Interval, utc

__all__ = ["AMBIGUOUS", "AREAS", "Area", "AreaCatalogue", "AreaKey"]

_VALIDITY: dict[str, tuple[datetime | None, datetime | None]] = {
    "10Y1001A1001A63L": (None, utc(2018, 10, 1)),  # DE-AT-LU
    "10Y1001A1001A82H": (utc(2018, 10, 1), None),  # DE-LU
}

AMBIGUOUS: dict[str, tuple[str, ...]] = {
    "DE": ("DE_LU", "DE_AT_LU", "DE_50HZ", "DE_AMPRION", "DE_TENNET", "DE_TRANSNET"),
}
"""Aliases that name something other than what a user typing them means, and the areas they
more likely mean. ``DE`` is Germany's control area (10Y1001A1001A83F) in the API guide; someone
typing it wants Germany's bidding zone. Typed as an alias it is refused with these choices; its
EIC code is still accepted."""

_NAME_HINTS = 6
"""How many areas an unknown name's hint lists, at most."""


@attrs.frozen
class Area:
    """One ENTSO-E area: EIC code, aliases, name, local time zone and validity window."""

    code: str
    aliases: tuple[str, ...]
    name: str
    timezone: str
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    @property
    def label(self) -> str:
        return self.aliases[0] if self.aliases else self.code

    def lifetime(self, period: Interval) -> Interval | None:
        """The part of ``period`` during which the area existed; ``None``: none of it."""
        start = max(period.start, self.valid_from) if self.valid_from else period.start
        end = min(period.end, self.valid_until) if self.valid_until else period.end
        return Interval(start, end) if start < end else None

    def check_period(self, period: Interval) -> None:
        """Refuse a period that starts before the area existed or ends after it ceased."""
        if self.valid_from is not None and period.start < self.valid_from:
            raise InvalidRequest(
                f"area {self.label} ({self.code}) exists from {self.valid_from.date()}; "
                f"the period starts {period.start.isoformat()}. Start on or after "
                f"{self.valid_from.date()}, or use the zone that existed before."
            )
        if self.valid_until is not None and period.end > self.valid_until:
            raise InvalidRequest(
                f"area {self.label} ({self.code}) ended on {self.valid_until.date()}; "
                f"the period ends {period.end.isoformat()}. End by "
                f"{self.valid_until.date()}, or use the zone that replaced it."
            )


@attrs.frozen
class AreaKey:
    """An area, or an ordered pair of areas (``from>to``) for border datasets."""

    code: str
    to_code: str | None = None

    @classmethod
    def parse(cls, text: str) -> AreaKey:
        head, sep, tail = text.partition(">")
        if sep and (not head or not tail):
            raise InvalidRequest(f"area key {text!r} must be CODE or FROM>TO")
        return cls(head, tail if sep else None)

    @property
    def is_border(self) -> bool:
        return self.to_code is not None

    def __str__(self) -> str:
        return self.code if self.to_code is None else f"{self.code}>{self.to_code}"


class AreaCatalogue:
    """Looks areas up by EIC code or alias, case-insensitively, with close-match hints."""

    def __init__(self, areas: tuple[Area, ...], borders: tuple[AreaKey, ...] = ()) -> None:
        self._areas = areas
        self._index: dict[str, Area] = {}
        for area in areas:
            for name in (area.code, *area.aliases):
                self._index[name.upper()] = area
        self._borders = borders

    def __iter__(self) -> Iterator[Area]:
        return iter(self._areas)

    def __len__(self) -> int:
        return len(self._areas)

    def get(self, name: str) -> Area:
        typed = name.strip().upper()
        if typed in AMBIGUOUS:
            self._refuse_ambiguous(name, typed)
        found = self._index.get(typed.replace("-", "_")) or self._index.get(typed)
        if found is None:
            close = self._named(name) or difflib.get_close_matches(
                name.upper(), list(self._index), n=3, cutoff=0.6
            )
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise InvalidRequest(
                f"unknown area {name!r}{hint}; give an EIC code or an alias such as NL, DE_LU, FR"
                " (`entsoe areas` lists them)"
            )
        return found

    def _refuse_ambiguous(self, name: str, typed: str) -> None:
        area = self._index[typed]
        choices = ", ".join(f"{c} ({self._index[c].name})" for c in AMBIGUOUS[typed])
        raise InvalidRequest(
            f"area {name.strip()!r} is ambiguous: it is {area.name}'s control area "
            f"{area.code}, not a bidding zone; give one of {choices}; or the EIC code "
            f"{area.code} for the control area itself"
        )

    def _named(self, text: str) -> list[str]:
        """Aliases of the areas whose name holds ``text`` (``Germany``, ``France``), an
        ambiguous one replaced by what it more likely means."""
        wanted = text.strip().lower()
        if len(wanted) < 3:
            return []
        found: list[str] = []
        for area in self._areas:
            if wanted in area.name.lower():
                found += AMBIGUOUS.get(area.label, (area.label,))
        return list(dict.fromkeys(found))[:_NAME_HINTS]

    def key(self, text: str) -> AreaKey:
        """Resolve ``NL`` or ``NL>DE_LU`` (aliases or codes) to an :class:`AreaKey`."""
        parsed = AreaKey.parse(text.strip())
        to_code = self.get(parsed.to_code).code if parsed.to_code else None
        return AreaKey(self.get(parsed.code).code, to_code)

    def label(self, key: AreaKey) -> str:
        """A human form of a key: aliases where known."""
        first = self.get(key.code).label
        return first if key.to_code is None else f"{first}>{self.get(key.to_code).label}"

    @property
    def borders(self) -> tuple[AreaKey, ...]:
        """Every border between neighbouring bidding zones, both directions of each."""
        return self._borders

    def lifetime(self, key: AreaKey, period: Interval) -> Interval | None:
        """The part of ``period`` during which the area (of a border: both areas) existed."""
        found: Interval | None = period
        for code in filter(None, (key.code, key.to_code)):
            found = found and self.get(code).lifetime(found)
        return found

    def existing(self, period: Interval) -> tuple[AreaKey, ...]:
        """Every single area that existed during some part of ``period``, in catalogue order."""
        keys = (AreaKey(area.code) for area in self._areas)
        return tuple(key for key in keys if self.lifetime(key, period) is not None)

    def existing_borders(self, period: Interval) -> tuple[AreaKey, ...]:
        """Every border whose two areas both existed during some part of ``period``."""
        return tuple(key for key in self._borders if self.lifetime(key, period) is not None)


def _build() -> AreaCatalogue:
    by_code: dict[str, list[tuple[str, str, str]]] = {}
    for alias, code, name, timezone in AREA_ROWS:
        by_code.setdefault(code, []).append((alias, name, timezone))
    areas = []
    for code, rows in by_code.items():
        valid_from, valid_until = _VALIDITY.get(code, (None, None))
        areas.append(
            Area(
                code=code,
                aliases=tuple(alias for alias, _, _ in rows),
                name=rows[0][1],
                timezone=rows[0][2],
                valid_from=valid_from,
                valid_until=valid_until,
            )
        )
    catalogue = AreaCatalogue(tuple(areas))
    borders = []
    for first, second in BORDER_ROWS:
        one, other = catalogue.get(first).code, catalogue.get(second).code
        borders += [AreaKey(one, other), AreaKey(other, one)]
    return AreaCatalogue(tuple(areas), tuple(borders))


AREAS = _build()
