"""``entsoe parse`` run as a real subprocess, the way a user runs it."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from entrypoints.wire import SPARSE_FIELDS
from tests.unit.entsoe_documents import FIXTURES, fixture_documents, zipped

ENTSOE = Path(sys.executable).parent / "entsoe"

pytestmark = pytest.mark.slow


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    assert ENTSOE.is_file(), f"the console script {ENTSOE} is missing; pip install -e ."
    return subprocess.run(
        [str(ENTSOE), "parse", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def expected_text(document: Path) -> str:
    return (FIXTURES / "expected" / f"{document.stem}.jsonl").read_text()


def test_jsonl_output_is_byte_for_byte_the_expected_files() -> None:
    documents = fixture_documents()
    result = run("--format", "jsonl", *documents)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "".join(expected_text(d) for d in documents)
    acknowledged = [line for line in result.stderr.splitlines() if "acknowledgement" in line]
    assert len(acknowledged) == 2
    assert all("No matching data found" in line for line in acknowledged)


def test_csv_output_has_a_header_and_the_same_values() -> None:
    document = FIXTURES / "ES_day_ahead_price.xml"
    result = run("--format", "csv", document)

    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    expected = [json.loads(line) for line in expected_text(document).splitlines()]
    assert len(rows) == len(expected)
    for row, wanted in zip(rows, expected, strict=True):
        assert float(row.pop("value")) == wanted.pop("value")
        # A day-ahead price has neither price category nor flow direction: its JSON row leaves
        # them out, its CSV row has them empty.
        assert {field: row.pop(field) for field in sorted(SPARSE_FIELDS)} == dict.fromkeys(
            sorted(SPARSE_FIELDS), ""
        )
        assert row == wanted


def test_an_acknowledgement_prints_nothing_and_says_what_it_said() -> None:
    result = run(FIXTURES / "ack_invalid_request.xml")
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr.strip().endswith("(reason 999): No matching data found")


def test_a_zip_of_documents_is_read(tmp_path: Path) -> None:
    names = ["FR_prices.xml", "load81_year_ahead_forecast_margin.xml"]
    archive = tmp_path / "answer.zip"
    archive.write_bytes(zipped([(n, (FIXTURES / n).read_bytes()) for n in names]))
    result = run(archive)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "".join(expected_text(FIXTURES / n) for n in names)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read it"),
        ((FIXTURES / "html_bad_request.html").read_bytes(), "root element is <html>"),
        ((FIXTURES / "FR_prices.xml").read_bytes()[:1500], "not well-formed XML"),
        (b"", "is empty"),
        (
            b'<?xml version="1.0"?><!DOCTYPE GL_MarketDocument [<!ENTITY x SYSTEM '
            b'"file:///etc/passwd">]><GL_MarketDocument><type>&x;</type></GL_MarketDocument>',
            "declares a DTD",
        ),
    ],
    ids=["missing", "html", "truncated", "empty", "xxe"],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "input.xml"
    if content is not None:
        path.write_bytes(content)
    result = run(path)

    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert str(path) in lines[0]
    assert "Traceback" not in result.stderr
    assert "root:" not in result.stderr


def test_good_files_still_print_when_another_is_bad(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<broken")
    good = FIXTURES / "load81_year_ahead_forecast_margin.xml"
    result = run(bad, good)
    assert result.returncode == 2
    assert result.stdout == expected_text(good)
    assert len(result.stderr.splitlines()) == 1


def piped(document: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``cat DOCUMENT | entsoe parse ARGS``: the document reaches parse through a real pipe."""
    return subprocess.run(
        [
            "sh",
            "-c",
            'doc="$1" exe="$2"; shift 2; cat "$doc" | "$exe" parse "$@"',
            "sh",
            str(document),
            str(ENTSOE),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("argument", ["-", "/dev/stdin"])
@pytest.mark.parametrize(
    "name", ["generation_161bc_actual_per_psr_NL.xml", "ES_day_ahead_price.xml"]
)
def test_a_document_piped_to_standard_input_is_read(argument: str, name: str) -> None:
    result = piped(FIXTURES / name, argument)
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected_text(FIXTURES / name)


def test_a_zip_piped_to_standard_input_is_read(tmp_path: Path) -> None:
    names = ["FR_prices.xml", "load81_year_ahead_forecast_margin.xml"]
    archive = tmp_path / "answer.zip"
    archive.write_bytes(zipped([(n, (FIXTURES / n).read_bytes()) for n in names]))
    for argument in ("-", "/dev/stdin"):
        result = piped(archive, argument)
        assert result.returncode == 0, result.stderr
        assert result.stdout == "".join(expected_text(FIXTURES / n) for n in names)


def test_standard_input_and_files_mix() -> None:
    good = FIXTURES / "load81_year_ahead_forecast_margin.xml"
    result = piped(FIXTURES / "FR_prices.xml", str(good), "-")
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected_text(good) + expected_text(FIXTURES / "FR_prices.xml")


def test_a_broken_document_on_standard_input_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "cut.xml"
    path.write_bytes((FIXTURES / "FR_prices.xml").read_bytes()[:1500])
    result = piped(path, "-")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("entsoe parse: standard input is not well-formed XML")


def test_a_document_fault_is_one_line_naming_the_point_and_exit_2(tmp_path: Path) -> None:
    text = (FIXTURES / "market_121d_day_ahead_prices_NL.xml").read_text()
    path = tmp_path / "past_end.xml"
    path.write_text(text.replace("<position>24</position>", "<position>30</position>"))
    for result, label in ((run(path), str(path)), (piped(path, "-"), "standard input")):
        assert (result.returncode, result.stdout) == (2, ""), result.stderr
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"entsoe parse: {label}, TimeSeries 1 (mRID 1), Period ")
        assert "Point position 30 (line 123) lies past the Period's end" in line
