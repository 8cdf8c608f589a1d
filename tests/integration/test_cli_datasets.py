"""``entsoe datasets`` and ``entsoe status`` as real subprocesses: learned limits and splits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.sqlalchemy import SqlUnitOfWorkFactory
from entsoe_core.areas import AREAS
from entsoe_core.datasets import DATASETS
from entsoe_core.limits import LearnedLimit, RequestSpan
from entsoe_core.plan import Chunk
from entsoe_core.progress import BackfillJob, ChunkProgress, JobStatus, split_children
from entsoe_core.timeline import Interval, utc
from tests.integration.databases import open_engine, run_blocking

ENTSOE = Path(sys.executable).parent / "entsoe"
PRICES = "day_ahead_prices"
LEARNED_AT = utc(2026, 9, 3, 8, 15)
REFUSAL = (
    "Provided time interval (2022-12-31T23:00Z - 2023-12-31T23:00Z) is larger than maximum "
    "allowed period 'P1M' for 'ENERGY_PRICES:XML' export."
)

pytestmark = pytest.mark.slow


def entsoe(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("ENTSOE_")}
    env["ENTSOE_DATABASE_URL"] = url
    return subprocess.run(
        [str(ENTSOE), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


async def _teach_and_split(url: str) -> str:
    """A job of a year of prices whose one chunk was refused and split, and the limit learned."""
    async with open_engine(url) as engine:
        factory = SqlUnitOfWorkFactory(engine)
        year = Interval(utc(2023, 1, 1), utc(2024, 1, 1))
        job = BackfillJob("job-split", LEARNED_AT, year, (PRICES,), (str(AREAS.key("NL")),)).to(
            JobStatus.IN_PROGRESS, LEARNED_AT
        )
        planned = ChunkProgress("job-split-000000", job.id, Chunk(PRICES, AREAS.key("NL"), year))
        async with factory() as uow:
            await uow.progress.add_job(job, [planned])
            claimed = await uow.progress.claim_next("w", LEARNED_AT, timedelta(minutes=2))
            assert claimed is not None
            parent = claimed.split(REFUSAL, 1, 1, LEARNED_AT)
            halves = [Interval(year.start, utc(2023, 7, 1)), Interval(utc(2023, 7, 1), year.end)]
            await uow.progress.split_chunk(parent, split_children(parent, halves, LEARNED_AT))
            await uow.limits.learn(LearnedLimit(PRICES, RequestSpan(months=1), LEARNED_AT, REFUSAL))
            await uow.commit()
        return job.id


def test_datasets_lists_the_catalogue_and_the_limits_learned(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'entsoe.sqlite3'}"
    fresh = entsoe(url, "datasets", "--json")
    assert fresh.returncode == 0, fresh.stderr
    bodies = json.loads(fresh.stdout)
    assert [b["key"] for b in bodies] == list(DATASETS.keys)
    assert all(b["learned_limit"] is None and b["learned_at"] is None for b in bodies)
    load = bodies[0]
    assert (load["key"], load["catalogue_limit"], load["effective_limit"]) == (
        "actual_total_load",
        "P1M",
        "P1M",
    )
    assert load["document_type"] == "A65"
    assert load["process_type"] == "A16"
    assert load["domain"] == "outBiddingZone_Domain"
    assert (load["business_type"], load["contract_type"]) == (None, None)
    net = next(b for b in bodies if b["key"] == "net_positions_intraday")
    assert (net["document_type"], net["business_type"], net["contract_type"]) == (
        "A25",
        "B09",
        "A07",
    )

    run_blocking(lambda: _teach_and_split(url))

    taught = {b["key"]: b for b in json.loads(entsoe(url, "datasets", "--json").stdout)}
    prices = taught[PRICES]
    assert prices["catalogue_limit"] == "P1Y"
    assert prices["learned_limit"] == prices["effective_limit"] == "P1M"
    assert prices["learned_at"] == "2026-09-03T08:15:00Z"
    assert prices["learned_message"] == REFUSAL
    assert prices["publication_horizon"] == "P2D"
    text = entsoe(url, "datasets")
    assert text.returncode == 0, text.stderr
    assert "day_ahead_prices  Day-ahead prices" in text.stdout
    assert (
        "  A61 contract_MarketAgreement.Type=A02; border FROM>TO (out_Domain>in_Domain); "
        in text.stdout
    )
    assert (
        "  A25 businessType=B09 contract_MarketAgreement.Type=A01; single area "
        "(in_Domain=out_Domain, answered against a region); " in text.stdout
    )
    assert "limit P1M per request (catalogue P1Y, learned P1M on 2026-09-03 08:15Z)" in (
        text.stdout
    )


def test_status_shows_split_chunks_and_the_limits_learned_for_the_job(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'entsoe.sqlite3'}"
    job_id = run_blocking(lambda: _teach_and_split(url))

    text = entsoe(url, "status", job_id)
    body = json.loads(entsoe(url, "status", job_id, "--json").stdout)

    assert text.returncode == 0, text.stderr
    assert "chunks 0/2 done" in text.stdout
    assert "2 pending" in text.stdout
    assert "1 split into smaller requests" in text.stdout
    assert "learned limit: day_ahead_prices at most P1M per request" in text.stdout
    assert "last error" not in text.stdout
    assert body["chunks"]["split"] == 1
    assert body["chunks_total"] == 2
    assert body["requests"] == 1
    assert body["span"] is None
    assert body["last_error"] is None
    assert body["learned_limits"] == [
        {
            "dataset": PRICES,
            "limit": "P1M",
            "learned_at": "2026-09-03T08:15:00Z",
            "message": REFUSAL,
        }
    ]


def test_the_help_of_backfill_calls_span_a_cap(tmp_path: Path) -> None:
    shown = entsoe(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}", "backfill", "--help")
    assert "Cap on the chunk span" in " ".join(shown.stdout.split())
