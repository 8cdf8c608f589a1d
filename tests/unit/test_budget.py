"""The request budget's promise, on the pure bucket: never more than ``per_minute`` requests
reach the API in any 60 seconds, and a taker that never stops gets at least 95% of it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entsoe_core.budget import SLACK, Bucket, RequestBudget
from entsoe_core.errors import ConfigurationError
from entsoe_core.timeline import utc

START = utc(2026, 1, 1)
MINUTE = 60.0


def take_when_allowed(
    budget: RequestBudget, bucket: Bucket, now: datetime
) -> tuple[Bucket, datetime]:
    """Take a token as a limiter does, waiting as long as the bucket says: the state and when."""
    while True:
        bucket, wait = bucket.take(budget, now)
        if wait is None:
            return bucket, now
        now += timedelta(seconds=wait)


def most_in_any_window(times: list[datetime], seconds: float) -> int:
    """The most of ``times`` (sorted) in any closed window ``seconds`` long."""
    most, first = 0, 0
    for last, at in enumerate(times):
        while (at - times[first]).total_seconds() > seconds:
            first += 1
        most = max(most, last - first + 1)
    return most


@st.composite
def budgets(draw: st.DrawFn) -> RequestBudget:
    burst = draw(st.integers(1, 50))
    return RequestBudget(draw(st.integers(burst + SLACK + 1, 400)), burst)


# A run: this many takes, one every `spacing` seconds or as soon as the bucket allows, then
# an idle time (the bucket fills again), then perhaps a ban of that many seconds.
runs = st.tuples(
    st.integers(0, 500), st.floats(0, 0.5), st.floats(0, 120), st.none() | st.floats(0, 900)
)


@settings(max_examples=60, deadline=None)
@given(budget=budgets(), script=st.lists(runs, min_size=1, max_size=5))
def test_no_sixty_seconds_hold_more_than_the_budget_at_the_api(
    budget: RequestBudget, script: list[tuple[int, float, float, float | None]]
) -> None:
    bucket, now = budget.full(START), START
    taken: list[datetime] = []
    for takes, spacing, idle, ban in script:
        for _ in range(takes):
            bucket, now = take_when_allowed(budget, bucket, now)
            taken.append(now)
            now += timedelta(seconds=spacing)
        now += timedelta(seconds=idle)
        if ban is not None:
            bucket = bucket.banned(budget, now, now + timedelta(seconds=ban))

    interval = 1 / budget.refill_per_second
    # A request reaching the API up to SLACK token intervals after its token was taken: the
    # requests arriving in 60 s were taken in 60 s and that much more.
    assert most_in_any_window(taken, MINUTE + SLACK * interval) <= budget.per_minute
    # A whole per_minute covers a delay of almost one interval more (counts are whole).
    assert most_in_any_window(taken, MINUTE + (SLACK + 0.99) * interval) <= budget.per_minute


@st.composite
def budgets_with_room(draw: st.DrawFn) -> RequestBudget:
    """Budgets whose burst and slack leave 95% of the minute to the refill, a request to spare."""
    per_minute = draw(st.floats(100, 400))
    return RequestBudget(per_minute, draw(st.integers(1, int(per_minute / 20) - SLACK - 1)))


@settings(max_examples=40, deadline=None)
@given(budget=budgets_with_room(), minutes=st.integers(2, 5))
def test_a_taker_that_never_stops_gets_95_percent_of_every_minute_after_the_first(
    budget: RequestBudget, minutes: int
) -> None:
    bucket, now = budget.full(START), START
    per_window = [0] * minutes
    while now < START + timedelta(minutes=minutes):
        bucket, now = take_when_allowed(budget, bucket, now)
        window = int((now - START).total_seconds() // MINUTE)
        if window < minutes:
            per_window[window] += 1

    assert min(per_window[1:]) >= 0.95 * budget.per_minute
    assert max(per_window) <= budget.per_minute


def test_the_burst_goes_at_once_and_the_refill_keeps_it_and_the_slack_back() -> None:
    budget = RequestBudget(per_minute=71, burst=10)
    bucket, now = budget.full(START), START
    taken = []
    for _ in range(13):
        bucket, now = take_when_allowed(budget, bucket, now)
        taken.append(now)

    assert budget.refill_per_minute == 60
    assert taken[:10] == [START] * 10
    assert taken[10:] == [START + timedelta(seconds=s) for s in (1, 2, 3)]


@pytest.mark.parametrize(("per_minute", "burst"), [(11, 10), (10, 10), (2, 1), (1.5, 1)])
def test_a_rate_that_leaves_no_refill_after_the_burst_is_refused(
    per_minute: float, burst: int
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        RequestBudget(per_minute, burst)

    message = str(refused.value)
    assert f"{per_minute:g} a minute" in message
    assert f"a burst of {burst}" in message
    assert f"above burst + {SLACK} ({burst + SLACK})" in message


def test_the_smallest_rate_above_burst_and_slack_is_accepted() -> None:
    assert RequestBudget(12, 10).refill_per_minute == 1
