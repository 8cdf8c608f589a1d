"""Plans cover the gaps exactly, disjoint, aligned, within limits, and minimal."""

from __future__ import annotations

import itertools
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from entsoe_core.areas import AreaKey
from entsoe_core.coverage import Coverage, CoverageEntry, Outcome, RecheckPolicy
from entsoe_core.datasets import DATASETS
from entsoe_core.limits import Cell
from entsoe_core.plan import BackfillPlan, ChunkPolicy, ChunkSpan
from entsoe_core.timeline import Interval, IntervalSet, utc
from tests.unit.strategies import intervals

NL = AreaKey("10YNL----------L")
FR = AreaKey("10YFR-RTE------C")
targets = st.sampled_from(
    [("actual_total_load", NL), ("day_ahead_prices", FR), ("wind_solar_forecast", NL)]
)
gap_sets = st.lists(intervals(max_hours=200, step_hours=24), max_size=5).map(IntervalSet.of)
gap_maps = st.dictionaries(targets, gap_sets, max_size=3)
spans = st.sampled_from(list(ChunkSpan))


def cells_touched(cell: Cell, gap: Interval) -> int:
    count, cursor = 0, cell.start_of(gap.start)
    while cursor < gap.end:
        count += 1
        cursor = cell.end_of(cursor)
    return count


@given(gap_maps, spans)
def test_plan_covers_gaps_exactly_and_minimally(
    gaps: dict[tuple[str, AreaKey], IntervalSet], span: ChunkSpan
) -> None:
    policy = ChunkPolicy(span)
    plan = BackfillPlan.build(gaps, policy)
    total = 0
    for (dataset, area), wanted in gaps.items():
        cell = policy.cell(DATASETS.get(dataset))
        mine = [c for c in plan if c.dataset == dataset and c.area == area]
        assert IntervalSet.of(c.interval for c in mine) == wanted
        ordered = sorted(c.interval for c in mine)
        assert all(a.end <= b.start for a, b in itertools.pairwise(ordered))
        assert len(mine) == sum(cells_touched(cell, gap) for gap in wanted)
        total += len(mine)
        for chunk in mine:
            assert chunk.interval.end <= cell.end_of(cell.start_of(chunk.interval.start))
            assert DATASETS.get(dataset).within_request_limit(chunk.interval)
            assert span.limit.fits(chunk.interval)
    assert len(plan) == total


@given(gap_maps, spans)
def test_planning_again_gives_the_same_chunks(
    gaps: dict[tuple[str, AreaKey], IntervalSet], span: ChunkSpan
) -> None:
    assert BackfillPlan.build(gaps, ChunkPolicy(span)) == BackfillPlan.build(
        dict(reversed(list(gaps.items()))), ChunkPolicy(span)
    )


def test_month_chunks_follow_calendar_months() -> None:
    gaps = {
        ("actual_total_load", NL): IntervalSet.of([Interval(utc(2024, 1, 15), utc(2024, 4, 1))])
    }
    plan = BackfillPlan.build(gaps, ChunkPolicy(ChunkSpan.MONTH))
    assert [c.interval for c in plan] == [
        Interval(utc(2024, 1, 15), utc(2024, 2, 1)),
        Interval(utc(2024, 2, 1), utc(2024, 3, 1)),
        Interval(utc(2024, 3, 1), utc(2024, 4, 1)),
    ]


def test_gaps_leave_out_final_coverage_and_keep_provisional() -> None:
    fetched = utc(2024, 6, 1)
    coverage = Coverage.of(
        [
            CoverageEntry(Interval(utc(2024, 1, 1), utc(2024, 2, 1)), Outcome.DATA, fetched),
            CoverageEntry(Interval(utc(2024, 5, 1), utc(2024, 6, 1)), Outcome.DATA, fetched),
            CoverageEntry(Interval(utc(2024, 3, 1), utc(2024, 4, 1)), Outcome.NO_DATA, fetched),
            CoverageEntry(Interval(utc(2024, 5, 25), utc(2024, 5, 28)), Outcome.NO_DATA, fetched),
        ]
    )
    gaps = coverage.gaps(Interval(utc(2024, 1, 1), utc(2024, 6, 1)), RecheckPolicy())
    # January and March are final; May was fetched too soon after it ended.
    assert list(gaps) == [
        Interval(utc(2024, 2, 1), utc(2024, 3, 1)),
        Interval(utc(2024, 4, 1), utc(2024, 6, 1)),
    ]


entries = st.builds(
    CoverageEntry,
    intervals(max_hours=200),
    st.sampled_from(list(Outcome)),
    st.just(utc(2024, 6, 1)),
)


@given(st.lists(entries, max_size=6), st.lists(entries, max_size=6))
def test_merged_coverage_covers_the_union(
    left: list[CoverageEntry], right: list[CoverageEntry]
) -> None:
    merged = Coverage.of(left).merge(Coverage.of(right))
    assert merged == Coverage.of(right).merge(Coverage.of(left))
    assert merged.covered() == Coverage.of(left).covered().union(Coverage.of(right).covered())
    for outcome in Outcome:
        assert merged.with_outcome(outcome) == IntervalSet.of(
            e.interval for e in (*left, *right) if e.outcome is outcome
        )


@given(gap_maps, st.one_of(st.none(), spans), st.integers(0, 24 * 40))
def test_no_chunk_straddles_where_answers_stop_being_final(
    gaps: dict[tuple[str, AreaKey], IntervalSet], span: ChunkSpan | None, hours: int
) -> None:
    fresh = utc(2024, 1, 1) + timedelta(hours=hours)
    policy = ChunkPolicy(span, fresh_from=fresh)
    uncut = ChunkPolicy(span)
    plan = BackfillPlan.build(gaps, policy)
    for (dataset, area), wanted in gaps.items():
        mine = [c.interval for c in plan if c.dataset == dataset and c.area == area]
        assert IntervalSet.of(mine) == wanted
        assert not any(i.start < fresh < i.end for i in mine)
        assert all(policy.fits(DATASETS.get(dataset), i) for i in mine)
        straddling = sum(1 for gap in wanted if gap.start < fresh < gap.end)
        expected = len(BackfillPlan.build({(dataset, area): wanted}, uncut))
        assert expected <= len(mine) <= expected + straddling
