"""The in-memory database: tables as dicts, transactions as overlays with real rollback.

A transaction sees the committed tables through an overlay of its own changes; commit merges
the overlay, rollback drops it. One transaction runs at a time (a lock), which is the
serialisable behaviour the SQL adapters promise for the rows a chunk touches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from typing import Generic, TypeVar

from entsoe_core.areas import AreaKey
from entsoe_core.coverage import CoverageEntry
from entsoe_core.limits import LearnedLimit
from entsoe_core.observations import SeriesKey
from entsoe_core.progress import BackfillJob, ChunkProgress

K = TypeVar("K")
V = TypeVar("V")


class OverlayTable(Generic[K, V]):
    """A view of a committed table plus uncommitted changes; order is insertion order."""

    def __init__(self, base: dict[K, V]) -> None:
        self._base = base
        self._changes: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        if key in self._changes:
            return self._changes[key]
        return self._base.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._changes or key in self._base

    def __setitem__(self, key: K, value: V) -> None:
        self._changes[key] = value

    def items(self) -> Iterator[tuple[K, V]]:
        for key, value in self._base.items():
            yield key, self._changes.get(key, value)
        for key, value in self._changes.items():
            if key not in self._base:
                yield key, value

    def values(self) -> Iterator[V]:
        return (value for _, value in self.items())

    def __len__(self) -> int:
        return len(self._base) + sum(1 for key in self._changes if key not in self._base)

    def commit(self) -> None:
        self._base.update(self._changes)
        self._changes = {}

    def rollback(self) -> None:
        self._changes = {}


ObservationKey = tuple[str, AreaKey, SeriesKey, datetime]
StoredValue = tuple[float, str, str, int, datetime | None]
"""value, unit, curve type, revision, document created time"""
CoverageRow = tuple[str, AreaKey, CoverageEntry]


class MemoryDatabase:
    """Committed state shared by every in-memory unit of work of one application."""

    def __init__(self) -> None:
        self.observations: dict[ObservationKey, StoredValue] = {}
        self.coverage: dict[int, CoverageRow] = {}
        self.jobs: dict[str, BackfillJob] = {}
        self.chunks: dict[str, ChunkProgress] = {}
        self.dataset_limits: dict[str, LearnedLimit] = {}
        self.lock = asyncio.Lock()
