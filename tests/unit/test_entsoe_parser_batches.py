"""How the parser reads Points: a Period's plain Points together, anything else Point by Point.

A Period whose Points each hold a position and then a value is read in two XPath walks; any
other shape is read Point by Point, which names what is wrong. Both must give the same series.
A Period longer than a bound is read in batches while it is still being parsed, whatever
the byte where a block of the body ends. A Point that stands outside a Period's points is a
fault: it would otherwise be read by nothing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.entsoe_xml import Acknowledgement, parse_document
from adapters.entsoe_xml import parser as parser_module
from entsoe_core.errors import DocumentFault
from entsoe_core.observations import Point, Series
from tests.unit.entsoe_documents import DocumentSpec, PeriodSpec, SeriesSpec, render
from tests.unit.test_entsoe_parser_properties import documents

Case = tuple[DocumentSpec, list[tuple[str, str, list[Point]]]]
# A Period of minutes this long spans over twice the bound (about 10 MB).
LONG_DAYS = 100


def series_of(body: bytes) -> tuple[Series, ...]:
    parsed = parse_document(body, label="answer.xml")
    assert not isinstance(parsed, Acknowledgement)
    return parsed


def as_expected(parsed: tuple[Series, ...]) -> list[tuple[str, str, list[Point]]]:
    return [(s.key.resolution, s.curve_type, list(s.points)) for s in parsed]


def value_first(body: bytes, every: int) -> bytes:
    """The first Point and every ``every``-th after it with its value before its position
    (still a valid Point)."""
    count = 0

    def swap(match: re.Match[bytes]) -> bytes:
        nonlocal count
        count += 1
        if (count - 1) % every:
            return match.group(0)
        return b"<Point>" + match.group(2) + match.group(1) + b"</Point>"

    return re.sub(
        rb"<Point>(<position>[^<]*</position>)(<[^/][^>]*>[^<]*</[^>]*>)</Point>", swap, body
    )


@given(documents(), st.integers(1, 5))
def test_points_read_one_by_one_give_what_plain_points_give(case: Case, every: int) -> None:
    spec, expected = case
    plain = render(spec)
    swapped = value_first(plain, every)
    assert swapped != plain
    assert as_expected(series_of(swapped)) == expected == as_expected(series_of(plain))


@settings(max_examples=60, deadline=None)
@given(documents(), st.integers(1, 400), st.integers(0, 3000))
def test_a_period_read_in_batches_gives_every_point_once(
    case: Case, block: int, open_bytes: int
) -> None:
    spec, expected = case
    with pytest.MonkeyPatch.context() as patch:
        # Blocks of a few bytes end inside tags, texts and Points; the Period is read (and
        # its finished Points let go) whenever it spans more than open_bytes.
        patch.setattr(parser_module, "_FEED_BLOCK", block)
        patch.setattr(parser_module, "_OPEN_PERIOD_BYTES", open_bytes)
        assert as_expected(series_of(render(spec))) == expected


def long_period(days: int, curve: str = "A01") -> tuple[DocumentSpec, int]:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    steps = days * 24 * 60
    points = [(position, float(position % 997)) for position in range(1, steps + 1)]
    period = PeriodSpec(start, start + timedelta(days=days), "PT1M", points)
    return DocumentSpec([SeriesSpec([period], curve_type=curve)]), steps


def test_a_period_longer_than_the_bound_is_read_whole_and_in_order() -> None:
    spec, steps = long_period(LONG_DAYS)
    body = render(spec)
    assert len(body) > 2 * parser_module._OPEN_PERIOD_BYTES
    ((series),) = series_of(body)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    assert len(series.points) == steps
    assert series.points[0] == Point(start, 1.0)
    assert series.points[-1] == Point(start + timedelta(minutes=steps - 1), float(steps % 997))
    assert all(
        later.timestamp - earlier.timestamp == timedelta(minutes=1)
        for earlier, later in zip(series.points, series.points[1:], strict=False)
    )


def test_a_fault_in_a_later_batch_names_its_line() -> None:
    spec, steps = long_period(LONG_DAYS)
    body = render(spec)
    position = steps - 10
    old = f"<position>{position}</position><quantity>"
    assert body.count(old.encode()) == 1
    line = body[: body.index(old.encode())].count(b"\n") + 1
    broken = body.replace(old.encode(), f"<position>{position}</position><quantity>x".encode())
    with pytest.raises(DocumentFault) as caught:
        series_of(broken)
    assert f"a Point (line {line}) has quantity '" in str(caught.value)
    assert "not a number" in str(caught.value)


def test_a_position_repeated_across_batches_is_a_fault() -> None:
    spec, steps = long_period(LONG_DAYS)
    body = render(spec)
    # The last Point says position 1 again, megabytes after the first.
    last = f"<position>{steps}</position>".encode()
    assert body.count(last) == 1
    with pytest.raises(DocumentFault, match="Point position 1 appears twice in one Period"):
        series_of(body.replace(last, b"<position>1</position>"))


def test_points_in_another_namespace_are_read_point_by_point() -> None:
    spec, expected = (
        DocumentSpec(
            [
                SeriesSpec(
                    [
                        PeriodSpec(
                            datetime(2024, 1, 1, tzinfo=UTC),
                            datetime(2024, 1, 2, tzinfo=UTC),
                            "PT60M",
                            [(1, 5.0), (3, 7.0)],
                        )
                    ],
                    curve_type="A03",
                )
            ]
        ),
        [5.0, 5.0, 7.0] + [7.0] * 21,
    )
    body = render(spec).replace(
        b"<Point><position>3</position><quantity>7.0</quantity></Point>",
        b'<o:Point xmlns:o="urn:other"><o:position>3</o:position><o:quantity>7.0</o:quantity>'
        b"</o:Point>",
    )
    ((series),) = series_of(body)
    assert [point.value for point in series.points] == expected


@pytest.mark.parametrize(
    ("where", "old", "new"),
    [
        (
            "in the interval",
            "</end></timeInterval>",
            "</end><Point><position>1</position><quantity>1</quantity></Point></timeInterval>",
        ),
        (
            "in the TimeSeries",
            "<Period>",
            "<Point><position>1</position><quantity>1</quantity></Point><Period>",
        ),
        (
            "in the document",
            "</GL_MarketDocument>",
            "<Point><position>1</position><quantity>1</quantity></Point></GL_MarketDocument>",
        ),
        (
            "in a further element of the Period",
            "<Point>",
            "<Reserve><Point><position>1</position><quantity>1</quantity></Point></Reserve><Point>",
        ),
    ],
)
def test_a_point_outside_the_points_of_a_period_is_a_fault(where: str, old: str, new: str) -> None:
    spec = DocumentSpec(
        [
            SeriesSpec(
                [
                    PeriodSpec(
                        datetime(2024, 1, 1, tzinfo=UTC),
                        datetime(2024, 1, 2, tzinfo=UTC),
                        "PT60M",
                        [(2, 5.0)],
                    )
                ]
            )
        ]
    )
    body = render(spec)
    assert body.count(old.encode()) == 1, where
    moved = body.replace(old.encode(), new.encode())
    with pytest.raises(DocumentFault, match=r"answer.xml: a Point \(line \d+\) stands outside"):
        series_of(moved)


def test_a_long_period_repeating_its_points_is_refused_before_it_closes() -> None:
    spec, steps = long_period(LONG_DAYS)
    body = render(spec)
    points = body[body.index(b"<Point>") : body.rindex(b"</Point>") + len(b"</Point>")]
    # The same points again and again, many times what the Period holds.
    repeated = body.replace(points, b"\n".join([points] * 6))
    seen: list[int] = []
    original = parser_module._DocumentReader._ordered

    def ordered(
        reader: parser_module._DocumentReader, positions: list[int], values: list[float]
    ) -> tuple[list[int], list[float]]:
        seen.append(len(positions))
        return original(reader, positions, values)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parser_module._DocumentReader, "_ordered", ordered)
        with pytest.raises(DocumentFault, match="Point position 1 appears twice in one Period"):
            series_of(repeated)
    # Refused with at most one batch of Points past what the Period holds.
    assert seen
    assert seen[-1] < steps * 2
