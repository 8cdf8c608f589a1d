"""The hostile-answer suite: every bad answer a broken or hostile server can give, served by the
emulator to a real backfill over loopback, and fed to ``entsoe parse`` and ``entsoe import``.

Each answer is crafted from a recorded real one (the NL actual total load of one day, or the NL
day-ahead prices of one day) with one edit. The database already holds the neighbouring days,
fetched from the emulator; each hostile day is a gap between them. For every case the test
asserts the error the user sees, the exit code, that nothing of the answer was written (every
row of the data tables is compared) and that the neighbours still hold exactly what the
emulator published. It runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

from adapters.entsoe_http.client import DEFAULT_MAX_BODY_BYTES
from tests.e2e.harness import (
    FIXTURES,
    Cli,
    Emulator,
    Result,
    base_environment,
    exported,
    jsonl,
    query,
    running_emulator,
    sorted_rows,
)
from tests.integration.databases import PostgresDatabases, postgres_admin_url
from tests.unit.entsoe_documents import acknowledgement
from tests.unit.test_entsoe_parser import BILLION_LAUGHS, xxe

pytestmark = pytest.mark.slow

NL = "10YNL----------L"
BE = "10YBE----------2"
LOAD = "actual_total_load"
PRICES = "day_ahead_prices"
SECRET = "XXE-SECRET-CONTENT-7f3a"
FIRST_DAY = date(2024, 1, 1)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def stamp(day: date, hour: int = 0) -> str:
    """An instant as the documents write it."""
    return f"{day.isoformat()}T{hour:02d}:00Z"


# -- crafting answers from the recorded ones -------------------------------------------------


def edit(text: str, old: str, new: str, count: int = 1) -> str:
    assert text.count(old) >= count, f"the document holds {old!r} fewer than {count} times"
    return text.replace(old, new, count)


def real_load(day: date) -> str:
    """The recorded NL actual total load (A65/A16, PT15M, A03, 96 positions), moved to
    answer a request for the UTC ``day``."""
    text = (FIXTURES / "load_61a_actual_total_load_NL.xml").read_text()
    text = edit(text, "2024-09-01T22:00Z", stamp(day), 2)
    return edit(text, "2024-09-02T22:00Z", stamp(day + timedelta(days=1)), 2)


def real_prices(delivery: date) -> str:
    """The recorded NL day-ahead prices (A44, PT60M, A03, 24 positions), moved to the CET
    delivery day ``delivery`` (from 23:00Z the day before)."""
    text = (FIXTURES / "market_121d_day_ahead_prices_NL.xml").read_text()
    text = edit(text, "2024-09-01T22:00Z", stamp(delivery - timedelta(days=1), 23), 2)
    return edit(text, "2024-09-02T22:00Z", stamp(delivery, 23), 2)


_PERIOD = re.compile(r"(<Period>\s*<timeInterval>\s*<start>)[^<]*(</start>\s*<end>)[^<]*(</end>)")
_POINTS = re.compile(r"<Point>.*</Point>", re.DOTALL)


def period(text: str, start: str, end: str, resolution: str | None = None) -> str:
    """The document with its (only) Period's interval, and resolution, changed."""
    text, found = _PERIOD.subn(rf"\g<1>{start}\g<2>{end}\g<3>", text)
    assert found == 1
    if resolution is not None:
        text = re.sub(
            r"<resolution>[^<]*</resolution>", f"<resolution>{resolution}</resolution>", text
        )
    return text


def points(text: str, given: list[tuple[int, str]]) -> str:
    """The document with its Period's points replaced by ``given`` (position, quantity)."""
    body = "".join(
        f"<Point><position>{p}</position><quantity>{q}</quantity></Point>" for p, q in given
    )
    text, found = _POINTS.subn(body, text)
    assert found == 1
    return text


def first_quantity(text: str, value: str) -> str:
    return re.sub(r"<quantity>[^<]*</quantity>", f"<quantity>{value}</quantity>", text, count=1)


@functools.cache
def zip_bomb() -> bytes:
    """A ZIP of about half a megabyte whose one member inflates past the body cap."""
    buffer = io.BytesIO()
    block = b"\0" * (1 << 20)
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("answer.xml", "w", force_zip64=True) as member,
    ):
        for _ in range(DEFAULT_MAX_BODY_BYTES // len(block) + 1):
            member.write(block)
    return buffer.getvalue()


@attrs.frozen
class Case:
    """One bad answer and what each way in must say about it.

    ``refused`` are fragments of which the backfill's error must hold one (the parser and the
    request rules word the same fault differently); ``alone`` the same for ``entsoe parse`` and
    ``entsoe import``, or ``None`` for a document that is sound in itself and wrong only as the
    answer to this request: those two read it, and file it under its own dataset and area.
    """

    name: str
    what: str
    dataset: str
    craft: Callable[[date, Path], bytes]
    """The answer to a request for a day; the folder holds a secret file an XXE may name."""
    refused: tuple[str, ...]
    alone: tuple[str, ...] | None


def _text(make: Callable[[date], str]) -> Callable[[date, Path], bytes]:
    return lambda day, _: make(day).encode()


CASES = (
    Case(
        "past-period",
        "points past their Period and chunk (A03, positions 1, 2 and 30 of a day of hours)",
        LOAD,
        _text(
            lambda d: points(
                period(real_load(d), stamp(d), stamp(d + timedelta(days=1)), "PT60M"),
                [(1, "100"), (2, "200"), (30, "300")],
            )
        ),
        refused=("position 30", "outside the interval asked for"),
        alone=("position 30",),
    ),
    Case(
        "reversed-period",
        "a Period that ends before it starts (points dated 2020 and 2021)",
        LOAD,
        _text(
            lambda d: points(
                period(real_load(d), "2020-12-31T23:00Z", "2020-01-01T00:00Z", "PT60M"),
                [(1, "100"), (2, "200")],
            )
        ),
        refused=("not before its end", "outside the interval asked for"),
        alone=("not before its end",),
    ),
    Case(
        "p1y-for-a-day",
        "a P1Y document answering a one-day request",
        LOAD,
        _text(
            lambda d: points(
                period(real_load(d), "2020-01-01T00:00Z", "2021-01-01T00:00Z", "P1Y"),
                [(1, "100")],
            )
        ),
        refused=("resolution P1Y",),
        alone=("resolution P1Y",),
    ),
    Case(
        "be-for-nl",
        "a BE document answering a request for NL",
        LOAD,
        _text(lambda d: real_load(d).replace(NL, BE)),
        refused=(f"out_Domain {BE}; the request was for outBiddingZone_Domain {NL}",),
        alone=None,
    ),
    Case(
        "a44-for-load",
        "an A44 price document answering actual total load",
        LOAD,
        _text(real_prices),
        refused=("document type A44; the request was for actual_total_load",),
        alone=None,
    ),
    Case(
        "a01-for-a16",
        "a day-ahead forecast (process type A01) answering actual total load",
        LOAD,
        _text(lambda d: edit(real_load(d), "<process.processType>A16", "<process.processType>A01")),
        refused=("process type A01; the request was for actual_total_load",),
        alone=None,
    ),
    Case(
        "nan",
        "a value that is NaN",
        LOAD,
        _text(lambda d: first_quantity(real_load(d), "NaN")),
        refused=("finite number",),
        alone=("finite number",),
    ),
    Case(
        "infinity",
        "a value that is Infinity",
        LOAD,
        _text(lambda d: first_quantity(real_load(d), "Infinity")),
        refused=("finite number",),
        alone=("finite number",),
    ),
    Case(
        "position-1e9",
        "a position of 10^9",
        LOAD,
        _text(
            lambda d: edit(
                edit(real_load(d), "<curveType>A03", "<curveType>A01"),
                "<position>96</position>",
                "<position>1000000000</position>",
            )
        ),
        refused=("position 1000000000",),
        alone=("position 1000000000",),
    ),
    Case(
        "position-2e7",
        "an A03 position of 2x10^7 in a one-day Period",
        LOAD,
        _text(
            lambda d: edit(real_load(d), "<position>96</position>", "<position>20000000</position>")
        ),
        refused=("position 20000000",),
        alone=("position 20000000",),
    ),
    Case(
        "year-9999",
        "a Period at the end of year 9999",
        LOAD,
        _text(lambda d: period(real_load(d), "9999-12-31T00:00Z", "9999-12-31T23:00Z", "PT60M")),
        refused=("9999-12-31",),
        alone=("9999-12-31",),
    ),
    Case(
        "pt1000000h",
        "a resolution of PT1000000H",
        LOAD,
        _text(lambda d: period(real_load(d), stamp(d), stamp(d + timedelta(days=1)), "PT1000000H")),
        refused=("PT1000000H",),
        alone=("PT1000000H",),
    ),
    Case(
        "xxe",
        "an external entity (XXE)",
        LOAD,
        lambda _, folder: xxe(folder / "secret.txt"),
        refused=("declares a DTD",),
        alone=("declares a DTD",),
    ),
    Case(
        "billion-laughs",
        "an entity bomb (billion laughs)",
        LOAD,
        lambda _, __: BILLION_LAUGHS,
        refused=("declares a DTD",),
        alone=("declares a DTD",),
    ),
    Case(
        "dtd",
        "a document type declaration",
        LOAD,
        _text(
            lambda d: edit(
                real_load(d),
                '<?xml version="1.0" encoding="utf-8"?>',
                '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE GL_MarketDocument>',
            )
        ),
        refused=("declares a DTD",),
        alone=("declares a DTD",),
    ),
    Case(
        "zip-bomb",
        "a ZIP bomb",
        LOAD,
        lambda _, __: zip_bomb(),
        refused=(f"than the cap of {DEFAULT_MAX_BODY_BYTES:,} bytes",),
        alone=(f"than the cap of {DEFAULT_MAX_BODY_BYTES:,} bytes",),
    ),
    Case(
        "prices-far-away",
        "whole price days far from the day asked for",
        PRICES,
        _text(lambda d: real_prices(d + timedelta(days=400))),
        refused=("outside the interval asked for", "(whole delivery days:"),
        alone=None,
    ),
)
IDS = [case.name for case in CASES]

# Each case has a day of its own, with a neighbour on either side already fetched.
HOSTILE_DAYS = {case.name: FIRST_DAY + timedelta(days=2 + 2 * n) for n, case in enumerate(CASES)}
TRIMMED_DAY = FIRST_DAY + timedelta(days=2 + 2 * len(CASES))
LAST_DAY = TRIMMED_DAY + timedelta(days=2)
GAPS = (*HOSTILE_DAYS.values(), TRIMMED_DAY)


# -- the emulator's crafted answers and the database -----------------------------------------


def _answers_url(emulator: Emulator) -> str:
    return emulator.url.removesuffix("/api") + "/_emulator/answers"


def craft(emulator: Emulator, dataset: str, day: date, body: bytes, *, times: int) -> None:
    """Have the emulator answer the next ``times`` requests for NL ``dataset`` on ``day``
    with ``body``."""
    match = {"periodStart": day.strftime("%Y%m%d0000"), "times": str(times)}
    if dataset == LOAD:
        match.update(documentType="A65", processType="A16", outBiddingZone_Domain=NL)
    else:
        match.update(documentType="A44", in_Domain=NL)
    answer = httpx.post(_answers_url(emulator), params=match, content=body, timeout=60)
    assert answer.status_code == 204, answer.text


def forget(emulator: Emulator) -> None:
    httpx.delete(_answers_url(emulator), timeout=10).raise_for_status()


def crafted_served(emulator: Emulator) -> int:
    served: int = emulator.stats()["faults"].get("crafted", 0)
    return served


def data(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the data tables: series, observations (with their series) and coverage."""
    return {
        "series": query(url, "SELECT * FROM series ORDER BY id"),
        "observations": query(
            url,
            "SELECT s.dataset, s.area, s.document_type, s.process_type, s.business_type, "
            "s.psr_type, s.in_domain, s.out_domain, s.classification_position, s.resolution, "
            "o.ts, o.value, o.unit, o.curve_type, o.revision, o.created_at, o.ingested_at "
            "FROM observations o JOIN series s ON s.id = o.series_id "
            "ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11",
        ),
        "coverage": query(
            url,
            "SELECT dataset, area, interval_start, interval_end, outcome, fetched_at "
            "FROM coverage ORDER BY 1, 2, 3, 4, 5, 6",
        ),
    }


@attrs.frozen
class Store:
    """A database holding the neighbours of every hostile day, and the CLI on it."""

    cli: Cli
    url: str
    emulator: Emulator
    folder: Path


@pytest.fixture(scope="module")
def hostile_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    folder = tmp_path_factory.mktemp("hostile-emulator")
    # A budget no test reaches: two databases' clients each keep to 400 a minute.
    with running_emulator(folder, "--now", "2026-01-01", "--rate-limit", "100000", seed=11) as em:
        yield em


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    hostile_emulator: Emulator,
) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp(f"hostile-{request.param}")
    (folder / "secret.txt").write_text(SECRET)
    databases = PostgresDatabases(postgres_admin_url()) if request.param == "postgresql" else None
    url = (
        databases.create(migrated=True)
        if databases is not None
        else f"sqlite+aiosqlite:///{folder / 'entsoe.sqlite3'}"
    )
    cli = Cli(
        folder,
        {
            **base_environment(),
            "ENTSOE_DATABASE_URL": url,
            **hostile_emulator.env(),
            "ENTSOE_RATE_LIMIT_PER_MINUTE": "400",
            "ENTSOE_RATE_LIMIT_BURST": "50",
            "ENTSOE_RETRY_ATTEMPTS": "2",
            "ENTSOE_RETRY_BASE_SECONDS": "0.01",
        },
    )
    try:
        # The emulator refuses the hostile days at first, so they stay gaps between neighbours
        # fetched from it.
        held_back = acknowledgement("Held back for a later request", code="999")
        for day in GAPS:
            for dataset in (LOAD, PRICES):
                craft(hostile_emulator, dataset, day, held_back, times=1)
        result = cli(
            "backfill",
            "--area",
            "NL",
            "--dataset",
            f"{LOAD},{PRICES}",
            "--start",
            FIRST_DAY.isoformat(),
            "--end",
            LAST_DAY.isoformat(),
            "--span",
            "day",
        )
        assert result.code == 1, result.explain()
        assert f"{2 * len(GAPS)} failed" in result.stdout, result.explain()
        forget(hostile_emulator)
        yield Store(cli, url, hostile_emulator, folder)
    finally:
        if databases is not None:
            databases.drop_all()


def backfill_day(store: Store, dataset: str, day: date) -> Result:
    return store.cli(
        "backfill",
        "--area",
        "NL",
        "--dataset",
        dataset,
        "--start",
        day.isoformat(),
        "--end",
        (day + timedelta(days=1)).isoformat(),
        "--span",
        "day",
    )


def published_around(store: Store, dataset: str, day: date) -> list[dict[str, Any]]:
    """What the emulator publishes for the days before and after ``day``."""
    before = store.emulator.rows(dataset, "NL", day_start(day - timedelta(days=1)), day_start(day))
    after = store.emulator.rows(
        dataset, "NL", day_start(day + timedelta(days=1)), day_start(day + timedelta(days=2))
    )
    return sorted_rows(before + after)


def stored_around(store: Store, dataset: str, day: date) -> list[dict[str, Any]]:
    return exported(
        store.cli,
        dataset,
        "NL",
        day_start(day - timedelta(days=1)),
        day_start(day + timedelta(days=2)),
    )


def holds_one(text: str, fragments: tuple[str, ...]) -> bool:
    return any(fragment in text for fragment in fragments)


# -- the cases -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_backfill_fails_the_chunk_writes_nothing_and_keeps_the_neighbours(
    store: Store, case: Case
) -> None:
    day = HOSTILE_DAYS[case.name]
    before = data(store.url)
    served = crafted_served(store.emulator)
    craft(store.emulator, case.dataset, day, case.craft(day, store.folder), times=5)
    try:
        result = backfill_day(store, case.dataset, day)
    finally:
        forget(store.emulator)

    assert crafted_served(store.emulator) > served
    assert result.code == 1, result.explain()
    assert "Traceback" not in result.stderr, result.explain()
    assert "chunks 0/1 done, 1 failed" in result.stdout, result.explain()
    (error,) = [line for line in result.stdout.splitlines() if "last error: " in line]
    assert holds_one(error, case.refused), f"{case.what}: {result.explain()}"
    assert SECRET not in result.stdout + result.stderr
    assert data(store.url) == before
    assert stored_around(store, case.dataset, day) == published_around(store, case.dataset, day)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_parse_says_what_is_wrong_with_exit_2(case: Case, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text(SECRET)
    path = tmp_path / "answer.xml"
    path.write_bytes(case.craft(HOSTILE_DAYS[case.name], tmp_path))

    result = Cli(tmp_path, base_environment())("parse", str(path))

    if case.alone is None:
        assert jsonl(result.ok().stdout)
        return
    assert result.code == 2, result.explain()
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"entsoe parse: {path}"), line
    assert holds_one(line, case.alone), f"{case.what}: {line}"
    assert SECRET not in result.stderr


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_import_refuses_the_whole_file_with_exit_2(store: Store, case: Case) -> None:
    day = HOSTILE_DAYS[case.name]
    path = store.folder / f"answer-{day.isoformat()}.xml"
    path.write_bytes(case.craft(day, store.folder))
    before = data(store.url)

    result = store.cli("import", str(path))

    if case.alone is None:
        # Sound in itself: filed under its own dataset, area and dates, which are not those the
        # backfill asked for.
        assert "points read" in result.ok().stdout
        assert data(store.url) != before
        assert stored_around(store, case.dataset, day) == published_around(store, case.dataset, day)
        return
    assert result.code == 2, result.explain()
    assert "Traceback" not in result.stderr, result.explain()
    (line,) = result.stderr.splitlines()
    # The file is named once, where the message starts (the parser's own place follows it).
    assert line.startswith(f"entsoe: {path}"), line
    assert line.count(str(path)) == 1, line
    assert line.endswith("; nothing was imported"), line
    assert holds_one(line, case.alone), line
    assert SECRET not in result.stdout + result.stderr
    assert data(store.url) == before


def test_whole_price_days_are_kept_only_inside_the_day_asked_for(store: Store) -> None:
    day = TRIMMED_DAY
    answer = real_prices(day).encode()
    craft(store.emulator, PRICES, day, answer, times=5)
    try:
        result = backfill_day(store, PRICES, day).ok()
    finally:
        forget(store.emulator)

    assert "chunks 1/1 done" in result.stdout
    path = store.folder / "prices.xml"
    path.write_bytes(answer)
    parsed = jsonl(store.cli("parse", str(path)).ok().stdout)
    # The delivery day runs from 23:00Z the day before: its first hour is the neighbour's.
    inside = [row for row in parsed if row["timestamp"].startswith(day.isoformat())]
    assert len(parsed) == 24
    assert len(inside) == 23
    stored = stored_around(store, PRICES, day)
    assert stored == sorted_rows(published_around(store, PRICES, day) + inside)


def test_import_writes_nothing_of_a_run_that_holds_one_bad_file(store: Store) -> None:
    day = HOSTILE_DAYS["nan"]
    good, bad = store.folder / "good.xml", store.folder / "bad.xml"
    good.write_text(real_load(day))
    bad.write_text(first_quantity(real_load(day), "NaN"))
    before = data(store.url)

    result = store.cli("import", str(good), str(bad))

    assert result.code == 2, result.explain()
    assert result.stderr.startswith(f"entsoe: {bad}"), result.explain()
    assert "'NaN'; a value must be a finite number; nothing was imported" in result.stderr
    assert data(store.url) == before
