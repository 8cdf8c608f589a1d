"""Upgrading a database made by an earlier revision keeps its rows, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import attrs
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from adapters.sqlalchemy import SqlUnitOfWorkFactory, create_engine, migrate, upgrade
from adapters.sqlalchemy.migrate import MIGRATIONS, check_schema, head_revision
from adapters.sqlalchemy.tables import SERIES_KEY_COLUMNS, chunks, jobs, observations, series
from entsoe_core.errors import StorageError
from entsoe_core.observations import Observation
from entsoe_core.progress import ChunkStatus
from entsoe_core.timeline import Interval, utc
from entsoe_core.versions import UpsertResult
from tests.integration.contract.builders import LOAD, NL, NOW, price_key
from tests.integration.contract.builders import series as make_series
from tests.integration.databases import PostgresDatabases, sqlite_url

KEY = price_key()
CREATED = utc(2026, 5, 1, 8)
DAY = Interval(utc(2024, 3, 1), utc(2024, 3, 2))
# The key columns of revision 0001; 0004 added the price category and the flow direction,
# 0005_bids the market product, the quantity kind and the registered resource.
ADDED_BY_0005 = ("market_product", "quantity_kind", "registered_resource")
KEY_COLUMNS_AT_0001 = tuple(
    name
    for name in SERIES_KEY_COLUMNS
    if name not in ("price_category", "flow_direction", *ADDED_BY_0005)
)


async def _fill_at_0001(url: str) -> None:
    """A database at revision 0001 holding what that version of the tool wrote: a series,
    two observations, a job and a done chunk."""
    await upgrade(url, "0001")
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            series_id = (
                await connection.execute(
                    series.insert()
                    .values(
                        dataset=LOAD,
                        area=str(NL),
                        **{name: getattr(KEY, name) for name in KEY_COLUMNS_AT_0001},
                    )
                    .returning(series.c.id)
                )
            ).scalar_one()
            await connection.execute(
                observations.insert(),
                [
                    {
                        "series_id": series_id,
                        "ts": DAY.start + hour * (DAY.end - DAY.start) / 24,
                        "value": 10.0 + hour,
                        "unit": "MAW",
                        "curve_type": "A01",
                        "revision": 1,
                        "created_at": CREATED,
                        "ingested_at": NOW,
                    }
                    for hour in range(2)
                ],
            )
            await connection.execute(
                jobs.insert().values(
                    id="job-a",
                    created_at=NOW,
                    period_start=DAY.start,
                    period_end=DAY.end,
                    datasets=json.dumps([LOAD]),
                    areas=json.dumps([str(NL)]),
                    span="month",
                    kind="backfill",
                    status="completed",
                    started_at=NOW,
                    finished_at=NOW,
                    version=3,
                )
            )
            await connection.execute(
                chunks.insert().values(
                    id="job-a-000000",
                    job_id="job-a",
                    position=0,
                    dataset=LOAD,
                    area=str(NL),
                    interval_start=DAY.start,
                    interval_end=DAY.end,
                    status="done",
                    attempts=1,
                    requests=1,
                    points_written=2,
                    version=2,
                    updated_at=NOW,
                )
            )
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    return databases.create(migrated=False)


async def test_upgrading_a_database_of_revision_0001_keeps_its_rows(empty_url: str) -> None:
    await _fill_at_0001(empty_url)

    change = await upgrade(empty_url)

    assert (change.before, change.after) == ("0001", head_revision())
    engine = create_engine(empty_url)
    try:
        factory = SqlUnitOfWorkFactory(engine)
        async with factory() as uow:
            stored = await uow.store.read(LOAD, NL, DAY)
            (chunk,) = await uow.progress.get_chunks("job-a")
            counts = await uow.progress.counts("job-a", NOW)
        assert stored == [
            Observation(
                LOAD,
                NL,
                KEY,
                DAY.start + i * (DAY.end - DAY.start) / 24,
                10.0 + i,
                "MAW",
                "A01",
                1,
                CREATED,
            )
            for i in range(2)
        ]
        assert (chunk.status, chunk.points_written, chunk.points_kept) == (ChunkStatus.DONE, 2, 0)
        assert (counts.points_written, counts.points_kept) == (2, 0)

        # The rows written before the upgrade take part in the version rule.
        stale = make_series(KEY, DAY.start, [99, 99, 99], unit="MAW", created_at=utc(2024, 1, 2))
        async with factory() as uow:
            result = await uow.store.upsert(LOAD, NL, [stale])
            await uow.commit()
        assert result == UpsertResult(written=1, kept_newer=2)
    finally:
        await engine.dispose()


def _downgrade(connection: Connection, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def test_downgrading_to_0001_keeps_the_rows_and_drops_the_count(empty_url: str) -> None:
    await _fill_at_0001(empty_url)
    await upgrade(empty_url)
    engine = create_engine(empty_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_downgrade, "0001")
        async with engine.connect() as connection:
            columns = {
                column["name"]
                for column in await connection.run_sync(
                    lambda sync: sa.inspect(sync).get_columns("backfill_chunks")
                )
            }
            rows = (await connection.execute(sa.text("SELECT count(*) FROM observations"))).scalar()
            points = (
                await connection.execute(sa.text("SELECT points_written FROM backfill_chunks"))
            ).scalar()
            version = (
                await connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            ).scalar()
    finally:
        await engine.dispose()
    assert "points_kept" not in columns
    assert (rows, points, version) == (2, 2, "0001")


async def test_after_0004_price_categories_and_flow_directions_are_series_apart(
    empty_url: str,
) -> None:
    await _fill_at_0001(empty_url)
    await upgrade(empty_url)
    engine = create_engine(empty_url)
    try:
        factory = SqlUnitOfWorkFactory(engine)
        # The same key but for its price category or flow direction: other series, not
        # overwrites of the one stored before the upgrade, which has neither.
        categorised = make_series(
            attrs.evolve(KEY, price_category="A05"), DAY.start, [1.0], created_at=CREATED
        )
        directed = make_series(
            attrs.evolve(KEY, flow_direction="A01"), DAY.start, [2.0], created_at=CREATED
        )
        async with factory() as uow:
            result = await uow.store.upsert(LOAD, NL, [categorised, directed])
            await uow.commit()
        async with factory() as uow:
            stored = await uow.store.read(LOAD, NL, DAY)
    finally:
        await engine.dispose()
    assert result == UpsertResult(written=2, kept_newer=0)
    assert sorted(
        (o.key.price_category, o.key.flow_direction, o.timestamp, o.value) for o in stored
    ) == [
        ("", "", DAY.start, 10.0),
        ("", "", DAY.start + (DAY.end - DAY.start) / 24, 11.0),
        ("", "A01", DAY.start, 2.0),
        ("A05", "", DAY.start, 1.0),
    ]


async def test_after_0005_products_quantities_and_units_are_series_apart(empty_url: str) -> None:
    await _fill_at_0001(empty_url)
    await upgrade(empty_url)
    engine = create_engine(empty_url)
    try:
        factory = SqlUnitOfWorkFactory(engine)
        # The same key but for one field 0005_bids added: each another series, none of them an
        # overwrite of the one stored before the upgrade, which has none of them.
        apart = [
            make_series(
                attrs.evolve(KEY, **{field: value}), DAY.start, [number], created_at=CREATED
            )
            for number, (field, value) in enumerate(
                [
                    ("market_product", "A01"),
                    ("quantity_kind", "secondaryQuantity"),
                    ("quantity_kind", "unavailable_Quantity.quantity"),
                    ("registered_resource", "22WDOELX1000076X"),
                ],
                start=1,
            )
        ]
        async with factory() as uow:
            result = await uow.store.upsert(LOAD, NL, apart)
            await uow.commit()
        async with factory() as uow:
            stored = await uow.store.read(LOAD, NL, DAY)
    finally:
        await engine.dispose()
    assert result == UpsertResult(written=4, kept_newer=0)
    assert sorted(
        (*(getattr(o.key, field) for field in ADDED_BY_0005), o.timestamp, o.value) for o in stored
    ) == [
        ("", "", "", DAY.start, 10.0),
        ("", "", "", DAY.start + (DAY.end - DAY.start) / 24, 11.0),
        ("", "", "22WDOELX1000076X", DAY.start, 4.0),
        ("", "secondaryQuantity", "", DAY.start, 2.0),
        ("", "unavailable_Quantity.quantity", "", DAY.start, 3.0),
        ("A01", "", "", DAY.start, 1.0),
    ]


def _alembic_head(folder: Path) -> str | None:
    config = Config()
    config.set_main_option("script_location", str(folder))
    return ScriptDirectory.from_config(config).get_current_head()


def test_the_head_read_from_the_migration_files_is_alembics() -> None:
    assert head_revision() == _alembic_head(MIGRATIONS)


MIGRATION = """
from typing import Union

revision{annotation} = {revision}
down_revision{down_annotation} = {down}


def upgrade() -> None:
    pass
"""


def _write_migration(folder: Path, name: str, revision: str, down: str, quote: str = '"') -> None:
    (folder / "versions").mkdir(parents=True, exist_ok=True)
    (folder / "versions" / f"{name}.py").write_text(
        MIGRATION.format(
            annotation=": str" if quote == "'" else "",
            revision=f"{quote}{revision}{quote}",
            down_annotation=": Union[str, None]" if quote == "'" else "",
            down=down if down.startswith(("(", "None")) else f"{quote}{down}{quote}",
        )
    )


def test_the_head_is_read_from_migrations_as_alembics_template_writes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_migration(tmp_path, "0001_first", "0001", "None")
    _write_migration(tmp_path, "0002_second", "0002", "0001")
    _write_migration(tmp_path, "3f2a9c_third", "3f2a9c", "0002", quote="'")
    monkeypatch.setattr(migrate, "MIGRATIONS", tmp_path)

    assert head_revision() == "3f2a9c" == _alembic_head(tmp_path)


def test_a_merged_history_has_its_head_from_alembic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_migration(tmp_path, "0001_first", "0001", "None")
    _write_migration(tmp_path, "0002_left", "0002a", "0001")
    _write_migration(tmp_path, "0002_right", "0002b", "0001")
    _write_migration(tmp_path, "0003_merge", "0003", '("0002a", "0002b")')
    monkeypatch.setattr(migrate, "MIGRATIONS", tmp_path)

    assert head_revision() == "0003" == _alembic_head(tmp_path)


async def test_a_database_one_revision_behind_is_refused_with_both_revisions(
    empty_url: str,
) -> None:
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None
    behind = script.get_revision(head).down_revision
    assert isinstance(behind, str)
    await upgrade(empty_url, behind)
    engine = create_engine(empty_url)
    try:
        with pytest.raises(StorageError, match=rf"revision {behind}, this version needs .*{head}"):
            await check_schema(engine)
    finally:
        await engine.dispose()
