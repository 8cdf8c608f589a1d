"""What a command prints of a job and its chunks: split chunks and learned limits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from entrypoints.cli_support import ChunkProgressView, describe
from entsoe_core.areas import AREAS
from entsoe_core.limits import LearnedLimit, RequestSpan
from entsoe_core.plan import Chunk
from entsoe_core.progress import (
    BackfillJob,
    ChunkCounts,
    ChunkProgress,
    JobStatus,
    split_children,
)
from entsoe_core.services.requests import JobReport
from entsoe_core.timeline import Interval, utc

NOW = utc(2024, 6, 15, 12)
YEAR = Interval(utc(2023, 1, 1), utc(2024, 1, 1))
REFUSAL = "larger than maximum allowed period 'P1M'"


def split_parent() -> ChunkProgress:
    chunk = ChunkProgress("j-000000", "j", Chunk("day_ahead_prices", AREAS.key("NL"), YEAR))
    claimed = chunk.claim("me", NOW, timedelta(minutes=2))
    return claimed.split(REFUSAL, 1, 1, NOW)


def test_a_split_chunk_is_a_line_of_its_own_and_not_counted_done(
    capsys: pytest.CaptureFixture[str],
) -> None:
    view = ChunkProgressView(total=1, done=0, label="job j")
    parent = split_parent()
    halves = [Interval(YEAR.start, utc(2023, 7, 1)), Interval(utc(2023, 7, 1), YEAR.end)]
    first, _ = split_children(parent, halves, NOW)

    with view.shown() as on_chunk:
        on_chunk(parent)
        on_chunk(first.claim("me", NOW, timedelta(minutes=2)).complete(10, 1, 1, NOW))

    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == (
        f"split day_ahead_prices {AREAS.key('NL')} 2023-01-01..2024-01-01 "
        f"into smaller requests: {REFUSAL}"
    )
    assert lines[1].startswith("[1/1] done day_ahead_prices")
    assert view.finished == 1


def test_a_report_names_split_chunks_and_the_limits_learned() -> None:
    parent = split_parent()
    children = split_children(
        parent, [Interval(YEAR.start, utc(2023, 7, 1)), Interval(utc(2023, 7, 1), YEAR.end)], NOW
    )
    job = BackfillJob("j", NOW, YEAR, ("day_ahead_prices",), ("NL",)).to(JobStatus.IN_PROGRESS, NOW)
    learned = LearnedLimit("day_ahead_prices", RequestSpan(months=1), NOW, REFUSAL)
    counts = ChunkCounts.of([parent, *children], NOW)

    text = describe(JobReport(job, counts, None, NOW, limits=(learned,)))

    assert text.startswith("job j in_progress, chunks 0/2 done, 2 pending, 1 split into smaller")
    assert text.splitlines()[1] == (
        "  learned limit: day_ahead_prices at most P1M per request (since 2024-06-15 12:00Z)"
    )
