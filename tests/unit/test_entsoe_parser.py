"""The ENTSO-E parser against the recorded real documents and hand-made edge cases."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from lxml import etree

from adapters.entsoe_xml import (
    Acknowledgement,
    BodyTooLarge,
    MalformedDocument,
    UnsafeDocument,
    UnsupportedDocument,
    iter_parsed,
    parse_document,
)
from adapters.entsoe_xml.safe_xml import SAFE_OPTIONS
from entrypoints.wire import iter_rows
from entsoe_core.errors import DocumentFault, PermanentSourceError, TransientSourceError
from entsoe_core.observations import Point, Series
from entsoe_core.resolution import Resolution
from entsoe_core.timeline import utc
from tests.unit.entsoe_documents import (
    FIXTURES,
    PUBLICATION_NAMESPACE,
    DocumentSpec,
    PeriodSpec,
    SeriesSpec,
    acknowledgement,
    fixture_documents,
    render,
    zipped,
)

NL = "10YNL----------L"
DOCUMENTS = fixture_documents()


def series_of(source: bytes | Path) -> tuple[Series, ...]:
    parsed = parse_document(source)
    assert not isinstance(parsed, Acknowledgement), parsed
    return parsed


def one_series(
    spec: SeriesSpec, revision: int = 1, created: str = "2024-09-02T10:00:00Z"
) -> Series:
    (series,) = series_of(render(DocumentSpec([spec], revision=revision, created=created)))
    return series


def test_every_recorded_document_is_here() -> None:
    expected = sorted((FIXTURES / "expected").glob("*.jsonl"))
    assert len(DOCUMENTS) >= 19
    assert [p.stem for p in DOCUMENTS] == [p.stem for p in expected]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.stem)
def test_a_recorded_document_parses_to_its_expected_points(document: Path) -> None:
    expected_lines = (FIXTURES / "expected" / f"{document.stem}.jsonl").read_text()
    expected = [json.loads(line) for line in expected_lines.splitlines()]
    parsed = parse_document(document)

    if isinstance(parsed, Acknowledgement):
        assert expected == []
        return
    rows = list(iter_rows(parsed))
    assert len(rows) == len(expected)
    for number, (row, wanted) in enumerate(zip(rows, expected, strict=True)):
        assert row == wanted, f"point {number}"
    assert "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows) == expected_lines


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.stem)
def test_no_two_series_of_a_recorded_document_share_a_key_and_instant(document: Path) -> None:
    parsed = parse_document(document)
    if isinstance(parsed, Acknowledgement):
        return
    slots = [(s.key, p.timestamp) for s in parsed for p in s.points]
    assert len(slots) == len(set(slots))


def test_generation_and_consumption_of_one_psr_type_are_different_series() -> None:
    parsed = series_of(FIXTURES / "generation_161bc_actual_per_psr_NL.xml")
    solar = [s.key for s in parsed if s.key.psr_type == "B16"]
    assert {(k.in_domain, k.out_domain) for k in solar} == {(NL, ""), ("", NL)}


def test_prices_at_two_resolutions_are_different_series() -> None:
    parsed = series_of(FIXTURES / "ES_day_ahead_price.xml")
    assert {s.key.resolution for s in parsed} == {"PT15M", "PT60M"}
    assert {s.unit for s in parsed} == {"EUR/MWH"}


def test_document_fields_reach_every_series() -> None:
    parsed = series_of(FIXTURES / "generation_161bc_actual_per_psr_NL.xml")
    assert len(parsed) == 20
    first = parsed[0]
    assert (first.key.document_type, first.key.process_type) == ("A75", "A16")
    assert first.unit == "MAW"
    assert first.curve_type == "A03"
    assert first.revision == 1
    assert first.created_at is not None
    assert first.created_at.utcoffset() == timedelta(0)


def test_revision_and_created_time_are_read() -> None:
    spec = SeriesSpec([PeriodSpec(utc(2024, 1, 1), utc(2024, 1, 1, 1), "PT60M", [(1, 5.0)])])
    series = one_series(spec, revision=3, created="2024-01-02T03:04:05Z")
    assert series.revision == 3
    assert series.created_at == utc(2024, 1, 2, 3, 4) + timedelta(seconds=5)


def test_an_acknowledgement_is_returned_typed() -> None:
    parsed = parse_document(FIXTURES / "load61_d_month_ahead_total_load_forecast.xml")
    assert isinstance(parsed, Acknowledgement)
    assert parsed.reason_code == "999"
    assert parsed.no_data
    assert parsed.text.startswith("No matching data found for Data item TOTAL_LOAD_FORECAST")

    refused = parse_document(acknowledgement("The amount of requested data exceeds the limit"))
    assert isinstance(refused, Acknowledgement)
    assert not refused.no_data


@pytest.mark.parametrize(
    "namespace",
    [
        "urn:iec62325.351:tc57wg16:451-3:publicationdocument:7:0",
        PUBLICATION_NAMESPACE,
        "urn:iec62325.351:tc57wg16:451-3:publicationdocument:9:9",
    ],
)
def test_elements_match_by_local_name_whatever_the_namespace(namespace: str) -> None:
    original = (FIXTURES / "market_121d_day_ahead_prices_NL.xml").read_bytes()
    rewritten = original.replace(PUBLICATION_NAMESPACE.encode(), namespace.encode())
    assert namespace == PUBLICATION_NAMESPACE or rewritten != original
    assert series_of(rewritten) == series_of(original)


def test_a_zip_of_several_documents_gives_the_series_of_all() -> None:
    load = (FIXTURES / "load_61a_actual_total_load_NL.xml").read_bytes()
    flows = (FIXTURES / "transmission_121g_cross_border_NL_DE.xml").read_bytes()
    parsed = series_of(zipped([("a.xml", load), ("b.xml", flows)]))
    assert [s.key.document_type for s in parsed] == ["A65", "A11"]
    assert parsed == series_of(load) + series_of(flows)


def test_a_zip_of_acknowledgements_is_an_acknowledgement() -> None:
    parsed = parse_document(zipped([("ack.xml", acknowledgement("No matching data found"))]))
    assert isinstance(parsed, Acknowledgement)
    assert parsed.no_data


def test_a_zip_member_over_the_cap_is_refused() -> None:
    load = (FIXTURES / "load_61a_actual_total_load_NL.xml").read_bytes()
    with pytest.raises(BodyTooLarge, match="cap of 1,000 bytes"):
        parse_document(zipped([("a.xml", load)]), max_member_bytes=1000)


def test_a_damaged_zip_is_malformed() -> None:
    archive = zipped([("a.xml", (FIXTURES / "FR_prices.xml").read_bytes())])
    with pytest.raises(MalformedDocument):
        parse_document(archive[: len(archive) // 2])


def test_a03_repeats_a_value_until_the_next_position_and_the_period_end() -> None:
    start = utc(2024, 1, 1)
    spec = SeriesSpec(
        [PeriodSpec(start, start + timedelta(hours=2), "PT15M", [(1, 10.0), (3, 30.0), (6, 60.0)])]
    )
    series = one_series(spec)
    assert [p.value for p in series.points] == [10.0, 10.0, 30.0, 30.0, 30.0, 60.0, 60.0, 60.0]
    assert [p.timestamp for p in series.points] == [
        start + timedelta(minutes=15 * i) for i in range(8)
    ]


def test_a01_gives_the_positions_present_and_no_more() -> None:
    start = utc(2024, 1, 1)
    spec = SeriesSpec(
        [PeriodSpec(start, start + timedelta(hours=4), "PT60M", [(1, 1.0), (2, 2.0), (4, 4.0)])],
        curve_type="A01",
    )
    assert one_series(spec).points == (
        Point(start, 1.0),
        Point(start + timedelta(hours=1), 2.0),
        Point(start + timedelta(hours=3), 4.0),
    )


def test_months_and_years_step_by_the_calendar() -> None:
    start = utc(2022, 12, 31, 23)
    months = one_series(SeriesSpec([PeriodSpec(start, utc(2023, 4, 30, 23), "P1M", [(1, 1.0)])]))
    assert [p.timestamp for p in months.points] == [
        utc(2022, 12, 31, 23),
        utc(2023, 1, 31, 23),
        utc(2023, 2, 28, 23),
        utc(2023, 3, 31, 23),
    ]
    years = one_series(
        SeriesSpec([PeriodSpec(start, utc(2024, 12, 31, 23), "P1Y", [(1, 7.0), (2, 8.0)])])
    )
    assert years.points == (Point(start, 7.0), Point(utc(2023, 12, 31, 23), 8.0))


def test_a_week_across_a_dst_change_is_still_one_step() -> None:
    # The local week of the spring change is 167 hours long in UTC.
    start = utc(2024, 3, 24, 23)
    spec = SeriesSpec([PeriodSpec(start, utc(2024, 3, 31, 22), "P7D", [(1, 3.5)])])
    assert one_series(spec).points == (Point(start, 3.5),)


def test_periods_of_mixed_resolutions_in_one_series() -> None:
    start = utc(2025, 9, 30, 22)
    middle = start + timedelta(days=1)
    spec = SeriesSpec(
        [
            PeriodSpec(start, middle, "PT60M", [(1, 1.0)]),
            PeriodSpec(middle, middle + timedelta(hours=1), "PT15M", [(1, 2.0), (2, 3.0)]),
        ]
    )
    first, second = series_of(render(DocumentSpec([spec])))
    assert (first.key.resolution, len(first.points)) == ("PT60M", 24)
    assert (second.key.resolution, [p.value for p in second.points]) == (
        "PT15M",
        [2.0, 3.0, 3.0, 3.0],
    )


def test_classification_positions_are_different_series() -> None:
    period = PeriodSpec(utc(2024, 1, 1), utc(2024, 1, 1, 1), "PT60M", [(1, 1.0)])
    spec = DocumentSpec(
        [
            SeriesSpec(
                [period],
                business_type="A62",
                in_domain=NL,
                out_domain=NL,
                unit="EUR/MWH",
                classification_position=position,
            )
            for position in ("1", "2")
        ],
        root="Publication_MarketDocument",
        namespace=PUBLICATION_NAMESPACE,
        document_type="A44",
        process_type="",
    )
    first, second = series_of(render(spec))
    assert (first.key.classification_position, second.key.classification_position) == ("1", "2")
    assert first.key != second.key
    assert first.unit == "EUR/MWH"


def test_series_are_yielded_while_the_document_is_still_being_read() -> None:
    good = (FIXTURES / "generation_161bc_actual_per_psr_NL.xml").read_bytes()
    cut = good[: len(good) * 3 // 4]
    stream = iter_parsed(cut)
    first = next(stream)
    assert isinstance(first, Series)
    with pytest.raises(MalformedDocument):
        list(stream)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"not xml at all",
        (FIXTURES / "FR_prices.xml").read_bytes()[:3000],
    ],
    ids=["empty", "blank", "text", "truncated"],
)
def test_bodies_that_are_not_whole_xml_are_transient_errors(body: bytes) -> None:
    with pytest.raises(MalformedDocument) as caught:
        parse_document(body)
    assert isinstance(caught.value, TransientSourceError)


def test_a_document_of_another_kind_is_permanent_and_names_its_root() -> None:
    with pytest.raises(UnsupportedDocument, match="<html>"):
        parse_document(FIXTURES / "html_bad_request.html")
    other = render(DocumentSpec(root="Unavailability_MarketDocument"))
    with pytest.raises(PermanentSourceError, match="<Unavailability_MarketDocument>"):
        parse_document(other)


def test_an_unknown_curve_type_is_refused() -> None:
    spec = SeriesSpec(
        [PeriodSpec(utc(2024, 1, 1), utc(2024, 1, 2), "PT60M", [(1, 1.0)])], curve_type="A02"
    )
    with pytest.raises(UnsupportedDocument, match="'A02'"):
        parse_document(render(DocumentSpec([spec])))


@pytest.mark.parametrize(
    ("points", "resolution", "message"),
    [
        ([(1, 1.0), (1, 2.0)], "PT60M", "position 1 appears twice"),
        ([(0, 1.0)], "PT60M", "position >= 1"),
        ([(1, 1.0)], "every hour", "not an ISO 8601 duration"),
        ([(1, 1.0)], "PT0M", "not zero"),
        ([(1, 1.0)], "P1MT1H", "either whole months"),
    ],
)
def test_impossible_points_and_resolutions_are_document_faults(
    points: list[tuple[int, float]], resolution: str, message: str
) -> None:
    spec = SeriesSpec([PeriodSpec(utc(2024, 1, 1), utc(2024, 1, 2), resolution, points)])
    with pytest.raises(DocumentFault, match=message) as caught:
        parse_document(render(DocumentSpec([spec])))
    assert not isinstance(caught.value, TransientSourceError)


def test_a_value_that_is_not_a_number_is_a_document_fault() -> None:
    body = render(
        DocumentSpec(
            [SeriesSpec([PeriodSpec(utc(2024, 1, 1), utc(2024, 1, 2), "PT60M", [(1, 1.0)])])]
        )
    ).replace(b"<quantity>1.0</quantity>", b"<quantity>n/a</quantity>")
    with pytest.raises(DocumentFault, match="'n/a'"):
        parse_document(body)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE GL_MarketDocument [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<GL_MarketDocument><type>&lol9;</type></GL_MarketDocument>
"""


def xxe(target: Path) -> bytes:
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE GL_MarketDocument [<!ENTITY secret SYSTEM "file://{target}">]>\n'
        "<GL_MarketDocument><type>&secret;</type></GL_MarketDocument>\n"
    ).encode()


def test_an_entity_bomb_is_refused_unexpanded() -> None:
    with pytest.raises(UnsafeDocument, match="declares a DTD") as caught:
        parse_document(BILLION_LAUGHS)
    assert isinstance(caught.value, PermanentSourceError)
    assert "lollol" not in str(caught.value)


def test_an_external_entity_is_refused_unread(tmp_path: Path) -> None:
    target = tmp_path / "secret.txt"
    target.write_text("XXE-SECRET-CONTENT")
    with pytest.raises(UnsafeDocument) as caught:
        parse_document(xxe(target))
    assert "XXE-SECRET-CONTENT" not in str(caught.value)
    path = tmp_path / "doc.xml"
    path.write_bytes(xxe(target))
    with pytest.raises(UnsafeDocument):
        parse_document(path)


@pytest.mark.parametrize("kind", ["bomb", "external"])
def test_the_parser_options_expand_nothing_even_past_the_dtd_check(
    kind: str, tmp_path: Path
) -> None:
    target = tmp_path / "secret.txt"
    target.write_text("XXE-SECRET-CONTENT")
    body = BILLION_LAUGHS if kind == "bomb" else xxe(target)
    texts: list[str] = []
    stopped = ""
    try:
        for _, element in etree.iterparse(io.BytesIO(body), events=("end",), **SAFE_OPTIONS):
            texts.append("".join(element.itertext()))
    except etree.XMLSyntaxError as error:
        stopped = str(error)
    # libxml2's amplification guard may stop the bomb outright: that expands nothing either.
    assert not stopped or "amplification" in stopped
    assert not any("lol" in t or "XXE-SECRET" in t for t in texts)


@pytest.mark.parametrize(
    ("code", "months", "step"),
    [
        ("PT15M", 0, timedelta(minutes=15)),
        ("PT30M", 0, timedelta(minutes=30)),
        ("PT60M", 0, timedelta(hours=1)),
        ("P1D", 0, timedelta(days=1)),
        ("P7D", 0, timedelta(days=7)),
        ("P1M", 1, timedelta(0)),
        ("P1Y", 12, timedelta(0)),
    ],
)
def test_resolutions_of_the_api(code: str, months: int, step: timedelta) -> None:
    resolution = Resolution.parse(code)
    assert (resolution.months, resolution.step) == (months, step)


def test_steps_count_whole_calendar_months_and_nearest_fixed_steps() -> None:
    # From the 31st, months end on the last day of shorter months.
    assert Resolution.parse("P1M").steps(utc(2023, 1, 31), utc(2023, 4, 29)) == 2
    assert Resolution.parse("P1M").steps(utc(2023, 1, 31), utc(2023, 4, 30)) == 3
    assert Resolution.parse("P1Y").steps(utc(2022, 12, 31, 23), utc(2023, 12, 31, 23)) == 1
    assert Resolution.parse("P1D").steps(utc(2024, 10, 26, 22), utc(2024, 10, 27, 23)) == 1
    assert Resolution.parse("PT15M").steps(utc(2024, 1, 1), utc(2024, 1, 2)) == 96


def test_steps_give_days_and_longer_an_hour_of_daylight_saving_slack_and_shorter_none() -> None:
    # The local day and week of the spring change are an hour short in UTC, and still whole.
    assert Resolution.parse("P1D").steps(utc(2024, 3, 30, 23), utc(2024, 3, 31, 22)) == 1
    assert Resolution.parse("P7D").steps(utc(2024, 3, 24, 23), utc(2024, 3, 31, 22)) == 1
    assert Resolution.parse("P1M").steps(utc(2023, 1, 31, 23), utc(2023, 3, 31, 22)) == 2
    # Two hours short is not a day; an hour step cut short is not an hour.
    assert Resolution.parse("P1D").steps(utc(2024, 3, 30, 23), utc(2024, 3, 31, 21)) == 0
    assert Resolution.parse("PT60M").steps(utc(2024, 1, 1), utc(2024, 1, 1, 23, 30)) == 23
    assert Resolution.parse("PT15M").steps(utc(2024, 1, 1), utc(2024, 1, 1, 0, 14)) == 0
