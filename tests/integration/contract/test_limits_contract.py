"""DatasetLimitsPort: learned request limits, only ever tightened, on every adapter."""

from __future__ import annotations

from datetime import timedelta

import pytest

from entsoe_core.limits import LearnedLimit, RequestSpan
from entsoe_core.ports import UnitOfWorkFactory
from tests.integration.contract.builders import LOAD, NOW, PRICES


def limit(dataset: str, span: str, after: timedelta = timedelta(0)) -> LearnedLimit:
    return LearnedLimit(
        dataset,
        RequestSpan.parse(span),
        NOW + after,
        f"larger than maximum allowed period '{span}' for '{dataset}' export",
    )


async def learn(factory: UnitOfWorkFactory, learned: LearnedLimit) -> LearnedLimit:
    async with factory() as uow:
        stored = await uow.limits.learn(learned)
        await uow.commit()
    return stored


async def all_learned(factory: UnitOfWorkFactory) -> dict[str, LearnedLimit]:
    async with factory(reading=True) as uow:
        return await uow.limits.learned()


async def test_nothing_is_learned_at_first(uow_factory: UnitOfWorkFactory) -> None:
    assert await all_learned(uow_factory) == {}


async def test_a_learned_limit_reads_back_equal(uow_factory: UnitOfWorkFactory) -> None:
    month = limit(LOAD, "P1M")
    ten_days = limit(PRICES, "P10D")

    assert await learn(uow_factory, month) == month
    assert await learn(uow_factory, ten_days) == ten_days

    assert await all_learned(uow_factory) == {LOAD: month, PRICES: ten_days}


@pytest.mark.parametrize(("first", "second"), [("P1M", "P1Y"), ("P10D", "P1M"), ("P3M", "P3M")])
async def test_a_longer_or_equal_limit_stated_later_changes_nothing(
    uow_factory: UnitOfWorkFactory, first: str, second: str
) -> None:
    kept = await learn(uow_factory, limit(LOAD, first))

    assert await learn(uow_factory, limit(LOAD, second, timedelta(hours=1))) == kept
    assert await all_learned(uow_factory) == {LOAD: kept}


@pytest.mark.parametrize(("first", "second"), [("P1Y", "P1M"), ("P1M", "P10D"), ("P3M", "P2M")])
async def test_a_tighter_limit_replaces_the_stored_one(
    uow_factory: UnitOfWorkFactory, first: str, second: str
) -> None:
    await learn(uow_factory, limit(LOAD, first))
    tighter = limit(LOAD, second, timedelta(hours=1))

    assert await learn(uow_factory, tighter) == tighter
    assert await all_learned(uow_factory) == {LOAD: tighter}


async def test_a_limit_learned_in_a_unit_of_work_rolled_back_is_forgotten(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        await uow.limits.learn(limit(LOAD, "P1M"))
        assert await uow.limits.learned() == {LOAD: limit(LOAD, "P1M")}

    assert await all_learned(uow_factory) == {}
