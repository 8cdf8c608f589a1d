"""Parse ENTSO-E documents into series, streaming.

Reads ``GL_MarketDocument`` (load and generation), ``Publication_MarketDocument`` (prices and
flows, versions 7:0 and 7:3), ``Balancing_MarketDocument`` (imbalance prices and volumes) and
``Acknowledgement_MarketDocument`` (no data, or an error),
matching elements by local name whatever the namespace version, and ZIP bodies holding
several of them. The document is walked with ``lxml.etree.iterparse`` and every ``Point`` is
dropped from the tree as soon as it is read, so memory holds the points of the series being
built, not the document.

Each ``Period`` of each ``TimeSeries`` becomes one :class:`~entsoe_core.observations.Series`,
keyed by everything that tells series apart (see ``SeriesKey``); a Period whose points carry
a price category (``imbalance_Price.category``: A04 excess, A05 insufficient balance) becomes
one series per category. A balancing document names its area once, for the whole document
(``area_Domain.mRID`` or ``controlArea_Domain.mRID``): every series of it takes that area as
its in domain; its series' ``flowDirection.direction`` (up, down) is part of their key.
Curve type A01 gives one point per position present; A03 repeats a value for the positions
left out after it, until the next given position or the end of the period.

A document that is well-formed but breaks a rule of its structure raises
:class:`~entsoe_core.errors.DocumentFault`, naming the rule, the value and where it stands
(TimeSeries, Period, Point position, line): a Period starts before it ends; its resolution is a
positive duration; every position is a whole number from 1 up to the number of steps the
Period holds, and appears once; every value is a finite number; a Point holds nothing but its
position, its value and its price category (an element it holds that this parser does not
read is a fault naming it, never skipped: it may be what tells two values apart). Positions
are checked against the Period before any instant is computed, so no position, timestamp or
resolution can make the parser overflow or expand a curve past its Period.

:func:`parse_document` is the entry for other code (the importer, the HTTP adapter);
:func:`iter_parsed` yields the same results one by one, as they are read.
"""

from __future__ import annotations

import io
import math
import stat
import zipfile
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Final

import attrs
from lxml import etree

from entsoe_core.errors import DocumentFault
from entsoe_core.observations import Point, Series, SeriesKey
from entsoe_core.resolution import Resolution
from entsoe_core.timeline import Interval

from .errors import BodyTooLarge, MalformedDocument, UnsupportedDocument
from .safe_xml import SAFE_OPTIONS, local_name, read_capped, root_name

__all__ = [
    "DEFAULT_MAX_MEMBER_BYTES",
    "MAX_PERIOD_STEPS",
    "SUPPORTED_ROOTS",
    "Acknowledgement",
    "iter_parsed",
    "parse_document",
]

SUPPORTED_ROOTS: Final = (
    "GL_MarketDocument",
    "Publication_MarketDocument",
    "Balancing_MarketDocument",
    "Acknowledgement_MarketDocument",
)
DEFAULT_MAX_MEMBER_BYTES: Final = 512 * 1024 * 1024
"""The most a ZIP body may unpack to, its members together (a one-year PT15M A75 is ~100 MB)."""
MAX_PERIOD_STEPS: Final = 366 * 24 * 60
"""The most steps one Period may hold: a leap year of minutes. The API answers at most a
year per request, at 15 minutes or coarser for the datasets we read; the bound keeps a small
document from expanding an A03 curve over centuries."""

_ACKNOWLEDGEMENT = "Acknowledgement_MarketDocument"
# What one point costs in memory once built (its instant, value and Point; see
# docs/performance.md).
_POINT_BYTES: Final = 140
_ZIP_MAGIC = b"PK\x03\x04"
_INFLATABLE: Final = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
_ENCRYPTED: Final = 0x1
_SERIES_FIELDS: Final = frozenset(
    {
        "businessType",
        "psrType",
        "inBiddingZone_Domain.mRID",
        "outBiddingZone_Domain.mRID",
        "in_Domain.mRID",
        "out_Domain.mRID",
        "quantity_Measure_Unit.name",
        "currency_Unit.name",
        "price_Measure_Unit.name",
        "curveType",
        "classificationSequence_AttributeInstanceComponent.position",
        "contract_MarketAgreement.type",
        "flowDirection.direction",
    }
)
_DOCUMENT_FIELDS: Final = frozenset(
    {
        "type",
        "process.processType",
        "revisionNumber",
        "createdDateTime",
        "area_Domain.mRID",
        "controlArea_Domain.mRID",
    }
)
_STRUCTURE: Final = (
    "TimeSeries",
    "mRID",
    "Period",
    "timeInterval",
    "resolution",
    "Point",
    "Reason",
)
_WATCHED: Final = tuple(
    f"{{*}}{name}" for name in (*_STRUCTURE, *sorted(_SERIES_FIELDS | _DOCUMENT_FIELDS))
)
_VALUE_NAMES: Final = frozenset({"quantity", "price.amount", "imbalance_Price.amount"})
_CATEGORY_NAME: Final = "imbalance_Price.category"
_CURVES: Final = frozenset({"A01", "A03", ""})
_isfinite = math.isfinite


@attrs.frozen
class Acknowledgement:
    """An acknowledgement instead of data: "No matching data found", or why a request failed."""

    reason_code: str
    text: str
    created_at: datetime | None = None

    @property
    def no_data(self) -> bool:
        """Whether it says that nothing is published (rather than that the request was bad)."""
        return "no matching data found" in self.text.lower()


def parse_document(
    source: bytes | Path,
    *,
    label: str | None = None,
    max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES,
) -> tuple[Series, ...] | Acknowledgement:
    """Every series of a document (or of every document of a ZIP), or its acknowledgement.

    Raises :class:`~adapters.entsoe_xml.errors.MalformedDocument` (not XML, or cut short),
    :class:`~entsoe_core.errors.DocumentFault` (well-formed, but breaking a rule of its
    structure), :class:`~adapters.entsoe_xml.errors.UnsupportedDocument` (another kind of
    document), :class:`~adapters.entsoe_xml.errors.UnsafeDocument` (a DTD) or
    :class:`~adapters.entsoe_xml.errors.BodyTooLarge` (ZIP members unpacking past the cap, or
    A03 curves leaving out more points than the cap holds in memory).
    """
    series: list[Series] = []
    acknowledgements: list[Acknowledgement] = []
    for item in iter_parsed(source, label=label, max_member_bytes=max_member_bytes):
        if isinstance(item, Acknowledgement):
            acknowledgements.append(item)
        else:
            series.append(item)
    if acknowledgements and not series:
        return acknowledgements[0]
    return tuple(series)


def iter_parsed(
    source: bytes | Path,
    *,
    label: str | None = None,
    max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES,
) -> Iterator[Series | Acknowledgement]:
    """Series as their periods are read, and acknowledgements, in document order."""
    name = label or (str(source) if isinstance(source, Path) else "the document")
    budget = _FillBudget(max_member_bytes)
    for member_label, member in _members(source, name, max_member_bytes):
        yield from _read_xml(member, member_label, budget)


def _members(source: bytes | Path, label: str, cap: int) -> Iterator[tuple[str, bytes | Path]]:
    if isinstance(source, Path) and not stat.S_ISREG(source.stat().st_mode):
        # A pipe (``/dev/stdin``) can be read only once, and both the sniffing below and the
        # parser need its start: hold it whole, within the cap.
        with source.open("rb") as stream:
            source = read_capped(stream, cap, label)
    if isinstance(source, bytes):
        head = source[:4]
    else:
        with source.open("rb") as stream:
            head = stream.read(4)
    if head != _ZIP_MAGIC:
        yield label, source
        return
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as zf:
            inflated = 0
            for info in zf.infolist():
                if info.is_dir():
                    continue
                member_label = f"{label} (member {info.filename})"
                _refuse_unbounded(info, member_label)
                # Inflated block by block and counted as it comes: the sizes the archive
                # states are not trusted, and all members share the cap.
                with zf.open(info) as stream:
                    member = read_capped(stream, cap, member_label, already=inflated)
                inflated += len(member)
                yield member_label, member
    except (zipfile.BadZipFile, EOFError, zlib.error) as error:
        raise MalformedDocument(f"{label} is a damaged ZIP archive: {error}") from None


def _refuse_unbounded(info: zipfile.ZipInfo, label: str) -> None:
    """Refuse members zipfile cannot inflate a block at a time (or at all)."""
    if info.flag_bits & _ENCRYPTED:
        raise UnsupportedDocument(f"{label} is encrypted; ENTSO-E archives are not")
    if info.compress_type not in _INFLATABLE:
        raise UnsupportedDocument(
            f"{label} is compressed with ZIP method {info.compress_type}; this parser reads "
            "stored and deflated members only (bzip2 and LZMA members cannot be inflated "
            "within a bound)"
        )


def _read_xml(
    source: bytes | Path, label: str, budget: _FillBudget
) -> Iterator[Series | Acknowledgement]:
    root = root_name(source, label)
    if root not in SUPPORTED_ROOTS:
        raise UnsupportedDocument(
            f"{label} is not a document this parser reads: its root element is <{root}>, "
            f"not one of {', '.join(SUPPORTED_ROOTS)}"
        )
    reader = _DocumentReader(label, root == _ACKNOWLEDGEMENT, budget)
    events: Iterator[tuple[str, etree._Element]] = etree.iterparse(
        io.BytesIO(source) if isinstance(source, bytes) else str(source),
        events=("end",),
        tag=_WATCHED,
        **SAFE_OPTIONS,
    )
    try:
        yield from reader.walk(events)
    except etree.XMLSyntaxError as error:
        raise MalformedDocument(f"{label} is not well-formed XML: {error}") from None
    if reader.acknowledgement is not None:
        yield reader.acknowledgement


class _FillBudget:
    """How many omitted A03 positions one body may still have filled in.

    No more than would fit in the body cap's worth of memory: a small document whose curves
    leave out long runs (each Period may hold up to a year of minutes) is otherwise the
    cheapest way to make the parser build millions of points.
    """

    def __init__(self, cap: int) -> None:
        self._cap = cap
        self._left = cap // _POINT_BYTES

    def take(self, count: int, where: str) -> None:
        if count > self._left:
            raise BodyTooLarge(
                f"{where}: filling in the positions its A03 curves leave out would make more "
                f"than {self._cap // _POINT_BYTES:,} points, more than the cap of "
                f"{self._cap:,} bytes holds in memory; ask for a shorter period or raise the cap"
            )
        self._left -= count


class _DocumentReader:
    """The state of one document walk: the document's fields, the series', the period's."""

    def __init__(self, label: str, is_acknowledgement: bool, budget: _FillBudget) -> None:
        self._label = label
        self._budget = budget
        self._is_acknowledgement = is_acknowledgement
        self._names: dict[str, str] = {}
        self._document: dict[str, str] = {}
        self._series: dict[str, str] = {}
        self._series_number = 1
        self._series_mrid = ""
        self._period: tuple[datetime, datetime] | None = None
        self._resolution: Resolution | None = None
        # The highest position the open Period holds; 0 until its interval and resolution
        # are read (schema order puts them first), which sends every Point the careful way.
        self._limit = 0
        self._given: list[tuple[int, float]] = []
        # The open Period's points that carry a price category, by category.
        self._categorised: dict[str, list[tuple[int, float]]] = {}
        self._position_tag = ""
        self._value_tags: set[str] = set()
        self.acknowledgement: Acknowledgement | None = None

    def _name(self, tag: str) -> str:
        name = self._names.get(tag)
        if name is None:
            name = self._names[tag] = local_name(tag)
        return name

    def walk(self, events: Iterator[tuple[str, etree._Element]]) -> Iterator[Series]:
        """Read the watched elements' end events; yield the series of each Period as it
        closes."""
        names = self._names
        given = self._given
        for _, element in events:
            tag = element.tag
            # Points are nearly every event: handle them here, on the shortest path.
            if (names.get(tag) or self._name(tag)) == "Point":
                point = self._point(element)
                if point is not None:
                    given.append(point)
                _drop(element)
                continue
            yield from self._on_end(element)

    def _on_end(self, element: etree._Element) -> tuple[Series, ...]:
        name = self._name(element.tag)
        if name == "Period":
            series = self._finish_period()
            _drop(element)
            return series
        if name == "TimeSeries":
            self._series = {}
            self._series_number += 1
            self._series_mrid = ""
            _drop(element)
        elif name == "mRID":
            parent = element.getparent()
            if parent is not None and self._name(parent.tag) == "TimeSeries":
                self._series_mrid = _text(element)
        elif name == "timeInterval":
            self._period = self._interval(element)
            self._bound()
        elif name == "resolution":
            try:
                self._resolution = Resolution.parse(_text(element))
            except DocumentFault as fault:
                raise self._fault(f"{fault} (line {element.sourceline})") from None
            self._bound()
        elif name == "Reason":
            if self._is_acknowledgement and self.acknowledgement is None:
                self.acknowledgement = self._reason(element)
        elif name in _SERIES_FIELDS:
            self._series[name] = _text(element)
        else:
            self._document[name] = _text(element)
        return ()

    def _bound(self) -> None:
        if self._period is None or self._resolution is None:
            return
        self._limit = self._resolution.steps(*self._period)
        if self._limit > MAX_PERIOD_STEPS:
            raise self._fault(
                f"the Period holds {self._limit:,} steps of {self._resolution.code}, more than "
                f"the {MAX_PERIOD_STEPS:,} (a leap year of one-minute steps) a Period may hold; "
                "an A03 curve would repeat its last value over all of them"
            )

    def _point(self, element: etree._Element) -> tuple[int, float] | None:
        """A Point's position and value; None for a Point with a price category, which is
        kept with its category's points."""
        if len(element) == 2:
            first, second = element[0], element[1]
            if first.tag == self._position_tag and second.tag in self._value_tags:
                try:
                    position, value = int(first.text or ""), float(second.text or "")
                except ValueError:
                    pass  # the careful path below says what is wrong
                else:
                    if 0 < position <= self._limit and _isfinite(value):
                        return position, value
        return self._point_carefully(element)

    def _point_carefully(self, element: etree._Element) -> tuple[int, float] | None:
        position: int | None = None
        value: float | None = None
        value_text = ""
        category: str | None = None
        for child in element:
            if not isinstance(child.tag, str):
                continue
            child_name = self._name(child.tag)
            text = _text(child)
            try:
                if child_name == "position":
                    self._position_tag = child.tag
                    position = int(text)
                elif child_name in _VALUE_NAMES:
                    self._value_tags.add(child.tag)
                    value = float(text)
                    value_text = f"{child_name} {text[:40]!r}"
                elif child_name == _CATEGORY_NAME:
                    category = text
                else:
                    raise self._fault(
                        f"a Point (line {element.sourceline}) holds {child_name} "
                        f"{text[:40]!r}, which this parser does not read; a Point may hold "
                        f"position, {', '.join(sorted(_VALUE_NAMES))} and {_CATEGORY_NAME}"
                    )
            except ValueError:
                raise self._fault(
                    f"a Point (line {element.sourceline}) has {child_name} {text[:40]!r}, "
                    f"not a {'whole number' if child_name == 'position' else 'number'}"
                ) from None
        if position is None or value is None or position < 1:
            raise self._fault(
                f"a Point (line {element.sourceline}) needs a position >= 1 and a quantity or "
                f"price.amount; got position {position!r}, value {value!r}"
            )
        if not _isfinite(value):
            raise self._fault(
                f"Point position {position} (line {element.sourceline}) has {value_text}; "
                "a value must be a finite number"
            )
        if self._period is not None and self._resolution is not None and position > self._limit:
            raise self._past_end(
                position, self._limit, self._resolution, f" (line {element.sourceline})"
            )
        if category is not None:
            if not category:
                raise self._fault(
                    f"Point position {position} (line {element.sourceline}) has an empty "
                    f"{_CATEGORY_NAME}; it names the price's category (A04, A05)"
                )
            self._categorised.setdefault(category, []).append((position, value))
            return None
        return position, value

    def _past_end(
        self, position: int, limit: int, resolution: Resolution, where: str = ""
    ) -> DocumentFault:
        shown = str(position) if position < 10**40 else f"{str(position)[:40]}… (a number)"
        return self._fault(
            f"Point position {shown}{where} lies past the Period's end: the Period holds "
            f"{limit} step(s) of {resolution.code}, so positions 1 to {limit}"
            if limit
            else f"Point position {shown}{where} lies past the Period's end: the Period is "
            f"shorter than one step of {resolution.code}"
        )

    def _fault(self, rule: str) -> DocumentFault:
        """A fault of the open TimeSeries and Period, saying where they stand."""
        return DocumentFault(f"{self._where()}: {rule}")

    def _where(self) -> str:
        mrid = f" (mRID {self._series_mrid})" if self._series_mrid else ""
        period = ""
        if self._period is not None:
            start, end = self._period
            period = f", Period {_iso(start)}/{_iso(end)}"
        return f"{self._label}, TimeSeries {self._series_number}{mrid}{period}"

    def _interval(self, element: etree._Element) -> tuple[datetime, datetime]:
        bounds = {
            self._name(child.tag): _text(child) for child in element if isinstance(child.tag, str)
        }
        try:
            start = _instant(bounds.get("start", ""))
            end = _instant(bounds.get("end", ""))
        except DocumentFault as fault:
            raise self._fault(
                f"a Period's timeInterval (line {element.sourceline}): {fault}"
            ) from None
        if not start < end:
            raise self._fault(
                f"a Period's timeInterval (line {element.sourceline}) starts at {_iso(start)}, "
                f"not before its end {_iso(end)}; a Period must start before it ends"
            )
        return start, end

    def _reason(self, element: etree._Element) -> Acknowledgement:
        fields = {
            self._name(child.tag): _text(child) for child in element if isinstance(child.tag, str)
        }
        return Acknowledgement(
            fields.get("code", ""),
            fields.get("text", ""),
            self._created_at(),
        )

    def _finish_period(self) -> tuple[Series, ...]:
        groups = [("", self._given[:]), *sorted(self._categorised.items())]
        self._given.clear()
        self._categorised = {}
        try:
            return tuple(self._series_of(given, category) for category, given in groups if given)
        finally:
            self._period = self._resolution = None
            self._limit = 0

    def _series_of(self, given: list[tuple[int, float]], category: str) -> Series:
        period, resolution = self._period, self._resolution
        if period is None or resolution is None:
            raise self._fault("a Period with points lacks its timeInterval or resolution")
        fields = self._series
        curve = fields.get("curveType", "")
        if curve not in _CURVES:
            raise UnsupportedDocument(
                f"{self._label}: curve type {curve!r} is not supported; this parser reads "
                "A01 (every position given) and A03 (omitted positions repeat the last value)"
            )
        ordered = self._ordered(given)
        start, end = period
        steps = resolution.steps(start, end)
        # Positions that came before the interval or resolution were not bounded on arrival.
        if ordered[-1][0] > steps:
            raise self._past_end(ordered[-1][0], steps, resolution)
        document = self._document
        key = SeriesKey(
            document_type=document.get("type", ""),
            process_type=document.get("process.processType", ""),
            business_type=fields.get("businessType", ""),
            psr_type=fields.get("psrType", ""),
            in_domain=(
                fields.get("inBiddingZone_Domain.mRID")
                or fields.get("in_Domain.mRID")
                or document.get("area_Domain.mRID")
                or document.get("controlArea_Domain.mRID", "")
            ),
            out_domain=(
                fields.get("outBiddingZone_Domain.mRID") or fields.get("out_Domain.mRID", "")
            ),
            classification_position=fields.get(
                "classificationSequence_AttributeInstanceComponent.position", ""
            ),
            resolution=resolution.code,
            price_category=category,
            flow_direction=fields.get("flowDirection.direction", ""),
        )
        if curve == "A03":
            self._budget.take(steps - ordered[0][0] + 1 - len(ordered), self._where())
            points = _repeat_omitted(ordered, start, resolution, steps)
        else:
            points = _as_given(ordered, start, resolution)
        return Series(
            key=key,
            points=points,
            unit=_unit(fields),
            curve_type=curve,
            revision=self._revision(),
            created_at=self._created_at(),
            period=Interval(start, end),
            contract_type=fields.get("contract_MarketAgreement.type", ""),
        )

    def _ordered(self, given: list[tuple[int, float]]) -> list[tuple[int, float]]:
        if any(before[0] >= after[0] for before, after in pairwise(given)):
            given = sorted(given)
            for before, after in pairwise(given):
                if before[0] == after[0]:
                    raise self._fault(
                        f"Point position {before[0]} appears twice in one Period "
                        f"(values {before[1]!r} and {after[1]!r}); each position is given once"
                    )
        return given

    def _revision(self) -> int:
        text = self._document.get("revisionNumber", "1")
        try:
            return int(text)
        except ValueError:
            raise DocumentFault(
                f"{self._label}: revisionNumber {text[:40]!r} is not a whole number"
            ) from None

    def _created_at(self) -> datetime | None:
        text = self._document.get("createdDateTime")
        if not text:
            return None
        try:
            return _instant(text)
        except DocumentFault as fault:
            raise DocumentFault(f"{self._label}: createdDateTime: {fault}") from None


def _as_given(
    ordered: list[tuple[int, float]], start: datetime, resolution: Resolution
) -> tuple[Point, ...]:
    stamps = [resolution.instant(start, position - 1) for position, _ in ordered]
    return tuple(map(Point, stamps, [value for _, value in ordered]))


def _repeat_omitted(
    ordered: list[tuple[int, float]], start: datetime, resolution: Resolution, steps: int
) -> tuple[Point, ...]:
    first = ordered[0][0]
    stop = steps + 1
    values = [0.0] * (stop - first)
    # A value holds until the next given position, the last one until the period ends.
    for (position, value), (until, _) in pairwise([*ordered, (stop, 0.0)]):
        values[position - first : until - first] = [value] * (until - position)
    return tuple(map(Point, resolution.instants(start, first - 1, stop - 1), values))


def _unit(fields: dict[str, str]) -> str:
    if "quantity_Measure_Unit.name" in fields:
        return fields["quantity_Measure_Unit.name"]
    currency = fields.get("currency_Unit.name", "")
    measure = fields.get("price_Measure_Unit.name", "")
    return f"{currency}/{measure}" if currency and measure else currency or measure


def _text(element: etree._Element) -> str:
    return (element.text or "").strip()


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise DocumentFault(f"{text[:40]!r} is not an ISO 8601 instant") from None
    if value.tzinfo is None:
        raise DocumentFault(f"instant {text!r} has no UTC offset")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise DocumentFault(f"instant {text!r} lies outside the years 1 to 9999 in UTC") from None


def _iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


def _drop(element: etree._Element) -> None:
    """Free a finished element and the already-read siblings before it."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]
