"""The token bucket never admits more than its budget in any window, and honours bans."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from adapters.fakes import FakeClock
from entsoe_core.services.ratelimit import TokenBucket
from entsoe_core.timeline import utc


async def admit_all(
    bucket: TokenBucket, clock: FakeClock, gaps: list[float], admitted: list[datetime]
) -> None:
    for gap in gaps:
        clock.advance(gap)
        await bucket.acquire()
        admitted.append(clock.now())


@given(
    per_minute=st.integers(1, 400),
    burst=st.integers(1, 20),
    gaps=st.lists(st.floats(0, 5), min_size=1, max_size=300),
    lanes=st.integers(1, 4),
    window=st.floats(0.5, 120),
)
def test_never_more_than_budget_in_any_window(
    per_minute: int, burst: int, gaps: list[float], lanes: int, window: float
) -> None:
    clock = FakeClock(utc(2024, 1, 1))
    bucket = TokenBucket(clock, per_minute=per_minute, burst=burst)
    admitted: list[datetime] = []

    async def main() -> None:
        share = [gaps[i::lanes] for i in range(lanes)]
        await asyncio.gather(*(admit_all(bucket, clock, part, admitted) for part in share))

    asyncio.run(main())
    admitted.sort()
    budget = burst + per_minute / 60 * window
    span = timedelta(seconds=window)
    j = 0
    for i, instant in enumerate(admitted):
        while admitted[j] < instant - span:
            j += 1
        # requests admitted in the closed window [instant - window, instant]
        assert i - j + 1 <= budget + 1e-6


def test_a_ban_stops_every_request_until_it_ends() -> None:
    clock = FakeClock(utc(2024, 1, 1))
    bucket = TokenBucket(clock, per_minute=350, burst=10)
    until = clock.now() + timedelta(minutes=10)

    async def main() -> list[datetime]:
        await bucket.ban_until(until)
        times = []
        for _ in range(3):
            await bucket.acquire()
            times.append(clock.now())
        return times

    times = asyncio.run(main())
    assert all(t >= until for t in times)
    assert bucket.admitted == 3
