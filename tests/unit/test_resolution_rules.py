"""Resolution rules: native, finest, coarsest and RESOLUTION:mean, and the read that applies
them over several areas."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.fakes import FakeClock
from adapters.memory import MemoryUnitOfWorkFactory
from entsoe_core.areas import AREAS
from entsoe_core.errors import InvalidRequest
from entsoe_core.observations import Observation, Point, Series, SeriesKey
from entsoe_core.resolution_rules import NATIVE, ResolutionRule
from entsoe_core.services.reads import ReadService
from entsoe_core.timeline import utc

START = utc(2025, 9, 30)
NL = AREAS.key("NL")
PRICE = SeriesKey("A44", "", "A62", "", NL.code, NL.code, "1")
HOUR, QUARTER = timedelta(hours=1), timedelta(minutes=15)


def points(resolution: str, steps: list[int], key: SeriesKey = PRICE) -> list[Observation]:
    step = HOUR if resolution == "PT60M" else QUARTER
    return [
        Observation(
            "day_ahead_prices",
            NL,
            attrs.evolve(key, resolution=resolution),
            START + n * step,
            float(n) + (0.5 if resolution == "PT60M" else 0.0),
        )
        for n in steps
    ]


def covered(observations: list[Observation]) -> list[tuple[datetime, datetime]]:
    return [
        (o.timestamp, o.timestamp + (HOUR if o.key.resolution == "PT60M" else QUARTER))
        for o in observations
    ]


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("native", NATIVE),
        ("Finest", ResolutionRule("finest")),
        (" coarsest ", ResolutionRule("coarsest")),
        ("PT60M:mean", ResolutionRule("mean", "PT60M")),
        ("pt30m:MEAN", ResolutionRule("mean", "PT30M")),
    ],
)
def test_the_accepted_rules_are_read(text: str, rule: ResolutionRule) -> None:
    assert ResolutionRule.parse(text) == rule


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hourly", "unknown resolution 'hourly'; accepted: native, finest, coarsest, or "),
        ("PT60M", "unknown resolution 'PT60M'; accepted: native, finest, coarsest, or "),
        ("PT60M:max", "unknown resolution 'PT60M:max'; accepted:"),
        ("P1D:mean", "mean aggregates into a step of less than a day that divides it"),
        ("PT7M:mean", "not 'PT7M'; accepted: native, finest, coarsest, or RESOLUTION:mean"),
        ("PTXM:mean", "not 'PTXM'"),
    ],
)
def test_a_bad_rule_is_named_with_the_accepted_ones(text: str, message: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        ResolutionRule.parse(text)
    assert message in str(raised.value)
    assert repr(text) in str(raised.value)


def test_native_keeps_every_resolution_apart() -> None:
    both = [*points("PT60M", [0, 1]), *points("PT15M", [0, 1, 2])]
    assert NATIVE.apply(both) == both


quarters = st.sets(st.integers(0, 47), max_size=48).map(sorted)
hours = st.sets(st.integers(0, 11), max_size=12).map(sorted)


@given(hourly=hours, quarterly=quarters)
def test_finest_keeps_every_quarter_and_an_hour_only_where_no_quarter_is(
    hourly: list[int], quarterly: list[int]
) -> None:
    kept = ResolutionRule("finest").apply([*points("PT60M", hourly), *points("PT15M", quarterly)])

    assert [o for o in kept if o.key.resolution == "PT15M"] == points("PT15M", quarterly)
    assert [o for o in kept if o.key.resolution == "PT60M"] == points(
        "PT60M", [h for h in hourly if not any(4 * h <= q < 4 * h + 4 for q in quarterly)]
    )
    spans = sorted(covered(kept))
    assert all(end <= next_start for (_, end), (next_start, _) in pairwise(spans))
    assert [o.timestamp for o in kept] == sorted(o.timestamp for o in kept)


@given(hourly=hours, quarterly=quarters)
def test_coarsest_keeps_every_hour_and_a_quarter_only_outside_them(
    hourly: list[int], quarterly: list[int]
) -> None:
    kept = ResolutionRule("coarsest").apply([*points("PT15M", quarterly), *points("PT60M", hourly)])

    assert [o for o in kept if o.key.resolution == "PT60M"] == points("PT60M", hourly)
    assert [o for o in kept if o.key.resolution == "PT15M"] == points(
        "PT15M", [q for q in quarterly if q // 4 not in hourly]
    )


@given(hourly=hours, quarterly=quarters)
def test_mean_gives_one_hourly_series_its_own_values_first(
    hourly: list[int], quarterly: list[int]
) -> None:
    kept = ResolutionRule("mean", "PT60M").apply(
        [*points("PT60M", hourly), *points("PT15M", quarterly)]
    )

    assert {o.key.resolution for o in kept} <= {"PT60M"}
    by_hour = {int((o.timestamp - START) / HOUR): o.value for o in kept}
    expected = {h: h + 0.5 for h in hourly}
    for hour in {q // 4 for q in quarterly} - set(hourly):
        inside = [q for q in quarterly if q // 4 == hour]
        expected[hour] = sum(inside) / len(inside)
    assert by_hour == expected


def test_series_of_another_identity_are_never_merged() -> None:
    other = attrs.evolve(PRICE, classification_position="2")
    both = [*points("PT60M", [0]), *points("PT15M", [0], other)]

    for rule in ("finest", "coarsest", "PT60M:mean"):
        kept = ResolutionRule.parse(rule).apply(both)
        assert {o.key.classification_position for o in kept} == {"1", "2"}, rule


def test_mean_refuses_to_make_a_coarser_resolution_finer() -> None:
    with pytest.raises(InvalidRequest, match="series at PT60M are coarser than PT30M"):
        ResolutionRule.parse("PT30M:mean").apply(points("PT60M", [0]))


async def test_a_read_of_several_areas_applies_the_rule_to_each() -> None:
    uow = MemoryUnitOfWorkFactory()
    fr = AREAS.key("FR")
    fr_price = SeriesKey("A44", "", "A62", "", fr.code, fr.code, "1")
    async with uow() as writing:
        for area, key in ((NL, PRICE), (fr, fr_price)):
            series = [
                Series(o[0].key, tuple(Point(p.timestamp, p.value) for p in o), "EUR/MWH")
                for o in (points("PT60M", [0, 1], key), points("PT15M", [4, 5, 6, 7, 8], key))
            ]
            await writing.store.upsert("day_ahead_prices", area, series)
        await writing.commit()
    reads = ReadService(uow, FakeClock(START))
    request = reads.request(["NL", "FR"], ["day_ahead_prices"], START, START + 3 * HOUR)

    kept = await reads.read_all(request, ResolutionRule.parse("PT60M:mean"), page_size=3)

    assert {(o.area, o.timestamp, o.value) for o in kept} == {
        (area, START + n * HOUR, value)
        for area in (NL, fr)
        for n, value in ((0, 0.5), (1, 1.5), (2, 8.0))
    }
