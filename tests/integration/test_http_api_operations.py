"""`GET /health` says when the scheduler has fallen behind (503), and `GET /metrics` serves the
Prometheus metrics, never the token."""

from __future__ import annotations

import time
from pathlib import Path

import attrs

from entrypoints.emulator import EmulatorConfig, emulator_in_thread
from entrypoints.settings import BackfillSettings
from entsoe_core.timeline import utc
from tests.integration.test_http_api import API_TOKEN, client_for, settings_for


def test_health_is_503_while_no_scheduler_keeps_up_and_metrics_show_the_lag(
    tmp_path: Path,
) -> None:
    with emulator_in_thread(EmulatorConfig(seed=5, token=API_TOKEN)) as api_url:
        settings = settings_for(tmp_path / "entsoe.sqlite3", api_url)
        scoped = attrs.evolve(
            settings,
            backfill=attrs.evolve(
                settings.backfill, areas=("NL",), datasets=("actual_total_load",)
            ),
            # Due at the start of each year: that round is months late, and nobody ran it.
            schedules="actual_total_load=0 0 1 1 *",
        )
        assert isinstance(scoped.backfill, BackfillSettings)
        with client_for(scoped) as client:
            health = client.get("/health")
            metrics = client.get("/metrics")

    assert health.status_code == 503, health.text
    body = health.json()
    assert body["status"] == "behind"
    assert body["overdue"]["dataset"] == "actual_total_load"
    assert body["last_fetch"] is None
    assert body["banned_until"] is None
    assert metrics.status_code == 200
    # Nothing stored: behind without end.
    lag = 'entsoe_freshness_lag_seconds{area="10YNL----------L",dataset="actual_total_load"} +Inf'
    assert lag in metrics.text.splitlines()
    assert 'entsoe_jobs{state="pending"} 0.0' in metrics.text
    assert API_TOKEN not in metrics.text
    assert API_TOKEN not in health.text


def test_serve_keeps_the_scope_fresh_when_asked_to(tmp_path: Path) -> None:
    now = utc(2026, 11, 20, 12)
    with emulator_in_thread(EmulatorConfig(seed=5, token=API_TOKEN, now=now)) as api_url:
        settings = settings_for(tmp_path / "entsoe.sqlite3", api_url)
        scoped = attrs.evolve(
            settings,
            backfill=attrs.evolve(
                settings.backfill,
                areas=("NL",),
                datasets=("day_ahead_prices",),
                history_years=1,
            ),
            schedules="day_ahead_prices=*/2 * * * * *",
            schedule_jitter_seconds=0.0,
            serve_scheduler=True,
        )
        with client_for(scoped) as client:

            def completed() -> list[dict[str, object]] | None:
                jobs = client.get("/backfills").json()
                done = [job for job in jobs if job["status"] == "completed"]
                return done or None

            deadline = time.monotonic() + 120
            while (jobs := completed()) is None:
                assert time.monotonic() < deadline, "no gap-fill job completed"
                time.sleep(0.2)
            health = client.get("/health").json()
            metrics = client.get("/metrics").text

    assert {job["kind"] for job in jobs} == {"gap_fill"}
    assert health["status"] == "ok"
    assert health["overdue"] is None or health["overdue"]["late_seconds"] < 60
    assert health["last_fetch"] is not None
    assert 'entsoe_requests_total{dataset="day_ahead_prices",outcome="ok"}' in metrics
