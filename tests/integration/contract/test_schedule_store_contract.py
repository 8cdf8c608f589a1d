"""ScheduleStorePort: the in-memory store and the SQL one (SQLite, PostgreSQL) keep one contract.

Several stores made by one fixture share one state, as every scheduler on a database shares
the SQL one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import attrs
import pytest

from adapters.memory.schedule import MemoryScheduleStore
from adapters.sqlalchemy.schedule import SqlScheduleStore
from entsoe_core.scheduling import RoundState, ScheduledRound
from tests.integration.contract.builders import NOW
from tests.integration.databases import open_engine, sqlite_url

Store = MemoryScheduleStore | SqlScheduleStore
MakeStore = Callable[[], Store]
LEASE = timedelta(minutes=15)
ROUND = ScheduledRound("day_ahead_prices", NOW)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MakeStore]:
    if request.param == "memory":
        shared = MemoryScheduleStore()
        yield lambda: shared
        return
    url = (
        sqlite_url(tmp_path)
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    async with open_engine(url) as engine:
        yield lambda: SqlScheduleStore(engine)


async def test_a_round_is_claimed_once(make_store: MakeStore) -> None:
    assert await make_store().claim(ROUND, "a", NOW, LEASE)
    assert not await make_store().claim(ROUND, "b", NOW, LEASE)
    other = ScheduledRound("day_ahead_prices", NOW + timedelta(hours=4))
    assert await make_store().claim(other, "b", NOW, LEASE)


async def test_of_many_claiming_at_once_one_wins(make_store: MakeStore) -> None:
    won = await asyncio.gather(*(make_store().claim(ROUND, f"s{i}", NOW, LEASE) for i in range(6)))
    assert won.count(True) == 1


async def test_a_finished_round_is_never_claimed_again(make_store: MakeStore) -> None:
    store = make_store()
    await store.claim(ROUND, "a", NOW, LEASE)
    [record] = (await store.latest()).values()
    assert record.state is RoundState.RUNNING
    done = attrs.evolve(record, state=RoundState.DONE, finished_at=NOW, job_id="j1", note="ok")
    await store.finish(done)

    assert not await make_store().claim(ROUND, "b", NOW + 2 * LEASE, LEASE)
    latest = (await make_store().latest())["day_ahead_prices"]
    assert (latest.state, latest.owner, latest.job_id, latest.note) == (
        RoundState.DONE,
        "a",
        "j1",
        "ok",
    )
    assert latest.finished_at == NOW


async def test_a_running_round_is_taken_over_once_its_lease_expired(make_store: MakeStore) -> None:
    await make_store().claim(ROUND, "dead", NOW, LEASE)
    assert not await make_store().claim(ROUND, "b", NOW + LEASE - timedelta(seconds=1), LEASE)
    assert await make_store().claim(ROUND, "b", NOW + LEASE + timedelta(seconds=1), LEASE)
    assert (await make_store().latest())["day_ahead_prices"].owner == "b"
    # The dead claimant's late word changes nothing.
    await make_store().release(ROUND, "dead")
    assert (await make_store().latest())["day_ahead_prices"].owner == "b"


async def test_a_released_round_may_be_claimed_again_at_once(make_store: MakeStore) -> None:
    await make_store().claim(ROUND, "a", NOW, LEASE)
    await make_store().release(ROUND, "a")
    assert await make_store().latest() == {}
    assert await make_store().claim(ROUND, "b", NOW, LEASE)


async def test_latest_is_each_datasets_newest_round(make_store: MakeStore) -> None:
    store = make_store()
    for hours in (0, 8, 4):
        await store.claim(
            ScheduledRound("actual_total_load", NOW + timedelta(hours=hours)), "a", NOW, LEASE
        )
    await store.claim(ROUND, "a", NOW, LEASE)
    latest = await make_store().latest()
    assert {d: r.round.due_at for d, r in latest.items()} == {
        "actual_total_load": NOW + timedelta(hours=8),
        "day_ahead_prices": NOW,
    }
