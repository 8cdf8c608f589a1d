"""The documents the emulator answers with, shaped like the real API's.

Load, forecasts, generation, installed capacity and reservoir filling come as
``GL_MarketDocument`` (generationloaddocument 3:0), day-ahead prices as
``Publication_MarketDocument`` 7:3 with one TimeSeries per delivery day, physical flows,
scheduled exchanges, forecast transfer capacities and net positions as
``Publication_MarketDocument`` 7:0, imbalance prices as ``Balancing_MarketDocument`` 4:4 (the
area once, at document level, and one TimeSeries per price category, whose every Point names
its category), total imbalance volumes as ``Balancing_MarketDocument`` 3:0 (the control area
at document level, one TimeSeries per flow direction), the current balancing state as
``Balancing_MarketDocument`` 4:1 (the area at document level, one TimeSeries per flow
direction, one-minute steps), generation per unit as ``GL_MarketDocument`` (each unit's
``registeredResource.mRID``, and its code and name under ``MktPSRType``), aggregated balancing
energy bids as ``Balancing_MarketDocument`` 4:1 (the area at document level, one TimeSeries
per flow direction whose every Point holds the offered quantity, the activated
secondaryQuantity and the unavailable quantity), and "no data" or a refused request as an
``Acknowledgement_MarketDocument``. Curves are A03: a point whose
values equal the previous one's in its period is left out. A sub-daily series has one Period
per local day of its area; daily, weekly and yearly series one Period per step, so that no step
length is ambiguous across a DST change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from itertools import groupby
from xml.sax.saxutils import escape

import attrs

from entrypoints.emulator.model import BID_QUANTITY_KINDS, local_zone, period_end, unit_name
from entsoe_core.datasets import Dataset
from entsoe_core.observations import Point, Series
from entsoe_core.timeline import Interval

__all__ = [
    "acknowledgement",
    "document_span",
    "html_page",
    "market_document",
]

_GL_NAMESPACE = "urn:iec62325.351:tc57wg16:451-6:generationloaddocument:3:0"
_PUBLICATION_NAMESPACES = {
    "A44": "urn:iec62325.351:tc57wg16:451-3:publicationdocument:7:3",
    "A11": "urn:iec62325.351:tc57wg16:451-3:publicationdocument:7:0",
    "A09": "urn:iec62325.351:tc57wg16:451-3:publicationdocument:7:0",
    "A61": "urn:iec62325.351:tc57wg16:451-3:publicationdocument:7:0",
    "A25": "urn:iec62325.351:tc57wg16:451-3:publicationdocument:7:0",
}
_BALANCING_NAMESPACES = {
    "imbalance_prices": "urn:iec62325.351:tc57wg16:451-6:balancingdocument:4:4",
    "total_imbalance_volumes": "urn:iec62325.351:tc57wg16:451-6:balancingdocument:3:0",
    "current_balancing_state": "urn:iec62325.351:tc57wg16:451-6:balancingdocument:4:1",
    "aggregated_bids_afrr": "urn:iec62325.351:tc57wg16:451-6:balancingdocument:4:1",
}
# Where a balancing document names its area: as area_Domain, volumes as controlArea_Domain;
# and which carry a docStatus (the recorded answers).
_BALANCING_AREA_TAGS = {"total_imbalance_volumes": "controlArea_Domain.mRID"}
_WITH_DOC_STATUS = frozenset({"imbalance_prices", "total_imbalance_volumes"})
_ACK_NAMESPACE = "urn:iec62325.351:tc57wg16:451-1:acknowledgementdocument:7:0"
_PLATFORM = "10X1001A1001A450"
_SUB_DAILY = ("PT1M", "PT15M", "PT30M", "PT60M")


def _time(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%MZ")


def _stamp(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _mrid(*parts: object) -> str:
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=16).hexdigest()


def _header(
    root: str,
    namespace: str,
    mrid: str,
    fields: Sequence[str],
    created: datetime,
    interval_tag: str,
    span: Interval,
    receiver_role: str,
    *,
    after_created: Sequence[str] = (),
) -> list[str]:
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<{root} xmlns="{namespace}">',
        f"  <mRID>{mrid}</mRID>",
        "  <revisionNumber>1</revisionNumber>",
        *fields,
        f'  <sender_MarketParticipant.mRID codingScheme="A01">{_PLATFORM}'
        "</sender_MarketParticipant.mRID>",
        "  <sender_MarketParticipant.marketRole.type>A32"
        "</sender_MarketParticipant.marketRole.type>",
        f'  <receiver_MarketParticipant.mRID codingScheme="A01">{_PLATFORM}'
        "</receiver_MarketParticipant.mRID>",
        f"  <receiver_MarketParticipant.marketRole.type>{receiver_role}"
        "</receiver_MarketParticipant.marketRole.type>",
        f"  <createdDateTime>{_stamp(created)}</createdDateTime>",
        *after_created,
        f"  <{interval_tag}>",
        f"    <start>{_time(span.start)}</start>",
        f"    <end>{_time(span.end)}</end>",
        f"  </{interval_tag}>",
    ]
    return lines


def _periods(series: Series, area_code: str) -> Iterator[tuple[Interval, tuple[Point, ...]]]:
    """Split a series into its Periods: local days for sub-daily steps, else one per step."""
    zone = local_zone(area_code)
    resolution = series.key.resolution
    if resolution in _SUB_DAILY:
        for _, group in groupby(series.points, key=lambda p: p.timestamp.astimezone(zone).date()):
            day = tuple(group)
            end = period_end(resolution, day[-1].timestamp, zone)
            yield Interval(day[0].timestamp, end), day
    else:
        for point in series.points:
            yield Interval(point.timestamp, period_end(resolution, point.timestamp, zone)), (point,)


def _period(
    span: Interval,
    resolution: str,
    points: Sequence[Point],
    tag: str,
    category: str = "",
    further: Sequence[tuple[str, Mapping[datetime, float]]] = (),
) -> list[str]:
    """A Period of ``points``; ``further`` adds, by element name, more values to each Point
    (an aggregated bid's activated and unavailable quantities)."""
    lines = [
        "      <Period>",
        "        <timeInterval>",
        f"          <start>{_time(span.start)}</start>",
        f"          <end>{_time(span.end)}</end>",
        "        </timeInterval>",
        f"        <resolution>{resolution}</resolution>",
    ]
    previous: tuple[float | None, ...] | None = None
    for position, point in enumerate(points, start=1):
        values = (point.value, *(found.get(point.timestamp) for _, found in further))
        # A03: a point equal to the one before it is implied, so it is left out.
        if values != previous:
            named = (
                f"<imbalance_Price.category>{category}</imbalance_Price.category>"
                if category
                else ""
            )
            more = "".join(
                f"<{name}>{_number(value)}</{name}>"
                for (name, _), value in zip(further, values[1:], strict=True)
                if value is not None
            )
            lines.append(
                f"        <Point><position>{position}</position>"
                f"<{tag}>{_number(point.value)}</{tag}>{more}{named}</Point>"
            )
        previous = values
    lines.append("      </Period>")
    return lines


def _domain(tag: str, code: str) -> str:
    return f'      <{tag} codingScheme="A01">{code}</{tag}>'


def _gl_series(mrid: int, series: Series, area_code: str) -> list[str]:
    key = series.key
    lines = [
        "    <TimeSeries>",
        f"      <mRID>{mrid}</mRID>",
        f"      <businessType>{key.business_type}</businessType>",
        f"      <objectAggregation>{_aggregation(series)}</objectAggregation>",
    ]
    if key.in_domain:
        lines.append(_domain("inBiddingZone_Domain.mRID", key.in_domain))
    if key.out_domain:
        lines.append(_domain("outBiddingZone_Domain.mRID", key.out_domain))
    if key.registered_resource:
        lines.append(_domain("registeredResource.mRID", key.registered_resource))
    lines += [
        f"      <quantity_Measure_Unit.name>{series.unit}</quantity_Measure_Unit.name>",
        f"      <curveType>{series.curve_type}</curveType>",
    ]
    if key.registered_resource:
        # A unit's production type, and the unit again by its code and name.
        lines.append(
            f"      <MktPSRType><psrType>{key.psr_type}</psrType><PowerSystemResources>"
            f'<mRID codingScheme="A01">{key.registered_resource}</mRID>'
            f"<name>{escape(unit_name(key.registered_resource))}</name>"
            "</PowerSystemResources></MktPSRType>"
        )
    elif key.psr_type:
        lines.append(f"      <MktPSRType><psrType>{key.psr_type}</psrType></MktPSRType>")
    for span, points in _periods(series, area_code):
        lines += _period(span, key.resolution, points, "quantity")
    lines.append("    </TimeSeries>")
    return lines


def _aggregation(series: Series) -> str:
    # A06 resource object (a unit), A08 production type, A01 area.
    if series.key.registered_resource:
        return "A06"
    return "A08" if series.key.psr_type else "A01"


def _price_series(mrid: int, series: Series, span: Interval, points: Sequence[Point]) -> list[str]:
    key = series.key
    lines = [
        "    <TimeSeries>",
        f"      <mRID>{mrid}</mRID>",
        "      <auction.type>A01</auction.type>",
        f"      <businessType>{key.business_type}</businessType>",
        _domain("in_Domain.mRID", key.in_domain),
        _domain("out_Domain.mRID", key.out_domain),
        f"      <contract_MarketAgreement.type>{series.contract_type or 'A01'}"
        "</contract_MarketAgreement.type>",
        "      <currency_Unit.name>EUR</currency_Unit.name>",
        "      <price_Measure_Unit.name>MWH</price_Measure_Unit.name>",
    ]
    if key.classification_position:
        lines.append(
            "      <classificationSequence_AttributeInstanceComponent.position>"
            f"{key.classification_position}"
            "</classificationSequence_AttributeInstanceComponent.position>"
        )
    lines.append(f"      <curveType>{series.curve_type}</curveType>")
    lines += _period(span, key.resolution, points, "price.amount")
    lines.append("    </TimeSeries>")
    return lines


def _border_series(mrid: int, series: Series, area_code: str) -> list[str]:
    key = series.key
    lines = ["    <TimeSeries>", f"      <mRID>{mrid}</mRID>"]
    if key.document_type == "A25":
        lines.append("      <auction.type>A01</auction.type>")
    lines += [
        f"      <businessType>{key.business_type}</businessType>",
        _domain("in_Domain.mRID", key.in_domain),
        _domain("out_Domain.mRID", key.out_domain),
    ]
    # Scheduled exchanges and net positions name their time frame; flows and transfer
    # capacities do not.
    if series.contract_type and key.document_type in ("A09", "A25"):
        lines.append(
            f"      <contract_MarketAgreement.type>{series.contract_type}"
            "</contract_MarketAgreement.type>"
        )
    lines += [
        "      <quantity_Measure_Unit.name>MAW</quantity_Measure_Unit.name>",
        f"      <curveType>{series.curve_type}</curveType>",
    ]
    for span, points in _periods(series, area_code):
        lines += _period(span, key.resolution, points, "quantity")
    lines.append("    </TimeSeries>")
    return lines


def _balancing_series(mrid: int, series: Series, area_code: str) -> list[str]:
    key = series.key
    lines = [
        "    <TimeSeries>",
        f"      <mRID>{mrid}</mRID>",
        f"      <businessType>{key.business_type}</businessType>",
    ]
    if key.flow_direction:
        lines.append(
            f"      <flowDirection.direction>{key.flow_direction}</flowDirection.direction>"
        )
    if key.document_type == "A85":
        lines += [
            "      <currency_Unit.name>EUR</currency_Unit.name>",
            "      <price_Measure_Unit.name>MWH</price_Measure_Unit.name>",
        ]
        tag = "imbalance_Price.amount"
    else:
        lines.append(
            f"      <quantity_Measure_Unit.name>{series.unit}</quantity_Measure_Unit.name>"
        )
        tag = "quantity"
    lines.append(f"      <curveType>{series.curve_type}</curveType>")
    for span, points in _periods(series, area_code):
        lines += _period(span, key.resolution, points, tag, key.price_category)
    lines.append("    </TimeSeries>")
    return lines


def _bid_series(mrid: int, bid: Sequence[Series], area_code: str) -> list[str]:
    """One TimeSeries for the values of one bid: ``bid`` holds its series by quantity kind, the
    quantity (offered) first."""
    quantity, *others = bid
    key = quantity.key
    lines = [
        "    <TimeSeries>",
        f"      <mRID>{mrid}</mRID>",
        f"      <businessType>{key.business_type}</businessType>",
        "      <standard_MarketProduct.marketProductType>"
        f"{key.market_product}</standard_MarketProduct.marketProductType>",
        f"      <flowDirection.direction>{key.flow_direction}</flowDirection.direction>",
        f"      <quantity_Measure_Unit.name>{quantity.unit}</quantity_Measure_Unit.name>",
        f"      <curveType>{quantity.curve_type}</curveType>",
    ]
    further = [(other.key.quantity_kind, dict(other.points)) for other in others]
    for span, points in _periods(quantity, area_code):
        lines += _period(span, key.resolution, points, "quantity", further=further)
    lines.append("    </TimeSeries>")
    return lines


def _bids(series: Sequence[Series]) -> list[list[Series]]:
    """``series`` by bid (all of a key but its quantity kind), each in Point order."""
    found: dict[object, list[Series]] = {}
    for one in series:
        found.setdefault(attrs.evolve(one.key, quantity_kind=""), []).append(one)
    return [
        sorted(bid, key=lambda one: BID_QUANTITY_KINDS.index(one.key.quantity_kind))
        for bid in found.values()
    ]


def document_span(series: Sequence[Series], area_code: str) -> Interval:
    """From the start of the first Period of ``series`` (non-empty) to the end of the last."""
    periods = [list(_periods(one, area_code)) for one in series]
    return Interval(min(p[0][0].start for p in periods), max(p[-1][0].end for p in periods))


def market_document(
    dataset: Dataset,
    area_code: str,
    series: Sequence[Series],
    *,
    created: datetime,
    request_id: str,
    span: Interval | None = None,
) -> bytes:
    """Render ``series`` (non-empty, uncompressed) as the document the API gives for
    ``dataset``; ``area_code`` is the area whose local days cut the periods. The document says
    it covers ``span``, by default what its series cover."""
    periods = [list(_periods(one, area_code)) for one in series]
    if span is None:
        span = document_span(series, area_code)
    mrid = _mrid(request_id)
    document = dataset.document_type
    body: list[str] = []
    if document == "A44":
        lines = _header(
            "Publication_MarketDocument",
            _PUBLICATION_NAMESPACES[document],
            mrid,
            ["  <type>A44</type>"],
            created,
            "period.timeInterval",
            span,
            "A33",
        )
        number = 0
        for one, one_periods in zip(series, periods, strict=True):
            for period_span, points in one_periods:
                number += 1
                body += _price_series(number, one, period_span, points)
        closing = "</Publication_MarketDocument>"
    elif dataset.key in _BALANCING_NAMESPACES:
        area_tag = _BALANCING_AREA_TAGS.get(dataset.key, "area_Domain.mRID")
        status = ["  <docStatus><value>A02</value></docStatus>"]
        lines = _header(
            "Balancing_MarketDocument",
            _BALANCING_NAMESPACES[dataset.key],
            mrid,
            [
                f"  <type>{document}</type>",
                f"  <process.processType>{series[0].key.process_type}</process.processType>",
            ],
            created,
            "period.timeInterval",
            span,
            "A33",
            after_created=[
                *(status if dataset.key in _WITH_DOC_STATUS else []),
                f'  <{area_tag} codingScheme="A01">{area_code}</{area_tag}>',
            ],
        )
        if document == "A24":
            for number, bid in enumerate(_bids(series), start=1):
                body += _bid_series(number, bid, area_code)
        else:
            for number, one in enumerate(series, start=1):
                body += _balancing_series(number, one, area_code)
        closing = "</Balancing_MarketDocument>"
    elif document in _PUBLICATION_NAMESPACES:
        lines = _header(
            "Publication_MarketDocument",
            _PUBLICATION_NAMESPACES[document],
            mrid,
            [f"  <type>{document}</type>"],
            created,
            "period.timeInterval",
            span,
            "A33",
        )
        for number, one in enumerate(series, start=1):
            body += _border_series(number, one, area_code)
        closing = "</Publication_MarketDocument>"
    else:
        lines = _header(
            "GL_MarketDocument",
            _GL_NAMESPACE,
            mrid,
            [
                f"  <type>{document}</type>",
                f"  <process.processType>{dataset.process_type}</process.processType>",
            ],
            created,
            "time_Period.timeInterval",
            span,
            "A33",
        )
        for number, one in enumerate(series, start=1):
            body += _gl_series(number, one, area_code)
        closing = "</GL_MarketDocument>"
    return "\n".join([*lines, *body, closing, ""]).encode()


def acknowledgement(text: str, *, created: datetime, request_id: str, code: str = "999") -> bytes:
    """An ``Acknowledgement_MarketDocument`` with one reason."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<Acknowledgement_MarketDocument xmlns="{_ACK_NAMESPACE}">',
        f"  <mRID>{_mrid(request_id)[:15]}</mRID>",
        f"  <createdDateTime>{_stamp(created)}</createdDateTime>",
        f'  <sender_MarketParticipant.mRID codingScheme="A01">{_PLATFORM}'
        "</sender_MarketParticipant.mRID>",
        "  <sender_MarketParticipant.marketRole.type>A32"
        "</sender_MarketParticipant.marketRole.type>",
        f'  <receiver_MarketParticipant.mRID codingScheme="A01">{_PLATFORM}'
        "</receiver_MarketParticipant.mRID>",
        "  <receiver_MarketParticipant.marketRole.type>A39"
        "</receiver_MarketParticipant.marketRole.type>",
        "  <received_MarketDocument.createdDateTime>"
        f"{_stamp(created)}</received_MarketDocument.createdDateTime>",
        "  <Reason>",
        f"    <code>{escape(code)}</code>",
        f"    <text>{escape(text)}</text>",
        "  </Reason>",
        "</Acknowledgement_MarketDocument>",
        "",
    ]
    return "\n".join(lines).encode()


def html_page(text: str) -> bytes:
    """The bare HTML page the API answers some errors with."""
    return f"<html><head></head><body>{escape(text)}</body></html>".encode()
