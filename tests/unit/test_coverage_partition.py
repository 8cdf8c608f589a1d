"""The coverage view: one partition of the window into covered, no data, provisional and
missing, whatever the ledger holds (overlapping fetches, re-fetches, holes)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from entsoe_core.areas import AreaKey
from entsoe_core.coverage import Coverage, CoverageEntry, Outcome, RecheckPolicy
from entsoe_core.services.requests import CoverageReport
from entsoe_core.timeline import Interval, IntervalSet, utc

START = utc(2024, 10, 1)
POLICY = RecheckPolicy()
NL = AreaKey("10YNL----------L")


@st.composite
def entries(draw: st.DrawFn) -> CoverageEntry:
    first = draw(st.integers(0, 59))
    days = draw(st.integers(1, 20))
    interval = Interval(START + timedelta(days=first), START + timedelta(days=first + days))
    # Fetched from before the interval ended to long after: provisional or final.
    fetched = interval.end + timedelta(hours=draw(st.integers(-48, 24 * 10)))
    holes = IntervalSet()
    if draw(st.booleans()):
        holes = IntervalSet((Interval(interval.start, interval.start + timedelta(hours=1)),))
    return CoverageEntry(interval, draw(st.sampled_from(Outcome)), fetched, holes)


def report_of(ledger: list[CoverageEntry], period: Interval) -> CoverageReport:
    coverage = Coverage.of(ledger)
    return CoverageReport("actual_total_load", NL, period, coverage, coverage.gaps(period, POLICY))


@given(st.lists(entries(), max_size=8), st.integers(0, 30), st.integers(1, 60))
def test_every_instant_of_the_window_is_in_exactly_one_part(
    ledger: list[CoverageEntry], first: int, days: int
) -> None:
    period = Interval(START + timedelta(days=first), START + timedelta(days=first + days))
    parts = report_of(ledger, period).partition()
    named = [parts.covered, parts.no_data, parts.provisional, parts.missing]

    union = IntervalSet()
    for part in named:
        assert part.total == IntervalSet((period,)).intersection(part).total  # inside the window
        assert union.intersection(part).total == timedelta(0)  # disjoint from the others
        union = union.union(part)
    assert union == IntervalSet((period,))


def test_a_provisional_fetch_is_provisional_not_covered_and_missing() -> None:
    # Fetched a day after it ended: data may still change, so gap-filling asks again. It used
    # to be listed as covered and as missing at once.
    november = Interval(utc(2024, 11, 1), utc(2024, 12, 1))
    fetched = CoverageEntry(november, Outcome.DATA, utc(2024, 12, 2))
    period = Interval(utc(2024, 10, 1), utc(2024, 12, 1))

    parts = report_of([fetched], period).partition()

    assert parts.provisional == IntervalSet((november,))
    assert parts.covered == IntervalSet()
    assert parts.missing == IntervalSet((Interval(utc(2024, 10, 1), utc(2024, 11, 1)),))
    assert parts.no_data == IntervalSet()


def test_data_after_a_final_no_data_answer_counts_as_covered() -> None:
    october = Interval(utc(2024, 10, 1), utc(2024, 11, 1))
    ledger = [
        CoverageEntry(october, Outcome.NO_DATA, utc(2024, 12, 1)),
        CoverageEntry(october, Outcome.DATA, utc(2024, 12, 5)),
    ]

    parts = report_of(ledger, october).partition()

    assert parts.covered == IntervalSet((october,))
    assert parts.no_data == IntervalSet()
