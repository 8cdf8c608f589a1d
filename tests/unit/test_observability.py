"""The run observers: Prometheus counters in a registry of their own, JSON log lines with their
fields, tokens blanked out."""

from __future__ import annotations

import io
import json
import logging
from datetime import timedelta

from adapters.observability import LogObserver, PrometheusObserver
from entrypoints.logs import configure_logging
from entsoe_core.areas import AreaKey
from entsoe_core.observer import ObserverGroup, RequestOutcome
from entsoe_core.plan import Chunk
from entsoe_core.progress import ChunkProgress
from entsoe_core.timeline import Interval, utc

NOW = utc(2026, 3, 10, 12)
NL = AreaKey("10YNL----------L")
CHUNK = Chunk("actual_total_load", NL, Interval(utc(2026, 3, 1), utc(2026, 3, 2)))
TOKEN = "s3cret-token-value"


def done_chunk() -> ChunkProgress:
    claimed = ChunkProgress("job-1-000000", "job-1", CHUNK, updated_at=NOW).claim(
        "worker-a", NOW, timedelta(minutes=2)
    )
    return claimed.complete(96, 1, 1, NOW)


def test_each_observer_counts_in_its_own_registry() -> None:
    one, other = PrometheusObserver(), PrometheusObserver()
    group = ObserverGroup(one, LogObserver())
    group.requested("job-1", CHUNK, RequestOutcome.OK)
    group.requested("job-1", CHUNK, RequestOutcome.TRANSIENT)
    group.retrying("job-1", CHUNK, "503")
    group.banned(NOW, NOW + timedelta(minutes=10))
    group.finished(done_chunk(), 2.5)

    text = one.render().decode()
    assert 'entsoe_requests_total{dataset="actual_total_load",outcome="ok"} 1.0' in text
    assert 'entsoe_requests_total{dataset="actual_total_load",outcome="transient"} 1.0' in text
    assert 'entsoe_retries_total{dataset="actual_total_load"} 1.0' in text
    assert "entsoe_bans_total 1.0" in text
    assert "entsoe_banned_seconds_total 600.0" in text
    assert (
        'entsoe_points_written_total{area="10YNL----------L",dataset="actual_total_load"} 96.0'
        in text
    )
    assert 'entsoe_chunk_duration_seconds_count{dataset="actual_total_load",status="done"} 1.0' in (
        text
    )
    assert "entsoe_requests_total{" not in other.render().decode()


def test_json_lines_carry_the_fields_and_never_the_token() -> None:
    stream = io.StringIO()
    configure_logging(verbose=True, log_format="json", secrets=[TOKEN, ""])
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    try:
        LogObserver().finished(done_chunk(), 1.25)
        LogObserver().requested("job-1", CHUNK, RequestOutcome.RATE_LIMITED)
        logging.getLogger("entsoe.test").warning("a careless line with %s in it", TOKEN)
    finally:
        configure_logging(verbose=False, log_format="text", secrets=[])

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["job"] == "job-1"
    assert lines[0]["chunk"] == "job-1-000000"
    assert lines[0]["dataset"] == "actual_total_load"
    assert lines[0]["area"] == "10YNL----------L"
    assert lines[0]["outcome"] == "done"
    assert lines[0]["points"] == 96
    assert lines[1]["outcome"] == "rate_limited"
    assert lines[1]["level"] == "warning"
    assert TOKEN not in stream.getvalue()
    assert lines[2]["message"] == "a careless line with ******** in it"
