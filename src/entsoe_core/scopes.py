"""Scopes: the areas a user names, where ``all`` and ``all-borders`` stand for many.

``all`` is every single area of the catalogue that a dataset accepts and that existed during
the period; ``all-borders`` every border of the catalogue (both directions) that a border
dataset accepts and whose two areas existed during the period. Names and scopes mix: ``NL,all``
is ``all``. Each dataset expands a scope by its own rule (:meth:`Dataset.check_area`), so a
dataset of any domain parameter gets exactly the areas it takes.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from entsoe_core.areas import AREAS, AreaKey
from entsoe_core.datasets import Dataset
from entsoe_core.errors import InvalidRequest
from entsoe_core.timeline import Interval

__all__ = ["ALL_AREAS", "ALL_BORDERS", "AreaScope"]

ALL_AREAS = "all"
ALL_BORDERS = "all-borders"


@attrs.frozen
class AreaScope:
    """What a user named as areas: areas and borders by name, and the scopes ``all`` and
    ``all-borders``."""

    keys: tuple[AreaKey, ...] = ()
    all_areas: bool = False
    all_borders: bool = False

    @classmethod
    def parse(cls, names: Iterable[str]) -> AreaScope:
        """Resolve names (aliases, EIC codes, ``FROM>TO``) and the scope words; blanks skipped."""
        keys: list[AreaKey] = []
        words: set[str] = set()
        for name in (n.strip() for n in names):
            if name.lower() in (ALL_AREAS, ALL_BORDERS):
                words.add(name.lower())
            elif name:
                keys.append(AREAS.key(name))
        return cls(tuple(dict.fromkeys(keys)), ALL_AREAS in words, ALL_BORDERS in words)

    @property
    def empty(self) -> bool:
        return not (self.keys or self.all_areas or self.all_borders)

    def expand(self, dataset: Dataset, period: Interval) -> tuple[AreaKey, ...]:
        """What the scope words stand for with ``dataset`` over ``period`` (not the names).

        A scope word of the other kind (``all-borders`` for a dataset of single areas, ``all``
        for a border dataset) is refused, naming what the dataset accepts.
        """
        if self.all_borders and not dataset.is_border:
            raise InvalidRequest(
                f"dataset {dataset.key} takes single areas ({dataset.domain.value}), not "
                f"{ALL_BORDERS}; give {ALL_AREAS} or areas such as NL, DE_LU"
            )
        if self.all_areas and dataset.is_border:
            raise InvalidRequest(
                f"dataset {dataset.key} is about borders ({dataset.domain.value}), not single "
                f"areas; give {ALL_BORDERS} or borders such as NL>DE_LU, not {ALL_AREAS}"
            )
        if self.all_borders:
            candidates = AREAS.existing_borders(period)
        elif self.all_areas:
            candidates = AREAS.existing(period)
        else:
            return ()
        return tuple(key for key in candidates if _accepts(dataset, key))

    def suiting(self, dataset: Dataset, period: Interval) -> tuple[AreaKey, ...]:
        """The areas of the kind ``dataset`` takes, the others left out: what keeping many
        datasets fresh at once asks each of them for."""
        kind = AreaScope(
            tuple(key for key in self.keys if _accepts(dataset, key)),
            all_areas=self.all_areas and not dataset.is_border,
            all_borders=self.all_borders and dataset.is_border,
        )
        return tuple(dict.fromkeys((*kind.expand(dataset, period), *kind.keys)))


def _accepts(dataset: Dataset, key: AreaKey) -> bool:
    # The dataset's own check decides, so that a scope gives a dataset exactly the areas it
    # would accept by name.
    try:
        dataset.check_area(key)
    except InvalidRequest:
        return False
    return True
