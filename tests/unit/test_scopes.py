"""Scopes ``all`` and ``all-borders``: expanded per dataset within the areas' validity windows,
refused for the wrong kind of dataset, and the same in backfills, reads and gap fills."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from adapters.fakes import FakeClock, ScriptedMarketDataSource
from adapters.memory import MemoryUnitOfWorkFactory
from entsoe_core._border_table import BORDER_ROWS
from entsoe_core.areas import AREAS, AreaKey
from entsoe_core.budget import RequestBudget
from entsoe_core.datasets import DATASETS
from entsoe_core.errors import InvalidRequest
from entsoe_core.scopes import AreaScope
from entsoe_core.services.backfill import BackfillService
from entsoe_core.services.gapfill import GapFillService
from entsoe_core.services.reads import ReadService
from entsoe_core.services.requests import BackfillRequest
from entsoe_core.timeline import Interval, utc
from tests.unit.conftest import make_service

LOAD = "actual_total_load"
FLOWS = "cross_border_physical_flows"
CHANGE = utc(2018, 10, 1)
NL, DE_LU, DE_AT_LU = (AREAS.key(name) for name in ("NL", "DE_LU", "DE_AT_LU"))
STRADDLING = (utc(2018, 6, 1), utc(2019, 1, 1))


def parse(
    areas: str, datasets: str, start: datetime = STRADDLING[0], end: datetime = STRADDLING[1]
) -> BackfillRequest:
    return BackfillRequest.parse(areas.split(","), datasets.split(","), start, end)


def areas_of(request: BackfillRequest, dataset: str) -> list[AreaKey]:
    return [area for key, area in request.targets() if key == dataset]


def test_all_is_every_area_that_existed_during_the_period() -> None:
    before = areas_of(parse("all", LOAD, utc(2017, 1, 1), utc(2018, 1, 1)), LOAD)
    after = areas_of(parse("all", LOAD, utc(2019, 1, 1), utc(2020, 1, 1)), LOAD)
    both = areas_of(parse("all", LOAD), LOAD)
    assert DE_AT_LU in before
    assert DE_LU not in before
    assert DE_LU in after
    assert DE_AT_LU not in after
    assert {DE_AT_LU, DE_LU, NL} <= set(both)
    # Every single area of the catalogue without a window, once, and no border.
    timeless = {AreaKey(a.code) for a in AREAS if a.valid_from is None and a.valid_until is None}
    assert timeless <= set(before)
    assert timeless <= set(after)
    assert len(both) == len(set(both)) == len(AREAS)
    assert not any(area.is_border for area in both)


def test_each_area_is_worked_on_within_its_validity_window_only() -> None:
    request = parse("all", LOAD)
    assert request.period_for(DE_AT_LU) == Interval(STRADDLING[0], CHANGE)
    assert request.period_for(DE_LU) == Interval(CHANGE, STRADDLING[1])
    assert request.period_for(NL) == request.period
    border = AREAS.key("NL>DE_LU")
    assert parse("all-borders", FLOWS).period_for(border) == Interval(CHANGE, STRADDLING[1])


async def test_a_plan_of_all_clips_each_area_to_its_validity_window(
    service: BackfillService,
) -> None:
    plan = await service.plan(parse("all", LOAD))
    old = [c.interval for c in plan if c.area == DE_AT_LU]
    new = [c.interval for c in plan if c.area == DE_LU]
    assert old
    assert max(i.end for i in old) == CHANGE
    assert new
    assert min(i.start for i in new) == CHANGE
    nl = [c.interval for c in plan if c.area == NL]
    assert (min(i.start for i in nl), max(i.end for i in nl)) == STRADDLING


def test_all_borders_is_both_directions_of_every_border_whose_areas_existed() -> None:
    borders = areas_of(parse("all-borders", FLOWS), FLOWS)
    assert {AREAS.key("NL>DE_LU"), AREAS.key("DE_LU>NL")} <= set(borders)
    assert {AREAS.key("NL>DE_AT_LU"), AREAS.key("DE_AT_LU>NL")} <= set(borders)
    assert all(area.is_border for area in borders)
    later = areas_of(parse("all-borders", FLOWS, utc(2020, 1, 1), utc(2021, 1, 1)), FLOWS)
    assert AREAS.key("NL>DE_LU") in later
    assert not any(DE_AT_LU.code in (a.code, a.to_code) for a in later)


def test_the_border_list_names_known_areas_once_each_way() -> None:
    pairs = [(AREAS.get(a).code, AREAS.get(b).code) for a, b in BORDER_ROWS]
    assert all(a != b for a, b in pairs)
    assert len({frozenset(p) for p in pairs}) == len(pairs)
    assert len(AREAS.borders) == 2 * len(pairs) == len(set(AREAS.borders))


@pytest.mark.parametrize(
    ("areas", "dataset", "message"),
    [
        ("all-borders", LOAD, "dataset actual_total_load takes single areas .* give all"),
        ("NL,all-borders", "day_ahead_prices", "takes single areas .*not all-borders"),
        ("all", FLOWS, "is about borders .* give all-borders or borders such as NL>DE_LU"),
        ("all,all-borders", f"{LOAD},{FLOWS}", "takes single areas"),
    ],
)
def test_a_scope_of_the_other_kind_is_refused_naming_what_is_accepted(
    areas: str, dataset: str, message: str
) -> None:
    with pytest.raises(InvalidRequest, match=message):
        parse(areas, dataset)


@pytest.mark.parametrize("dataset", DATASETS.keys)
def test_every_dataset_expands_the_scope_of_its_kind_and_refuses_the_other(dataset: str) -> None:
    found = DATASETS.get(dataset)
    right, wrong = ("all-borders", "all") if found.is_border else ("all", "all-borders")
    # A month every dataset is published for (intraday auctions began in June 2024).
    start, end = utc(2025, 1, 1), utc(2025, 2, 1)
    areas = areas_of(parse(right, dataset, start, end), dataset)
    assert areas
    for area in areas:
        found.check_area(area)
    with pytest.raises(InvalidRequest, match=f"dataset {dataset} "):
        parse(wrong, dataset, start, end)


def test_names_mixed_with_a_scope_are_the_scope_plus_what_it_lacks() -> None:
    assert parse("NL,all", LOAD).targets() == parse("all", LOAD).targets()
    # DE_LU alone is refused for 2018 (it began in October); within all, it is clipped.
    with pytest.raises(InvalidRequest, match="DE_LU"):
        parse("DE_LU", LOAD)
    assert DE_LU in areas_of(parse("DE_LU,ALL", LOAD), LOAD)
    # A border the list does not know stays, when named.
    unlisted = AREAS.key("PT>FR")
    assert unlisted not in AREAS.borders
    assert unlisted in areas_of(parse("PT>FR,all-borders", FLOWS), FLOWS)
    # A name of the wrong kind is refused even beside a scope.
    with pytest.raises(InvalidRequest, match="takes a single area, not the border"):
        parse("all,NL>BE", LOAD)


def test_datasets_of_both_kinds_each_get_their_own_scope() -> None:
    request = parse("NL", f"{LOAD},day_ahead_prices")
    assert request.pairs is None
    both = BackfillRequest.parse(
        ["all"], [LOAD, "day_ahead_prices"], utc(2024, 1, 1), utc(2024, 2, 1)
    )
    assert areas_of(both, LOAD) == areas_of(both, "day_ahead_prices")
    assert both.areas == tuple(areas_of(both, LOAD))


def test_an_unknown_name_beside_a_scope_is_still_refused() -> None:
    with pytest.raises(InvalidRequest, match="unknown area 'Narnia'"):
        AreaScope.parse(["all", "Narnia"])
    with pytest.raises(InvalidRequest, match=r"no area given.*all"):
        parse(" ", LOAD)


async def test_coverage_of_all_reports_each_area_over_its_lifetime(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    reads = ReadService(uow, clock)
    reports = await reads.coverage(reads.request(["all"], [LOAD], *STRADDLING))
    periods = {report.area: report.period for report in reports}
    assert periods[DE_AT_LU] == Interval(STRADDLING[0], CHANGE)
    assert periods[DE_LU] == Interval(CHANGE, STRADDLING[1])
    assert len(reports) == len(AREAS)


async def test_observations_of_a_scope_are_refused_not_cut_to_its_first_area(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    reads = ReadService(uow, clock)
    with pytest.raises(InvalidRequest, match="one dataset and one area at a time"):
        await reads.observations(reads.request(["all"], [LOAD], *STRADDLING), limit=10)


async def test_fill_gaps_of_all_asks_each_dataset_for_the_areas_of_its_kind(
    uow: MemoryUnitOfWorkFactory, clock: FakeClock
) -> None:
    service = GapFillService(
        make_service(uow, ScriptedMarketDataSource(clock), clock),
        uow,
        clock,
        areas=("all", "all-borders"),
        datasets=(LOAD, FLOWS),
        history_years=1,
    )
    targets = service.targets(clock.now())
    load = [area for dataset, area in targets if dataset.key == LOAD]
    flows = [area for dataset, area in targets if dataset.key == FLOWS]
    assert DE_LU in load
    assert DE_AT_LU not in load
    assert NL in load
    assert AREAS.key("NL>DE_LU") in flows
    assert all(area.is_border for area in flows)
    gaps = await service.find_gaps()
    assert {area for _, area in gaps} == set(load) | set(flows)


async def test_a_summary_counts_chunks_by_dataset_and_area_and_the_budget_they_need(
    service: BackfillService,
) -> None:
    request = parse("NL,DE_LU", LOAD, utc(2023, 1, 1), utc(2023, 7, 1))
    # Four requests at once, the other eight at the refill of 7 - 4 - 1 = 2 a minute.
    summary = await service.preview(request, rate=RequestBudget(per_minute=7, burst=4))
    assert [(g.area, g.chunks) for g in summary.groups] == [(NL, 6), (DE_LU, 6)]
    first = summary.groups[0]
    assert (first.first, first.last) == (
        Interval(utc(2023, 1, 1), utc(2023, 2, 1)),
        Interval(utc(2023, 6, 1), utc(2023, 7, 1)),
    )
    assert summary.requests == 12
    assert summary.budget == timedelta(minutes=4)
    assert summary.complete == 0


async def test_a_summary_leaves_out_what_is_complete_and_writes_nothing(
    uow: MemoryUnitOfWorkFactory, service: BackfillService
) -> None:
    request = parse("NL", f"{LOAD},day_ahead_prices", utc(2024, 1, 1), utc(2024, 2, 1))
    done = BackfillRequest.parse(["NL"], [LOAD], utc(2024, 1, 1), utc(2024, 2, 1))
    await service.start(done)
    async with uow(reading=True) as unit:
        jobs_before = await unit.progress.list_jobs()
    summary = await service.preview(request, rate=RequestBudget())
    assert [g.dataset for g in summary.groups] == ["day_ahead_prices"]
    assert (summary.targets, summary.complete, summary.requests) == (2, 1, 1)
    async with uow(reading=True) as unit:
        assert await unit.progress.list_jobs() == jobs_before
