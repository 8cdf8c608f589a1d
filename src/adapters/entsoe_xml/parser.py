"""Parse ENTSO-E documents into series, streaming.

Reads ``GL_MarketDocument`` (load and generation), ``Publication_MarketDocument`` (prices and
flows, versions 7:0 and 7:3), ``Balancing_MarketDocument`` (imbalance prices and volumes) and
``Acknowledgement_MarketDocument`` (no data, or an error),
matching elements by local name whatever the namespace version, and ZIP bodies holding
several of them. The body is fed to a pull parser block by block. A ``Period``'s Points are
read together when it closes: when each is plain (a position, then a value), by XPath in C;
otherwise Point by Point, which names what is wrong. A Period spanning more of the body than
a year of quarter-hours does is read in batches while it is still being parsed. Each Period
is dropped from the tree once read, so memory holds the points of the series being built and
at most one long Period of the document.

Each ``Period`` of each ``TimeSeries`` becomes one :class:`~entsoe_core.observations.Series`,
keyed by everything that tells series apart (see ``SeriesKey``); a Period whose points carry
a price category (``imbalance_Price.category``: A04 excess, A05 insufficient balance) becomes
one series per category. A balancing document names its area once, for the whole document
(``area_Domain.mRID`` or ``controlArea_Domain.mRID``): every series of it takes that area as
its in domain; its series' ``flowDirection.direction`` (up, down) and
``standard_MarketProduct.marketProductType`` are part of their key. A Point of an aggregated
balancing energy bid holds three values (``quantity`` offered, ``secondaryQuantity`` activated,
``unavailable_Quantity.quantity``): each becomes a series of its own, told apart by its quantity
kind. A series about one unit keeps its ``registeredResource.mRID`` in its key.
Curve type A01 gives one point per position present; A03 repeats a value for the positions
left out after it, until the next given position or the end of the period.

A document that is well-formed but breaks a rule of its structure raises
:class:`~entsoe_core.errors.DocumentFault`, naming the rule, the value and where it stands
(TimeSeries, Period, Point position, line): a Period starts before it ends; its resolution is a
positive duration; every position is a whole number from 1 up to the number of steps the
Period holds, and appears once; every value is a finite number; a Point holds nothing but its
position, its value, its further values and its price category (an element it holds that this
parser does not read is a fault naming it, never skipped: it may be what tells two values
apart), and each element of a Point holds its text alone, given once. A Point outside the
points of a Period is a fault too: nothing would read it. Positions are checked against the
Period before any instant is computed, so no position, timestamp or resolution can make the
parser overflow or expand a curve past its Period.

:func:`parse_document` is the entry for other code (the importer, the HTTP adapter);
:func:`iter_parsed` yields the same results one by one, as they are read.
"""

from __future__ import annotations

import gc
import io
import math
import stat
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import chain, islice, pairwise, repeat
from operator import lt, sub
from pathlib import Path
from typing import Final

import attrs
from lxml import etree

from entsoe_core.errors import DocumentFault
from entsoe_core.observations import Point, Series, SeriesKey, points_of
from entsoe_core.resolution import Resolution
from entsoe_core.timeline import Interval

from .errors import BodyTooLarge, MalformedDocument, UnsupportedDocument
from .safe_xml import element_events, local_name, read_capped, root_name, safe_pull_parser

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
        "standard_MarketProduct.marketProductType",
        "registeredResource.mRID",
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
# Points are not watched: a Period's Points are read together (see _PlainPoints).
_STRUCTURE: Final = (
    "TimeSeries",
    "mRID",
    "Period",
    "timeInterval",
    "resolution",
    "Reason",
)
_WATCHED: Final = tuple(
    f"{{*}}{name}" for name in (*_STRUCTURE, *sorted(_SERIES_FIELDS | _DOCUMENT_FIELDS))
)
_VALUE_NAMES: Final = frozenset({"quantity", "price.amount", "imbalance_Price.amount"})
_CATEGORY_NAME: Final = "imbalance_Price.category"
# Further values a Point may hold beside its quantity (an aggregated balancing energy bid: the
# offered quantity, the activated secondaryQuantity, the unavailable quantity): each is a
# series of its own, keyed by the element's name.
_FURTHER_VALUE_NAMES: Final = ("secondaryQuantity", "unavailable_Quantity.quantity")
_CURVES: Final = frozenset({"A01", "A03", ""})
_FEED_BLOCK: Final = 256 * 1024
"""How much of a body the parser is given at a time."""
_OPEN_PERIOD_BYTES: Final = 4 * 1024 * 1024
"""How much of the body one Period may span before its finished Points are read and let go
while it is still being parsed. A year of quarter-hours (about 2.5 MB) is read whole, at the
Period's end; memory holds the points read and at most this much of the document's tree."""
_isfinite = math.isfinite
# Points that belong to no Period's list of points, once the Periods around them are read.
_STRAY_IN_PERIOD: Final = etree.XPath(
    "(*[local-name() != 'Point']/descendant::*[local-name() = 'Point'])[1]"
)
_STRAY_BEFORE: Final = etree.XPath(
    "(preceding-sibling::*/descendant-or-self::*[local-name() = 'Point'])[1]"
)
_STRAY_IN_SERIES: Final = etree.XPath(
    "(preceding-sibling::*/descendant-or-self::*[local-name() = 'Point']"
    " | descendant::*[local-name() = 'Point'])[1]"
)
_STRAY_IN_DOCUMENT: Final = etree.XPath("(descendant-or-self::*[local-name() = 'Point'])[1]")


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
    parser = safe_pull_parser(("start", "end"), _WATCHED)
    try:
        for block in _blocks(source):
            parser.feed(block)
            yield from reader.walk(element_events(parser))
            reader.read_open_period(len(block))
        document = parser.close()
        yield from reader.walk(element_events(parser))
    except etree.XMLSyntaxError as error:
        raise MalformedDocument(f"{label} is not well-formed XML: {error}") from None
    reader.refuse_stray_points(document, _STRAY_IN_DOCUMENT)
    if reader.acknowledgement is not None:
        yield reader.acknowledgement


def _blocks(source: bytes | Path) -> Iterator[bytes]:
    if isinstance(source, bytes):
        for start in range(0, len(source), _FEED_BLOCK):
            yield source[start : start + _FEED_BLOCK]
        return
    with source.open("rb") as stream:
        while block := stream.read(_FEED_BLOCK):
            yield block


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


class _PlainPoints:
    """Reads a Period's Points at once, in C, when each is plain: a position and one value.

    Two XPath walks read every position and every value of the Points asked for, after one
    that makes sure each Point holds a position and then a value, each with its text and
    nothing else, and that no Point stands elsewhere in the Period. Points that are anything
    else (a price category, further values, another element, a comment, an element without
    text) are not plain: they are read Point by Point instead, which names what is wrong. One
    reader serves every Period in one namespace.
    """

    def __init__(self, period_tag: str) -> None:
        namespace = period_tag[1:].rpartition("}")[0]
        self.point_tag = f"{{{namespace}}}Point" if namespace else "Point"
        self._value_tags = {
            f"{{{namespace}}}{name}" if namespace else name: name for name in _VALUE_NAMES
        }
        p = "p:" if namespace else ""
        spaces = {"p": namespace} if namespace else None
        self._paths: dict[tuple[bool, str], tuple[etree.XPath, ...]] = {}
        for every in (True, False):
            # All Points, or all but the last (which may still be being parsed).
            points = f"{p}Point" if every else f"{p}Point[position() < last()]"
            count = etree.XPath(f"count({points})", namespaces=spaces)
            # Given $n Points: nothing but Points beside the interval and resolution, no
            # Point within those, no third element in a Point, one node in each element.
            shaped = etree.XPath(
                f"count(*) = count({p}Point) + count({p}timeInterval) + count({p}resolution)"
                f" and not(({p}timeInterval | {p}resolution)//*[local-name() = 'Point'])"
                f" and not({points}/*[3])"
                f" and count({points}/*/node()) = 2 * $n",
                namespaces=spaces,
            )
            # The first element's text if it is the position, the second's if it is the
            # value: $n texts each means every Point holds the two, and each node is a text.
            positions = etree.XPath(
                f"{points}/*[1][self::{p}position]/text()", namespaces=spaces, smart_strings=False
            )
            for name in _VALUE_NAMES:
                values = etree.XPath(
                    f"{points}/*[2][self::{p}{name}]/text()",
                    namespaces=spaces,
                    smart_strings=False,
                )
                self._paths[every, name] = (count, shaped, positions, values)

    def read(self, period: etree._Element, *, every: bool) -> tuple[list[int], list[float]] | None:
        """The positions and values of the Period's Points (``every`` one, or all but the
        last), or None if they are not all plain."""
        first = period.find(self.point_tag)
        value = self._value_tags.get(first[1].tag) if first is not None and len(first) > 1 else None
        if value is None:
            return None
        count, shaped, position_texts, value_texts = self._paths[every, value]
        n = count(period)
        if not n or shaped(period, n=n) is not True:
            return None
        positions, values = position_texts(period), value_texts(period)
        if not (isinstance(positions, list) and isinstance(values, list)):
            return None
        if len(positions) != n or len(values) != n:
            return None
        try:
            return list(map(int, positions)), list(map(float, values))  # type: ignore[arg-type]
        except ValueError:
            return None


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
        # The Period being parsed, and the positions and values of its plain Points so far.
        self._open: etree._Element | None = None
        self._open_bytes = 0
        self._positions: list[int] = []
        self._values: list[float] = []
        self._plain: dict[str, _PlainPoints] = {}
        # The open Period's values that are not a plain Point's one value: by price category
        # and quantity kind (see SeriesKey).
        self._grouped: dict[tuple[str, str], list[tuple[int, float]]] = {}
        self.acknowledgement: Acknowledgement | None = None

    def _name(self, tag: str) -> str:
        name = self._names.get(tag)
        if name is None:
            name = self._names[tag] = local_name(tag)
        return name

    def walk(self, events: Iterator[tuple[str, etree._Element]]) -> Iterator[Series]:
        """Read the watched elements' events; yield the series of each Period as it closes."""
        for event, element in events:
            if event == "start":
                if self._name(element.tag) == "Period":
                    self._open, self._open_bytes = element, 0
                continue
            yield from self._on_end(element)

    def read_open_period(self, fed: int) -> None:
        """Read the finished Points of the Period being parsed, once it spans more of the
        body than a long Period does, and let them go."""
        if self._open is None:
            return
        self._open_bytes += fed
        if self._open_bytes > _OPEN_PERIOD_BYTES:
            self._open_bytes = 0
            with _collector_paused():
                self._read_points(self._open, closed=False)

    def refuse_stray_points(self, element: etree._Element, stray: etree.XPath) -> None:
        """Refuse a Point outside a Period's list of points: it would be read by none."""
        found = stray(element)
        if isinstance(found, list) and found and isinstance(found[0], etree._Element):
            raise DocumentFault(
                f"{self._label}: a Point (line {found[0].sourceline}) stands outside the "
                "points of a Period; a Point belongs to a Period, in a TimeSeries"
            )

    def _on_end(self, element: etree._Element) -> tuple[Series, ...]:
        name = self._name(element.tag)
        if name == "Period":
            with _collector_paused():
                self._read_points(element, closed=True)
                self._open = None
                series = self._finish_period()
            self.refuse_stray_points(element, _STRAY_BEFORE)
            _drop(element)
            return series
        if name == "TimeSeries":
            self.refuse_stray_points(element, _STRAY_IN_SERIES)
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

    def _read_points(self, period: etree._Element, *, closed: bool) -> None:
        """Read the Period's finished Points; while it is still being parsed, let them go."""
        if not closed and len(period) < 2:
            return
        plain = self._plain.get(period.tag)
        if plain is None:
            plain = self._plain[period.tag] = _PlainPoints(period.tag)
        # The last child of a Period still being parsed may be a Point not yet whole.
        every = closed or period[-1].tag != plain.point_tag
        read = plain.read(period, every=every) if self._limit else None
        if read is not None and self._fits(*read):
            self._positions += read[0]
            self._values += read[1]
        else:
            self._read_carefully(period if closed else list(period)[:-1])
            self.refuse_stray_points(period, _STRAY_IN_PERIOD)
        if not closed:
            del period[:-1]
            if 0 < self._limit < len(self._positions):
                # More Points than positions: some position is given twice. Said now, so
                # that a long Period repeating its Points cannot fill memory before it closes.
                self._ordered(self._positions, self._values)

    def _fits(self, positions: list[int], values: list[float]) -> bool:
        """Whether plainly read Points need no closer look: their positions rise within the
        Period, their values are finite."""
        return not positions or (
            positions[0] > 0
            and positions[-1] <= self._limit
            and all(map(lt, positions, islice(positions, 1, None)))
            and all(map(_isfinite, values))
        )

    def _read_carefully(self, children: Iterable[etree._Element]) -> None:
        """Read Point by Point, saying what is wrong with the first Point at fault."""
        positions, values = self._positions, self._values
        for element in children:
            if isinstance(element.tag, str) and self._name(element.tag) == "Point":
                point = self._point(element)
                if point is not None:
                    positions.append(point[0])
                    values.append(point[1])

    def _point(self, element: etree._Element) -> tuple[int, float] | None:
        """A Point's position and value; None for a Point with a price category, which is
        kept with its category's points. The further values of a Point (see
        ``_FURTHER_VALUE_NAMES``) are kept with their kind's points."""
        position: int | None = None
        value: float | None = None
        value_text = ""
        category: str | None = None
        further: list[tuple[str, float, str]] = []
        seen: set[str] = set()
        for child in element:
            if not isinstance(child.tag, str):
                continue
            child_name = self._name(child.tag)
            self._refuse_unplain_child(element, child, child_name, seen)
            text = _text(child)
            try:
                if child_name == "position":
                    position = int(text)
                elif child_name in _VALUE_NAMES:
                    value = float(text)
                    value_text = f"{child_name} {text[:40]!r}"
                elif child_name == _CATEGORY_NAME:
                    category = text
                elif child_name in _FURTHER_VALUE_NAMES:
                    further.append((child_name, float(text), f"{child_name} {text[:40]!r}"))
                else:
                    raise self._fault(
                        f"a Point (line {element.sourceline}) holds {child_name} "
                        f"{text[:40]!r}, which this parser does not read; a Point may hold "
                        f"position, {', '.join(sorted(_VALUE_NAMES))}, "
                        f"{', '.join(_FURTHER_VALUE_NAMES)} and {_CATEGORY_NAME}"
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
        for _, number, text in [("", value, value_text), *further]:
            if not _isfinite(number):
                raise self._fault(
                    f"Point position {position} (line {element.sourceline}) has {text}; "
                    "a value must be a finite number"
                )
        if self._period is not None and self._resolution is not None and position > self._limit:
            raise self._past_end(
                position, self._limit, self._resolution, f" (line {element.sourceline})"
            )
        if category == "":
            raise self._fault(
                f"Point position {position} (line {element.sourceline}) has an empty "
                f"{_CATEGORY_NAME}; it names the price's category (A04, A05)"
            )
        for kind, number, _ in further:
            self._grouped.setdefault((category or "", kind), []).append((position, number))
        if category is not None:
            self._grouped.setdefault((category, ""), []).append((position, value))
            return None
        return position, value

    def _refuse_unplain_child(
        self, point: etree._Element, child: etree._Element, name: str, seen: set[str]
    ) -> None:
        """A Point's element holds its text alone, and no element of a Point is given twice."""
        if len(child):
            raise self._fault(
                f"a Point (line {point.sourceline}) has {name} holding "
                f"{_describe(child[0])} beside its text; it holds a text and nothing else"
            )
        earlier = {name} & seen or (seen & _VALUE_NAMES if name in _VALUE_NAMES else set())
        if earlier:
            raise self._fault(
                f"a Point (line {point.sourceline}) holds {name} after "
                f"{', '.join(sorted(earlier))}; each is given once a Point"
            )
        seen.add(name)

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
        groups = [
            (("", ""), (self._positions, self._values)),
            *((key, _unzipped(given)) for key, given in sorted(self._grouped.items())),
        ]
        self._positions, self._values = [], []
        self._grouped = {}
        try:
            return tuple(
                self._series_of(positions, values, category, kind)
                for (category, kind), (positions, values) in groups
                if positions
            )
        finally:
            self._period = self._resolution = None
            self._limit = 0

    def _series_of(
        self, positions: list[int], values: list[float], category: str, kind: str
    ) -> Series:
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
        positions, values = self._ordered(positions, values)
        start, end = period
        steps = resolution.steps(start, end)
        # Positions that came before the interval or resolution were not bounded on arrival.
        if positions[-1] > steps:
            raise self._past_end(positions[-1], steps, resolution)
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
            market_product=fields.get("standard_MarketProduct.marketProductType", ""),
            quantity_kind=kind,
            registered_resource=fields.get("registeredResource.mRID", ""),
        )
        if curve == "A03":
            self._budget.take(steps - positions[0] + 1 - len(positions), self._where())
            points = _repeat_omitted(positions, values, start, resolution, steps)
        else:
            points = _as_given(positions, values, start, resolution)
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

    def _ordered(self, positions: list[int], values: list[float]) -> tuple[list[int], list[float]]:
        if all(map(lt, positions, islice(positions, 1, None))):
            return positions, values
        given = sorted(zip(positions, values, strict=True))
        for before, after in pairwise(given):
            if before[0] == after[0]:
                raise self._fault(
                    f"Point position {before[0]} appears twice in one Period "
                    f"(values {before[1]!r} and {after[1]!r}); each position is given once"
                )
        return _unzipped(given)

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
    positions: list[int], values: list[float], start: datetime, resolution: Resolution
) -> tuple[Point, ...]:
    """The points of rising positions, each at its own step."""
    first, last = positions[0], positions[-1]
    if last - first + 1 == len(positions):  # no position left out
        return points_of(resolution.instants(start, first - 1, last), values)
    return points_of([resolution.instant(start, position - 1) for position in positions], values)


def _repeat_omitted(
    positions: list[int], values: list[float], start: datetime, resolution: Resolution, steps: int
) -> tuple[Point, ...]:
    """The points of rising positions, each value repeated until the next given position, the
    last one until the period ends."""
    held = map(sub, chain(islice(positions, 1, None), (steps + 1,)), positions)
    filled = chain.from_iterable(map(repeat, values, held))
    return points_of(resolution.instants(start, positions[0] - 1, steps), filled)


def _unzipped(pairs: list[tuple[int, float]]) -> tuple[list[int], list[float]]:
    return [position for position, _ in pairs], [value for _, value in pairs]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (if it runs) while a Period is read.

    Reading a year of quarter-hours allocates hundreds of thousands of objects, none of them
    in a cycle, and the collections those allocations set off would cost more than reading.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _unit(fields: dict[str, str]) -> str:
    if "quantity_Measure_Unit.name" in fields:
        return fields["quantity_Measure_Unit.name"]
    currency = fields.get("currency_Unit.name", "")
    measure = fields.get("price_Measure_Unit.name", "")
    return f"{currency}/{measure}" if currency and measure else currency or measure


def _describe(node: etree._Element) -> str:
    if isinstance(node.tag, str):
        return f"an element <{local_name(node.tag)}>"
    return "a comment" if isinstance(node, etree._Comment) else "a processing instruction"


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
