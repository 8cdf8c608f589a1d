"""``entsoe fill-gaps``: the configured areas and datasets, from ENTSOE_HISTORY_YEARS ago to what
is published now, and on the next run only what may still change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from entsoe_core.timeline import add_months, floor_to_day
from tests.e2e.harness import Cli, exported, query, running_emulator, utc

pytestmark = pytest.mark.slow

DATASETS = ("actual_total_load", "day_ahead_prices")


def test_fill_gaps_fetches_the_configured_history_then_only_recent_data(
    cli: Cli, tmp_path: Path
) -> None:
    # The emulator publishes as if it were a few hours ago: up to a known, fixed instant.
    published_until = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    published_until -= timedelta(hours=3)
    with running_emulator(tmp_path, "--now", f"{published_until:%Y-%m-%dT%H:%M}", seed=5) as api:
        app = cli.with_env(
            **api.env(),
            ENTSOE_AREAS="NL",
            ENTSOE_DATASETS=",".join(DATASETS),
            ENTSOE_HISTORY_YEARS="1",
        )
        before = datetime.now(UTC)
        first = app("fill-gaps").ok()
        after = datetime.now(UTC)

        first_id = first.job_id()
        report = app("status", first_id, "--json").json()
        assert report["kind"] == "gap_fill"
        assert report["status"] == "completed"
        assert report["areas"] == ["10YNL----------L"]
        assert report["datasets"] == list(DATASETS)
        history_start = datetime.fromisoformat(report["start"])
        assert history_start in {add_months(floor_to_day(t), -12) for t in (before, after)}
        # Over a year and a bit: monthly chunks of load (its limit), yearly ones of prices,
        # each with the days whose data may still change in a chunk of their own.
        assert 13 + 2 <= report["chunks_total"] <= 15 + 4
        look = history_start - timedelta(days=31), published_until + timedelta(days=31)
        expected = {name: api.rows(name, "NL", history_start, look[1]) for name in DATASETS}
        for name in DATASETS:
            last = utc(expected[name][-1]["timestamp"].removesuffix("Z"))
            assert last >= published_until - timedelta(hours=1), "published up to its now"
            assert exported(app, name, "NL", *look) == expected[name]
        assert report["points_written"] == sum(len(rows) for rows in expected.values())
        [(stored,)] = query(cli.env["ENTSOE_DATABASE_URL"], "SELECT count(*) FROM observations")
        written_at = query(
            cli.env["ENTSOE_DATABASE_URL"], "SELECT max(ingested_at) FROM observations"
        )

        second = app("fill-gaps").ok()

        again = app("status", second.job_id(), "--json").json()
        assert again["status"] == "completed"
        # The recheck found what is stored, as it is: nothing is written again.
        assert again["points_written"] == 0
        assert again["points_unchanged"] > 0
        assert f"0 points, {again['points_unchanged']} unchanged" in second.stdout
        assert (
            query(cli.env["ENTSOE_DATABASE_URL"], "SELECT max(ingested_at) FROM observations")
            == written_at
        )
        # Only the recent month(s) may still change; the year before is final.
        assert datetime.fromisoformat(again["start"]) >= floor_to_day(before) - timedelta(days=33)
        assert again["chunks_total"] <= 4
        for name in DATASETS:
            assert exported(app, name, "NL", *look) == expected[name]
        assert query(cli.env["ENTSOE_DATABASE_URL"], "SELECT count(*) FROM observations") == [
            (stored,)
        ]
        listed = app("jobs", "--json").json()
        assert [(job["id"], job["kind"]) for job in listed] == [
            (second.job_id(), "gap_fill"),
            (first_id, "gap_fill"),
        ]
        assert api.stats()["total_requests"] == report["requests"] + again["requests"]
