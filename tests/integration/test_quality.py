"""``entsoe quality`` as a real subprocess and ``GET /quality`` over loopback, on a SQLite file
holding a series with holes and one without."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from adapters.sqlalchemy import SqlUnitOfWorkFactory
from entrypoints.http_api import api_in_thread
from entrypoints.settings import Secret, Settings
from entrypoints.wire import QUALITY_FIELDS
from entsoe_core.areas import AreaKey
from entsoe_core.coverage import CoverageEntry, Outcome
from entsoe_core.observations import Point, Series, SeriesKey
from entsoe_core.timeline import Interval, IntervalSet, utc
from tests.integration.contract.builders import NOW, chunks_of, job
from tests.integration.databases import open_engine, run_blocking, sqlite_url

ENTSOE = Path(sys.executable).parent / "entsoe"
NL = AreaKey("10YNL----------L")
JANUARY = Interval(utc(2023, 1, 1), utc(2023, 2, 1))
HOUR = timedelta(hours=1)
CUT = JANUARY.start + 100 * HOUR
CUT_KEY = SeriesKey("A65", "A16", "A04", out_domain=NL.code, resolution="PT60M")
WHOLE_KEY = SeriesKey("A65", "A16", "A05", out_domain=NL.code, resolution="PT60M")
HOLES = [
    ("2023-01-01T10:00:00Z", "2023-01-01T12:00:00Z"),
    ("2023-01-05T04:00:00Z", "2023-02-01T00:00:00Z"),
]
PERIOD = ["--start", "2023-01-01", "--end", "2023-02-01"]

pytestmark = pytest.mark.slow


def _hours(end: datetime, skip: tuple[int, ...] = ()) -> tuple[Point, ...]:
    count = (end - JANUARY.start) // HOUR
    return tuple(Point(JANUARY.start + h * HOUR, 1.0) for h in range(count) if h not in skip)


async def _seed(url: str) -> None:
    async with open_engine(url) as engine:
        uow = SqlUnitOfWorkFactory(engine)
        async with uow() as unit:
            await unit.store.upsert(
                "actual_total_load",
                NL,
                [
                    Series(CUT_KEY, _hours(CUT, skip=(10, 11)), revision=2),
                    Series(WHOLE_KEY, _hours(JANUARY.end)),
                ],
            )
            holes = IntervalSet((Interval(CUT, JANUARY.end),))
            entry = CoverageEntry(JANUARY, Outcome.DATA, utc(2023, 3, 1), holes=holes)
            await unit.store.record_coverage("actual_total_load", NL, entry)
            await unit.commit()


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = sqlite_url(tmp_path)
    run_blocking(lambda: _seed(url))
    return url


def quality(url: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    return entsoe(url, "quality", *arguments)


def entsoe(url: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("ENTSOE_")}
    env["ENTSOE_DATABASE_URL"] = url
    return subprocess.run(
        [str(ENTSOE), *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_table_shows_each_series_with_its_holes(database: str) -> None:
    done = quality(database, "--area", "NL", "--dataset", "actual_total_load", *PERIOD)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("actual_total_load NL")
    assert "A65/A16 A04 PT60M: 98/744 points, 2 holes, revision 2" in lines[0]
    assert lines[1:3] == [
        "  hole 2023-01-01T10:00:00+00:00..2023-01-01T12:00:00+00:00",
        "  hole 2023-01-05T04:00:00+00:00..2023-02-01T00:00:00+00:00",
    ]
    assert "A65/A16 A05 PT60M: 744/744 points, 0 holes, revision 1" in lines[3]


def test_json_and_csv_give_the_fields_of_the_http_body(database: str) -> None:
    asked = ["--area", "NL", "--dataset", "actual_total_load", *PERIOD]
    as_json = json.loads(quality(database, *asked, "--format", "json").stdout)
    assert [tuple(body) for body in as_json] == [QUALITY_FIELDS] * 2
    cut, whole = as_json
    assert (cut["expected"], cut["stored"], cut["missing"], cut["holes"]) == (744, 98, 646, 2)
    assert [(h["start"], h["end"]) for h in cut["first_holes"]] == HOLES
    assert (cut["holes_accepted"], cut["revision"]) == (0, 2)
    assert cut["last_fetch"] == "2023-03-01T00:00:00Z"
    assert (whole["holes"], whole["missing"]) == (0, 0)

    as_csv = list(csv.DictReader(io.StringIO(quality(database, *asked, "--format", "csv").stdout)))
    assert [tuple(row) for row in as_csv] == [QUALITY_FIELDS] * 2
    assert as_csv[0]["first_holes"] == " ".join(f"{a}/{b}" for a, b in HOLES)
    assert (as_csv[0]["holes"], as_csv[0]["expected"], as_csv[1]["holes"]) == ("2", "744", "0")


def test_fail_on_holes_exits_1_only_when_a_hole_is_found(database: str) -> None:
    asked = ["--area", "NL", "--dataset", "actual_total_load", "--fail-on-holes"]
    with_holes = quality(database, *asked, *PERIOD)
    assert with_holes.returncode == 1, with_holes.stderr
    assert "2 holes" in with_holes.stdout
    # The first ten hours hold no hole.
    clean = quality(database, *asked, "--start", "2023-01-01", "--end", "2023-01-01T10:00Z")
    assert clean.returncode == 0, clean.stderr
    assert "0 holes" in clean.stdout


def test_bad_input_is_named_with_what_would_be_accepted(database: str) -> None:
    done = quality(database, "--area", "NL", "--dataset", "actual_load", *PERIOD)
    assert done.returncode == 2
    assert "unknown dataset 'actual_load'" in done.stderr
    assert "actual_total_load" in done.stderr
    bad_format = quality(
        database, "--area", "NL", "--dataset", "actual_total_load", "--format", "xml"
    )
    assert bad_format.returncode == 2
    assert "'xml'" in bad_format.stderr
    assert "table" in bad_format.stderr


def test_the_http_route_answers_the_same_bodies(database: str, tmp_path: Path) -> None:
    settings = Settings(database_url=database, http_token=Secret("http-secret-quality"))
    params = {
        "area": "NL",
        "dataset": "actual_total_load",
        "start": "2023-01-01",
        "end": "2023-02-01",
    }
    with api_in_thread(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        answer = client.get("/quality", params=params)
        assert answer.status_code == 200, answer.text
        bodies = answer.json()
        as_csv = client.get("/quality", params={**params, "format": "csv"})
        bad = client.get("/quality", params={**params, "dataset": "actual_load"})
    cli = json.loads(
        quality(
            database, "--area", "NL", "--dataset", "actual_total_load", *PERIOD, "--format", "json"
        ).stdout
    )
    assert bodies == cli
    assert [(h["start"], h["end"]) for h in bodies[0]["first_holes"]] == HOLES
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert next(csv.reader(io.StringIO(as_csv.text))) == list(QUALITY_FIELDS)
    assert bad.status_code == 422
    assert "actual_load" in bad.json()["detail"]


async def _job_with_holes(url: str) -> None:
    async with open_engine(url) as engine:
        uow = SqlUnitOfWorkFactory(engine)
        async with uow() as unit:
            await unit.progress.add_job(job("holes"), chunks_of("holes", [NL], months=2))
            await unit.commit()
        async with uow() as unit:
            first = await unit.progress.claim_next("w", NOW, timedelta(minutes=2))
            assert first is not None
            await unit.progress.save_chunk(first.complete(98, 1, 1, NOW, holes=2))
            await unit.commit()


def test_status_counts_the_holes_of_a_job(database: str) -> None:
    run_blocking(lambda: _job_with_holes(database))
    body = json.loads(entsoe(database, "status", "holes", "--json").stdout)
    assert body["holes"] == 2
    text = entsoe(database, "status", "holes")
    assert text.returncode == 0, text.stderr
    assert "2 holes (see `entsoe quality`)" in text.stdout
