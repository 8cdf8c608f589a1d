"""The emulator's request ledger: the per-minute budget, the ban, and the statistics.

The budget counts the requests that were served in the last 60 seconds; the request that would
go past it starts a ban, and while the ban lasts every request is answered 429 and none is
served, whatever else is configured. Refused requests do not count towards the budget, so a
ban ends when it says it does. The statistics count every request, refused or not, so a test
can prove that its clients never went past the budget in any 60-second window; and per dataset,
how many requests were served, refused as too long or as too many instances, and by status,
so that a test can count what its clients asked of each dataset.

The ledger also keeps a record of every API request's arrival (when, and whether it was
served, started a ban or met one already in force) and of every ban (from, until, why), so
that a benchmark can count requests in each 60-second window and a soak can prove that no
client sent a request after it had been told of a ban. A ban can also be imposed from
outside (:meth:`RequestLedger.impose_ban`), as when another client of the same token overspends.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict, deque
from datetime import UTC, datetime

__all__ = ["MAX_ARRIVALS", "OUTCOMES", "WINDOW_SECONDS", "RequestLedger"]

WINDOW_SECONDS = 60.0
OUTCOMES = ("served", "too_long", "too_many_instances")
"""What becomes of a request that reaches the API's rules: a document (data or "no matching
data"), or a refusal of the interval as too long or of too many instances."""
MAX_ARRIVALS = 1_000_000
"""Arrivals kept in the record, the latest; a long run forgets the oldest."""


class RequestLedger:
    """Counts requests, enforces the per-minute budget and the ban. Thread-safe."""

    def __init__(self, limit_per_minute: int, ban_seconds: float) -> None:
        if limit_per_minute < 1:
            raise ValueError(
                f"the rate limit must be at least 1 per minute, not {limit_per_minute}"
            )
        if ban_seconds < 0:
            raise ValueError(f"the ban cannot last a negative time ({ban_seconds} s)")
        self.limit_per_minute = limit_per_minute
        self.ban_seconds = ban_seconds
        self._lock = threading.Lock()
        self._served: deque[float] = deque()
        self._seen: deque[float] = deque()
        self.banned_until: float | None = None
        self.total = 0
        self.max_in_window = 0
        self.by_status: Counter[int] = Counter()
        self.faults: Counter[str] = Counter()
        self._datasets: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._dataset_statuses: defaultdict[str, Counter[int]] = defaultdict(Counter)
        self._arrivals: deque[tuple[float, str]] = deque(maxlen=MAX_ARRIVALS)
        self._bans: list[tuple[float, float, str]] = []

    def reset(self) -> None:
        """Forget every request, the ban and the statistics."""
        with self._lock:
            self._served.clear()
            self._seen.clear()
            self.banned_until = None
            self.total = 0
            self.max_in_window = 0
            self.by_status.clear()
            self.faults.clear()
            self._datasets.clear()
            self._dataset_statuses.clear()
            self._arrivals.clear()
            self._bans.clear()

    def admit(self, now: float, dataset: str = "") -> float | None:
        """Record a request arriving at ``now`` (epoch seconds) for ``dataset`` (its key, or
        ``unknown`` when the request names none the emulator knows).

        Returns None when it may be served, or the instant the ban ends when it must be
        refused with 429.
        """
        with self._lock:
            self.total += 1
            if dataset:
                self._datasets[dataset]["requests"] += 1
            _trim(self._seen, now)
            self._seen.append(now)
            self.max_in_window = max(self.max_in_window, len(self._seen))
            if self.banned_until is not None and now < self.banned_until:
                self._arrivals.append((now, "banned"))
                return self.banned_until
            _trim(self._served, now)
            if len(self._served) >= self.limit_per_minute:
                self.banned_until = now + self.ban_seconds
                self._arrivals.append((now, "tripped"))
                self._bans.append((now, self.banned_until, "budget"))
                return self.banned_until
            self._served.append(now)
            self._arrivals.append((now, "served"))
            return None

    def impose_ban(self, now: float, seconds: float) -> float:
        """Ban every request from ``now`` (epoch seconds) for ``seconds``, as the API does when
        the token's budget was spent elsewhere; the instant the ban ends."""
        with self._lock:
            until = now + seconds
            if self.banned_until is not None and now < self.banned_until:
                until = max(until, self.banned_until)
            self.banned_until = until
            self._bans.append((now, until, "imposed"))
            return until

    def arrivals(self) -> dict[str, object]:
        """Every API request's arrival (epoch seconds, and ``served``, ``tripped`` when it
        started a ban, ``banned`` when it met one) and every ban, as JSON-ready data."""
        with self._lock:
            return {
                "arrivals": [[at, fate] for at, fate in self._arrivals],
                "bans": [
                    {"start": start, "until": until, "cause": cause}
                    for start, until, cause in self._bans
                ],
            }

    def answered(self, status: int, dataset: str = "", outcome: str = "") -> None:
        """Count an answer with ``status``, and for ``dataset`` its ``outcome`` (one of
        :data:`OUTCOMES`, or "" for any other answer)."""
        with self._lock:
            self.by_status[status] += 1
            if dataset:
                self._dataset_statuses[dataset][status] += 1
                if outcome:
                    self._datasets[dataset][outcome] += 1

    def fault(self, name: str) -> None:
        with self._lock:
            self.faults[name] += 1

    def snapshot(self, now: float) -> dict[str, object]:
        """The statistics as plain JSON-ready data."""
        with self._lock:
            banned = self.banned_until is not None and now < self.banned_until
            return {
                "total_requests": self.total,
                "responses_by_status": {str(k): v for k, v in sorted(self.by_status.items())},
                "faults": dict(sorted(self.faults.items())),
                "max_requests_in_60s": self.max_in_window,
                "rate_limit_per_minute": self.limit_per_minute,
                "banned_until": (
                    datetime.fromtimestamp(self.banned_until, UTC).isoformat()
                    if banned and self.banned_until is not None
                    else None
                ),
                "datasets": {
                    name: {
                        "requests": counts["requests"],
                        **{outcome: counts[outcome] for outcome in OUTCOMES},
                        "responses_by_status": {
                            str(k): v for k, v in sorted(self._dataset_statuses[name].items())
                        },
                    }
                    for name, counts in sorted(self._datasets.items())
                },
            }


def _trim(times: deque[float], now: float) -> None:
    while times and times[0] <= now - WINDOW_SECONDS:
        times.popleft()
