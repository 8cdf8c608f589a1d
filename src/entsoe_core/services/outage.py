"""How the chunk runner waits out an outage of the source (the circuit breaker's use).

The breaker (:mod:`entsoe_core.breaker`) lives behind a port, shared by every worker on the
database. The runner asks here before each claim whether it may claim (while the breaker is
open it waits, through the clock, until the probe is due), before each request whether it may
send (only the due probe goes out while open), and tells here how each request went. A chunk
that meets an open breaker goes back to the pending pool, its attempt not counted: an outage,
however long, fails no chunk, and the run carries on by itself when the source answers again.
"""

from __future__ import annotations

import enum
import logging
from datetime import UTC, datetime

from entsoe_core.breaker import SourceState
from entsoe_core.errors import SourceUnavailable
from entsoe_core.ports import ClockPort, SourceBreakerPort

__all__ = ["RECHECK_SECONDS", "OutageGuard", "Turn", "describe_outage"]

log = logging.getLogger(__name__)

RECHECK_SECONDS = 10.0
"""The longest a waiting lane goes without looking whether another worker's probe closed the
breaker: the run resumes at most this long after the source is back."""


class Turn(enum.Enum):
    """What a lane may do next."""

    CLAIM = "claim"
    """The breaker is closed: claim a chunk and send as usual."""
    PROBE = "probe"
    """The breaker is open and its probe is due: claim a chunk and try to take the probe."""
    WAITED = "waited"
    """The breaker is open and no probe is due: the lane waited a while; ask again."""


class OutageGuard:
    """The runner's side of the breaker. Without a breaker it lets everything through, and
    an outage is retried like any transient failure."""

    def __init__(self, breaker: SourceBreakerPort | None, clock: ClockPort) -> None:
        self._breaker = breaker
        self._clock = clock

    async def turn(self) -> Turn:
        """Whether a lane may claim a chunk now; waits while the breaker is open.

        The wait ends at the due probe, or sooner, to look whether another worker's probe
        closed the breaker meanwhile.
        """
        if self._breaker is None:
            return Turn.CLAIM
        state = await self._breaker.read()
        now = self._clock.now()
        if not state.is_open:
            return Turn.CLAIM
        if state.probe_due(now):
            return Turn.PROBE
        await self._clock.sleep(min(state.seconds_to_probe(now), RECHECK_SECONDS))
        return Turn.WAITED

    async def clear_to_send(self, probe: bool) -> bool:
        """Whether a request may go out now: the breaker is closed, or this is the due probe
        and this caller took it (of all the workers, one does)."""
        if self._breaker is None:
            return True
        if probe:
            return await self._breaker.take_probe()
        return not (await self._breaker.read()).is_open

    async def failed(self, error: SourceUnavailable) -> bool:
        """Count an outage-like failure; whether the breaker is open now."""
        if self._breaker is None:
            return False
        change = await self._breaker.record_failure(str(error))
        if change.opened:
            log.warning("%s", describe_outage(change.after))
        return change.after.is_open

    async def succeeded(self) -> None:
        """The source answered; closes the breaker if it was open."""
        if self._breaker is None:
            return
        change = await self._breaker.record_success()
        if change.closed and change.before.failing_since is not None:
            down = self._clock.now() - change.before.failing_since
            log.warning(
                "source available again, after %s unavailable since %s; fetching resumes",
                _duration(down.total_seconds()),
                _instant(change.before.failing_since),
            )

    async def outage(self) -> SourceState | None:
        """The breaker's state while it is open; ``None`` while the source is available."""
        if self._breaker is None:
            return None
        state = await self._breaker.read()
        return state if state.is_open else None


def describe_outage(state: SourceState) -> str:
    """One line on an open breaker: since when, what the source last said, the next probe."""
    since = _instant(state.failing_since) if state.failing_since else "now"
    text = f"source unavailable since {since} ({state.failures} failures in a row"
    if state.last_failure:
        text += f", the last: {state.last_failure}"
    text += ")"
    if state.next_probe_at is not None:
        text += f"; no requests until the next probe at {_instant(state.next_probe_at)}"
    return text


def _instant(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
