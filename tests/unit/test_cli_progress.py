"""What a command prints of a job and its chunks: split chunks and learned limits."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from rich.console import Console

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


def test_each_line_labels_elapsed_time_and_eta(capsys: pytest.CaptureFixture[str]) -> None:
    ticks = iter([0.0, 30.0, 90.0])
    view = ChunkProgressView(total=4, done=0, label="job j", clock=lambda: next(ticks))
    done = [
        ChunkProgress(f"j-{n:06d}", "j", Chunk("day_ahead_prices", AREAS.key("NL"), YEAR))
        .claim("me", NOW, timedelta(minutes=2))
        .complete(10, 1, 1, NOW)
        for n in range(2)
    ]

    with view.shown() as on_chunk:
        for chunk in done:
            on_chunk(chunk)

    first, second = capsys.readouterr().err.splitlines()
    # 30 s for one chunk, three left: 90 s; then 90 s for two, two left: 90 s.
    assert first.startswith("[1/4] done day_ahead_prices")
    assert first.endswith("(10 points) elapsed 0:00:30, eta 0:01:30")
    assert second.endswith("(10 points) elapsed 0:01:30, eta 0:01:30")


def test_the_bar_names_the_dataset_and_area_and_labels_its_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(
        "entrypoints.cli_support.Console",
        lambda **_: Console(file=screen, force_terminal=True, width=160),
    )
    view = ChunkProgressView(total=2, done=0, label="job j")
    chunk = ChunkProgress("j-000000", "j", Chunk("day_ahead_prices", AREAS.key("DE_LU"), YEAR))

    with view.shown() as on_chunk:
        on_chunk(chunk.claim("me", NOW, timedelta(minutes=2)).complete(10, 1, 1, NOW))

    shown = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", screen.getvalue())
    last = [line for line in shown.splitlines() if line.strip()][-1]
    assert "job j: day_ahead_prices DE_LU" in last
    assert re.search(r"elapsed \d+:\d\d:\d\d eta \S+", last), last
