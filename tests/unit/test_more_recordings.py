"""The recorded documents of the datasets beyond the first eleven (``fixtures/entsoe/more/``).

Each recording parses to the points written in ``more_expected/NAME.jsonl`` and is filed under
its dataset and area. The expected points were checked by hand against the XML; the values
checked are asserted again below, each with where it stands in the recording.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import attrs
import pytest

from adapters.entsoe_xml import Acknowledgement, parse_document
from entrypoints.wire import iter_rows
from entsoe_core.areas import AREAS
from entsoe_core.datasets import REGION_CODE
from entsoe_core.errors import DocumentFault
from entsoe_core.observations import Series
from entsoe_core.plan import Chunk
from entsoe_core.ports import ChunkData
from entsoe_core.timeline import Interval, utc
from entsoe_core.validation import check_answer, check_series
from tests.unit.entsoe_documents import FIXTURES

MORE = FIXTURES / "more"
EXPECTED = Path(__file__).parent / "more_expected"

# Each recording with expected points, and the (dataset, area) its series are filed under.
FILED = {
    "generation141_a_installed_capacity_per_production_type": (
        "installed_capacity_per_type",
        "BE",
    ),
    "generation161_d_water_reservoirs_and_hydro_storage_plants": ("water_reservoirs", "BG"),
    # The document's out_Domain is DE_LU and its in_Domain FR: power from DE_LU into FR.
    "transmission121_f_commercial_schedules": ("scheduled_exchanges_day_ahead", "DE_LU>FR"),
    "transmission111_a_forecasted_transfer_capacities": (
        "forecast_transfer_capacity_day_ahead",
        "GB>BE",
    ),
    # Contract type A07: the intraday net position; out of BE into its region.
    "market121_e_implicit_auction_net_positions": ("net_positions_intraday", "BE"),
    # A ZIP holding one Balancing_MarketDocument; its area (AT) is named at document level.
    "balancing171_g_imbalance_prices": ("imbalance_prices", "AT"),
    # A ZIP holding one Balancing_MarketDocument; its controlArea_Domain (AT) at document level.
    "balancing171_h_total_imbalance_volumes": ("total_imbalance_volumes", "AT"),
    # Its area_Domain (HU) at document level; A86 with business type B33, by the minute.
    "balancing123_a_current_balancing_state_gl_eb": ("current_balancing_state", "HU"),
    # Its area_Domain (AT) at document level; aFRR (A51) bids, three values in every Point.
    "tut_aggregated_bids_AT_2023": ("aggregated_bids_afrr", "AT"),
}
# Recordings whose document does not name its market time frame: only a request can say it.
UNNAMED_TIME_FRAME = {"transmission111_a_forecasted_transfer_capacities"}


def recording(stem: str) -> Path:
    """The recorded answer: an XML document, or the ZIP the API served it in."""
    (found,) = [path for path in (MORE / f"{stem}.xml", MORE / f"{stem}.zip") if path.is_file()]
    return found


def parsed(stem: str) -> tuple[Series, ...]:
    result = parse_document(recording(stem))
    assert not isinstance(result, Acknowledgement), result
    return result


def test_every_expected_file_has_its_recording_and_its_dataset() -> None:
    stems = sorted(p.stem for p in EXPECTED.glob("*.jsonl"))
    assert stems == sorted(FILED)
    assert all(recording(stem).is_file() for stem in stems)


@pytest.mark.parametrize("stem", sorted(FILED))
def test_a_recording_parses_to_its_expected_points(stem: str) -> None:
    expected_text = (EXPECTED / f"{stem}.jsonl").read_text()
    rows = list(iter_rows(parsed(stem)))
    assert rows
    assert rows == [json.loads(line) for line in expected_text.splitlines()]
    assert "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows) == expected_text


@pytest.mark.parametrize("stem", sorted(FILED))
def test_a_recording_answers_a_request_of_its_dataset_and_area(stem: str) -> None:
    dataset, area = FILED[stem]
    series = parsed(stem)
    periods = [s.period for s in series if s.period is not None]
    asked = Interval(min(p.start for p in periods), max(p.end for p in periods))
    answer = ChunkData(series)
    assert check_answer(Chunk(dataset, AREAS.key(area), asked), answer) == answer


@pytest.mark.parametrize("stem", sorted(set(FILED) - UNNAMED_TIME_FRAME))
def test_a_recording_is_filed_under_its_dataset_and_area(stem: str) -> None:
    dataset, area = FILED[stem]
    filed = check_series(parsed(stem))
    assert {(f.dataset.key, f.area) for f in filed} == {(dataset, AREAS.key(area))}
    slots = [(s.key, p.timestamp) for s in parsed(stem) for p in s.points]
    assert len(slots) == len(set(slots))


def test_installed_capacity_by_hand() -> None:
    # The one TimeSeries: businessType A37, psrType B01 (biomass) in BE, a P1Y Period
    # 2022-12-31T23:00Z/2023-12-31T23:00Z (the local year 2023), position 1 = 730.34 MAW.
    (series,) = parsed("generation141_a_installed_capacity_per_production_type")
    assert (series.key.business_type, series.key.psr_type) == ("A37", "B01")
    assert series.key.in_domain == AREAS.get("BE").code
    assert series.unit == "MAW"
    assert [(p.timestamp.isoformat(), p.value) for p in series.points] == [
        ("2022-12-31T23:00:00+00:00", 730.34)
    ]


def test_water_reservoirs_by_hand() -> None:
    # The one TimeSeries: businessType A01 in BG, a P7D Period 2023-07-09T21:00Z/
    # 2023-07-16T21:00Z (the local week from Monday 10 July), position 1 = 1909687.74 MWH.
    (series,) = parsed("generation161_d_water_reservoirs_and_hydro_storage_plants")
    assert (series.key.business_type, series.key.psr_type) == ("A01", "")
    assert series.key.in_domain == AREAS.get("BG").code
    assert series.unit == "MWH"
    assert [(p.timestamp.isoformat(), p.value) for p in series.points] == [
        ("2023-07-09T21:00:00+00:00", 1909687.74)
    ]


def test_commercial_schedules_by_hand() -> None:
    # One TimeSeries, businessType A06, contract type A01 (day-ahead), out DE_LU, in FR, PT60M
    # from 2023-08-23T22:00Z, A03: position 1 = 0 holds to position 9 (06:00Z); position 10 =
    # 502.7 at 07:00Z; position 16 = 0 holds from 13:00Z to position 22 (19:00Z); position
    # 24 = 1669 at 21:00Z, the last hour.
    (series,) = parsed("transmission121_f_commercial_schedules")
    assert series.contract_type == "A01"
    values = dict(series.points)
    assert len(values) == 24
    assert values[utc(2023, 8, 24, 6)] == 0
    assert values[utc(2023, 8, 24, 7)] == 502.7
    assert [values[utc(2023, 8, 24, hour)] for hour in range(13, 20)] == [0] * 7
    assert values[utc(2023, 8, 24, 21)] == 1669


def test_a_commercial_schedule_of_another_time_frame_is_refused() -> None:
    (series,) = parsed("transmission121_f_commercial_schedules")
    assert series.period is not None
    asked = Chunk("scheduled_exchanges_total", AREAS.key("DE_LU>FR"), series.period)
    with pytest.raises(DocumentFault, match=r"\(contract type\).*contract type A01.*A05"):
        check_answer(asked, ChunkData((series,)))


def test_forecast_transfer_capacity_by_hand() -> None:
    # One TimeSeries, businessType A27, out GB, in BE, PT60M 2023-08-15T22:00Z/
    # 2023-08-16T22:00Z, A03 with position 1 = 1012 alone: 1012 MW for all 24 hours. No
    # contract type: the document does not say which time frame it forecasts.
    (series,) = parsed("transmission111_a_forecasted_transfer_capacities")
    assert series.contract_type == ""
    assert [p.value for p in series.points] == [1012.0] * 24
    assert series.points[0].timestamp == utc(2023, 8, 15, 22)


def test_a_saved_forecast_transfer_capacity_names_no_time_frame_and_is_not_filed() -> None:
    series = parsed("transmission111_a_forecasted_transfer_capacities")
    with pytest.raises(DocumentFault, match="known dataset") as raised:
        check_series(series)
    for horizon in ("day", "week", "month", "year"):
        assert f"forecast_transfer_capacity_{horizon}_ahead" in str(raised.value)


def test_net_positions_by_hand() -> None:
    # One TimeSeries, auction.type A01, businessType B09, in_Domain REGION_CODE-----, out_Domain
    # BE (an export), contract type A07 (intraday), PT15M from 2023-08-22T22:00Z, A03:
    # position 1 = 402.8 at 22:00Z; position 9 = 298.8 at 00:00Z, repeated at position 10
    # (00:15Z), which is left out; position 11 = 291.4 at 00:30Z; position 96 = 714.7 at
    # 21:45Z, the last quarter hour.
    (series,) = parsed("market121_e_implicit_auction_net_positions")
    assert (series.key.in_domain, series.key.out_domain) == (REGION_CODE, AREAS.get("BE").code)
    assert series.contract_type == "A07"
    values = dict(series.points)
    assert len(values) == 96
    assert values[utc(2023, 8, 22, 22)] == 402.8
    assert values[utc(2023, 8, 23, 0)] == values[utc(2023, 8, 23, 0, 15)] == 298.8
    assert values[utc(2023, 8, 23, 0, 30)] == 291.4
    assert values[utc(2023, 8, 23, 21, 45)] == 714.7


def test_a_net_position_against_anything_but_the_region_is_refused() -> None:
    (series,) = parsed("market121_e_implicit_auction_net_positions")
    assert series.period is not None
    asked = Chunk("net_positions_intraday", AREAS.key("BE"), series.period)
    nl = AREAS.get("NL").code
    for key in (
        attrs.evolve(series.key, in_domain=nl),
        attrs.evolve(series.key, out_domain=nl),
        attrs.evolve(series.key, in_domain=series.key.out_domain),
    ):
        broken = attrs.evolve(series, key=key)
        with pytest.raises(DocumentFault, match=r"\(domain\).*region REGION_CODE-----"):
            check_answer(asked, ChunkData((broken,)))
    day_ahead = attrs.evolve(asked, dataset="net_positions_day_ahead")
    with pytest.raises(DocumentFault, match=r"\(contract type\).*A07.*A01"):
        check_answer(day_ahead, ChunkData((series,)))
    other_business = attrs.evolve(series, key=attrs.evolve(series.key, business_type="B10"))
    with pytest.raises(DocumentFault, match=r"\(business type\).*B10.*B09"):
        check_answer(asked, ChunkData((other_business,)))


def test_a_saved_document_of_a_business_type_no_dataset_takes_is_not_filed() -> None:
    (series,) = parsed("market121_e_implicit_auction_net_positions")
    other = attrs.evolve(series, key=attrs.evolve(series.key, business_type="B10"))
    with pytest.raises(DocumentFault, match="known dataset") as raised:
        check_series((other,))
    assert "business type 'B10'" in str(raised.value)
    assert "net_positions_intraday (A25, business type B09, contract type A07)" in str(raised.value)


def test_imbalance_prices_by_hand() -> None:
    # Two TimeSeries, businessType A19, EUR/MWH, PT15M 2024-01-01T00:00Z/2024-01-05T00:00Z, A03,
    # area_Domain AT at document level; every Point of the first names price category A04
    # (excess balance), of the second A05 (insufficient balance). In both: position 1 = 45.93
    # at 00:00Z; position 3 = -3.49 at 00:30Z; position 126 = 1 (2024-01-02T07:15Z) holds over
    # the left-out 127 and 128 until position 129 = 105.51 at 08:00Z; position 384 = 21.19 at
    # 2024-01-04T23:45Z. Austria prices both alike: the values match, the categories do not.
    excess, insufficient = parsed("balancing171_g_imbalance_prices")
    assert (excess.key.price_category, insufficient.key.price_category) == ("A04", "A05")
    assert excess.key == attrs.evolve(insufficient.key, price_category="A04")
    assert excess.key.in_domain == AREAS.get("AT").code
    assert (excess.key.business_type, excess.key.out_domain) == ("A19", "")
    assert excess.unit == "EUR/MWH"
    for series in (excess, insufficient):
        values = dict(series.points)
        assert len(values) == 384
        assert values[utc(2024, 1, 1)] == 45.93
        assert values[utc(2024, 1, 1, 0, 30)] == -3.49
        assert [values[utc(2024, 1, 2, 7, minute)] for minute in (15, 30, 45)] == [1.0] * 3
        assert values[utc(2024, 1, 2, 8)] == 105.51
        assert values[utc(2024, 1, 4, 23, 45)] == 21.19


def test_an_element_of_a_point_the_parser_does_not_read_is_a_fault_naming_it() -> None:
    # The recorded bids with the unavailable quantity of one Point turned into a price, which
    # the parser does not read: not skipped, it may be what tells two values apart.
    recorded = (MORE / "tut_aggregated_bids_AT_2023.xml").read_bytes()
    first = b"<unavailable_Quantity.quantity>0</unavailable_Quantity.quantity>"
    price = b"<procurement_Price.amount>7.5</procurement_Price.amount>"
    changed = recorded.replace(first, price, 1)
    assert changed != recorded
    with pytest.raises(DocumentFault, match=r"holds procurement_Price.amount '7.5'.*does not read"):
        parse_document(changed)


def test_a_point_giving_one_further_value_twice_is_a_fault() -> None:
    recorded = (MORE / "tut_aggregated_bids_AT_2023.xml").read_bytes()
    first = b"<secondaryQuantity>1.67</secondaryQuantity>"
    changed = recorded.replace(first, first + b"<secondaryQuantity>2</secondaryQuantity>", 1)
    assert changed != recorded
    with pytest.raises(
        DocumentFault, match=r"holds secondaryQuantity after secondaryQuantity; each is given once"
    ):
        parse_document(changed)


def test_total_imbalance_volumes_by_hand() -> None:
    # Two TimeSeries, businessType A19, MWH, controlArea_Domain AT at document level: the first
    # flowDirection A01 (up), the second A02 (down), each in short PT15M Periods that take
    # turns over the day 2023-11-03T23:00Z/2023-11-04T23:00Z. Up: 23:00Z = 25.62 and 23:15Z =
    # 14.65 (the first Period); down: 23:30Z = 0.41 (its first Period, one Point) and 22:45Z =
    # 22.29 (its last); up again at 23:45Z = 6.64. One direction a quarter hour: 96 in all.
    series = parsed("balancing171_h_total_imbalance_volumes")
    assert {s.key.flow_direction for s in series} == {"A01", "A02"}
    assert {s.key.in_domain for s in series} == {AREAS.get("AT").code}
    assert {(s.key.business_type, s.unit) for s in series} == {("A19", "MWH")}
    values = {(s.key.flow_direction, p.timestamp): p.value for s in series for p in s.points}
    assert len(values) == 96
    assert len({timestamp for _, timestamp in values}) == 96
    assert values[("A01", utc(2023, 11, 3, 23))] == 25.62
    assert values[("A01", utc(2023, 11, 3, 23, 15))] == 14.65
    assert values[("A02", utc(2023, 11, 3, 23, 30))] == 0.41
    assert values[("A01", utc(2023, 11, 3, 23, 45))] == 6.64
    assert values[("A02", utc(2023, 11, 4, 22, 45))] == 22.29


def test_current_balancing_state_by_hand() -> None:
    # 181 TimeSeries, businessType B33, MAW, area_Domain HU at document level, PT1M Periods
    # that take turns between the directions over 2024-05-29T22:00Z/2024-05-30T22:00Z: the
    # first A02 (down) 22:00Z = 4.07 alone; the second A01 (up) 22:01Z/22:06Z from 17.7; the
    # last A02 ends with position 18 = 62.63 at 21:59Z. One direction a minute: 1440 in all.
    series = parsed("balancing123_a_current_balancing_state_gl_eb")
    assert len(series) == 181
    assert {s.key.in_domain for s in series} == {AREAS.get("HU").code}
    assert {(s.key.business_type, s.key.resolution, s.unit) for s in series} == {
        ("B33", "PT1M", "MAW")
    }
    values = {(s.key.flow_direction, p.timestamp): p.value for s in series for p in s.points}
    assert len(values) == len({timestamp for _, timestamp in values}) == 1440
    assert values[("A02", utc(2024, 5, 29, 22))] == 4.07
    assert values[("A01", utc(2024, 5, 29, 22, 1))] == 17.7
    assert values[("A02", utc(2024, 5, 30, 21, 59))] == 62.63


def test_aggregated_bids_by_hand() -> None:
    # Two TimeSeries, businessType A14, standard product A01, MAW, area_Domain AT at document
    # level, one PT15M Period 2023-09-02T22:00Z/2023-09-03T22:00Z each, A03; every Point holds
    # quantity (offered), secondaryQuantity (activated) and unavailable_Quantity.quantity.
    # Down (A02), line 30: position 1 = 209, 1.67, 0. Down, line 510: position 81 = 227, 0, 0,
    # and position 82 is left out: it repeats all three. Up (A01), line 783: position 29 = 280,
    # 0, 0, positions 30 to 32 left out; line 1101: position 96 = 169, 0, 0. Down, line 594:
    # position 96 = 232, 31.8, 0. Six series of 96 values, none over another.
    series = parsed("tut_aggregated_bids_AT_2023")
    assert len(series) == 6
    assert {s.key.in_domain for s in series} == {AREAS.get("AT").code}
    assert {(s.key.business_type, s.key.market_product, s.unit) for s in series} == {
        ("A14", "A01", "MAW")
    }
    assert {(s.key.flow_direction, s.key.quantity_kind) for s in series} == {
        (direction, kind)
        for direction in ("A01", "A02")
        for kind in ("", "secondaryQuantity", "unavailable_Quantity.quantity")
    }
    values = {
        (s.key.flow_direction, s.key.quantity_kind, p.timestamp): p.value
        for s in series
        for p in s.points
    }
    assert len(values) == 6 * 96

    def bid(direction: str, instant: datetime) -> tuple[float, float, float]:
        return (
            values[(direction, "", instant)],
            values[(direction, "secondaryQuantity", instant)],
            values[(direction, "unavailable_Quantity.quantity", instant)],
        )

    assert bid("A02", utc(2023, 9, 2, 22)) == (209, 1.67, 0)
    assert bid("A02", utc(2023, 9, 3, 18)) == bid("A02", utc(2023, 9, 3, 18, 15)) == (227, 0, 0)
    assert bid("A01", utc(2023, 9, 3, 5)) == bid("A01", utc(2023, 9, 3, 5, 45)) == (280, 0, 0)
    assert bid("A01", utc(2023, 9, 3, 21, 45)) == (169, 0, 0)
    assert bid("A02", utc(2023, 9, 3, 21, 45)) == (232, 31.8, 0)
