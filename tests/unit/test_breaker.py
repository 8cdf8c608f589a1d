"""The circuit breaker's rules: opens after N outage-like failures in a row, probes at growing
intervals while open, and closes (resetting everything) on a success."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entsoe_core.breaker import BreakerPolicy, SourceChange, SourceState
from entsoe_core.errors import ConfigurationError, IllegalTransition
from entsoe_core.timeline import utc

T0 = utc(2026, 8, 30, 6)

policies = st.builds(
    BreakerPolicy,
    threshold=st.integers(1, 6),
    first_probe_seconds=st.sampled_from([1.0, 30.0, 45.5]),
    max_probe_seconds=st.sampled_from([60.0, 1800.0]),
)
events = st.lists(
    st.tuples(st.sampled_from(["fail", "succeed", "probe"]), st.floats(0, 4000)),
    max_size=60,
)


class Model:
    """The rules told plainly: failures since the last success, and the probe schedule."""

    def __init__(self, policy: BreakerPolicy) -> None:
        self.policy = policy
        self.failures: list[datetime] = []
        self.due: datetime | None = None
        self.interval = 0.0

    def fail(self, now: datetime) -> None:
        self.failures.append(now)
        if self.due is None and len(self.failures) >= self.policy.threshold:
            self.interval = self.policy.first_probe_seconds
            self.due = now + timedelta(seconds=self.interval)

    def succeed(self) -> None:
        self.failures, self.due, self.interval = [], None, 0.0

    def probe(self, now: datetime) -> bool:
        if self.due is None or now < self.due:
            return False
        self.interval = min(2 * self.interval, self.policy.max_probe_seconds)
        self.due = now + timedelta(seconds=self.interval)
        return True


@given(policy=policies, steps=events)
def test_the_breaker_follows_its_rules(
    policy: BreakerPolicy, steps: list[tuple[str, float]]
) -> None:
    state, model, now = SourceState(), Model(policy), T0
    for event, wait in steps:
        now += timedelta(seconds=wait)
        if event == "fail":
            state = state.failed(policy, f"503 at {now}", now)
            model.fail(now)
            assert state.last_failure == f"503 at {now}"
            assert state.last_failure_at == now
        elif event == "succeed":
            before = state
            state = state.succeeded(now)
            model.succeed()
            if before.is_clean:
                assert state is before
            else:
                assert state == SourceState(last_success_at=now)
        elif model.probe(now):
            state = state.probe_taken(policy, now)
        else:
            assert not state.probe_due(now)
            with pytest.raises(IllegalTransition):
                state.probe_taken(policy, now)
        assert state.failures == len(model.failures)
        assert state.failing_since == (model.failures[0] if model.failures else None)
        assert state.is_open == (len(model.failures) >= policy.threshold)
        assert state.next_probe_at == model.due
        assert state.probe_seconds == model.interval
        assert state.is_clean == (not model.failures)


@given(policy=policies, takes=st.integers(1, 20))
def test_probe_intervals_double_up_to_the_cap(policy: BreakerPolicy, takes: int) -> None:
    state, now = SourceState(), T0
    for _ in range(policy.threshold):
        state = state.failed(policy, "404 page not found", now)
    intervals = [state.probe_seconds]
    for _ in range(takes):
        now = state.next_probe_at or now
        state = state.probe_taken(policy, now)
        intervals.append(state.probe_seconds)

    first, cap = policy.first_probe_seconds, policy.max_probe_seconds
    assert intervals == [min(first * 2**i, cap) for i in range(takes + 1)]


def test_the_threshold_th_failure_in_a_row_opens_it_since_the_first() -> None:
    policy = BreakerPolicy(threshold=3, first_probe_seconds=30)
    state = SourceState()
    for minute in range(2):
        state = state.failed(policy, "503", T0 + timedelta(minutes=minute))
        assert not state.is_open
    change = SourceChange(
        state, state.failed(policy, "404 page not found", T0 + timedelta(minutes=2))
    )

    assert change.opened
    assert not change.closed
    assert change.after.failing_since == T0
    assert change.after.next_probe_at == T0 + timedelta(minutes=2, seconds=30)
    assert change.after.seconds_to_probe(T0 + timedelta(minutes=2, seconds=10)) == 20
    assert not change.after.probe_due(T0 + timedelta(minutes=2, seconds=29))
    assert change.after.probe_due(T0 + timedelta(minutes=2, seconds=30))


def test_a_success_in_between_starts_the_count_again() -> None:
    policy = BreakerPolicy(threshold=2)
    state = SourceState().failed(policy, "503", T0).succeeded(T0).failed(policy, "503", T0)

    assert not state.is_open
    assert state.failures == 1


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"threshold": 0}, "threshold of at least 1 failure, got 0"),
        ({"first_probe_seconds": 0}, "got 0 s and 1800.0 s"),
        ({"first_probe_seconds": 60, "max_probe_seconds": 30}, "got 60 s and 30 s"),
    ],
)
def test_a_policy_out_of_range_is_refused(options: dict[str, float], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        BreakerPolicy(**options)  # type: ignore[arg-type]
