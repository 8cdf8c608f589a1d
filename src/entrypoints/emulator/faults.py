"""Fault injection: seeded 503s, dropped connections, truncated bodies and slow answers, and
crafted answers on demand.

The fate of the n-th served request is a pure function of the seed and n, so two runs that send
the same requests meet the same faults. A crafted answer plays a broken or hostile server: the
next requests that carry given query parameters get given bytes instead of synthetic data.
"""

from __future__ import annotations

import enum
import hashlib
import threading
from collections.abc import Mapping

import attrs

__all__ = ["CraftedAnswer", "CraftedAnswers", "Fault", "FaultPlan", "FaultSettings"]


class Fault(enum.Enum):
    """What goes wrong with one answer."""

    NONE = "none"
    UNAVAILABLE = "unavailable"
    DROP = "dropped"
    TRUNCATE = "truncated"


def _share(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name} must be a share between 0 and 1, not {value}")


@attrs.frozen
class FaultSettings:
    """Shares of served requests that meet each fault; the first three exclude each other."""

    unavailable: float = attrs.field(default=0.0, validator=_share)
    drop: float = attrs.field(default=0.0, validator=_share)
    truncate: float = attrs.field(default=0.0, validator=_share)
    slow: float = attrs.field(default=0.0, validator=_share)
    slow_seconds: float = 5.0

    def __attrs_post_init__(self) -> None:
        if self.unavailable + self.drop + self.truncate > 1.0:
            raise ValueError(
                "the shares of 503s, dropped connections and truncated bodies add up to "
                f"{self.unavailable + self.drop + self.truncate:.3f}; they must not exceed 1"
            )
        if self.slow_seconds < 0:
            raise ValueError(f"slow answers cannot take a negative time ({self.slow_seconds} s)")


@attrs.frozen
class FaultPlan:
    """Decides, from the seed, which fault the n-th served request meets."""

    seed: int
    settings: FaultSettings = attrs.field(factory=FaultSettings)

    def _draw(self, what: str, number: int) -> float:
        digest = hashlib.blake2b(f"{self.seed}|{what}|{number}".encode(), digest_size=8)
        return int.from_bytes(digest.digest(), "big") / 2.0**64

    def fault(self, number: int) -> Fault:
        draw = self._draw("fault", number)
        for fault, share in (
            (Fault.UNAVAILABLE, self.settings.unavailable),
            (Fault.DROP, self.settings.drop),
            (Fault.TRUNCATE, self.settings.truncate),
        ):
            if draw < share:
                return fault
            draw -= share
        return Fault.NONE

    def delay(self, number: int) -> float:
        """Seconds to wait before answering the n-th served request."""
        if self._draw("slow", number) < self.settings.slow:
            return self.settings.slow_seconds
        return 0.0


@attrs.frozen
class CraftedAnswer:
    """Bytes to answer the next ``times`` API requests that match, in place of synthetic data.

    A request matches when it carries every parameter of ``match`` (names lower-cased) with
    exactly that value; the security token is checked as for any request.
    """

    match: tuple[tuple[str, str], ...]
    body: bytes
    content_type: str = "text/xml"
    times: int = attrs.field(default=1, validator=attrs.validators.ge(1))

    def matches(self, query: Mapping[str, str]) -> bool:
        return all(query.get(name) == value for name, value in self.match)


class CraftedAnswers:
    """Crafted answers waiting for their requests, the first posted served first. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[CraftedAnswer] = []

    def add(self, answer: CraftedAnswer) -> None:
        with self._lock:
            self._waiting.append(answer)

    def clear(self) -> None:
        with self._lock:
            self._waiting.clear()

    def take(self, query: Mapping[str, str]) -> CraftedAnswer | None:
        """The first waiting answer ``query`` matches, used up once; None if none does."""
        with self._lock:
            for index, waiting in enumerate(self._waiting):
                if waiting.matches(query):
                    if waiting.times == 1:
                        del self._waiting[index]
                    else:
                        self._waiting[index] = attrs.evolve(waiting, times=waiting.times - 1)
                    return waiting
        return None
