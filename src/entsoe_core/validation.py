"""The rules an answer must keep before anything of it is stored.

The source is not trusted: a broken or hostile server can answer a request for one thing with
another, with values that are not numbers, or with points far outside what was asked for.
Every series is checked before a unit of work opens, and an answer that breaks a rule is a
:class:`~entsoe_core.errors.DocumentFault`: nothing of it is written.

Rules that need no request hold for any document, wherever it comes from (``entsoe parse``
and ``entsoe import`` apply them, see :func:`file_series`; ``entsoe import`` applies *one value
per instant* to the series of each file too, see :class:`InstantsOfAFile`):

- *known dataset*: the document, process and business type (and the contract type, for
  documents the API publishes for several market time frames) are those of one dataset of the
  catalogue, and the series names the domains that dataset files it under;
- *resolution*: the resolution is one the catalogue allows for that dataset;
- *finite values*: every value is a finite number (no NaN, no infinity).

Rules of a request hold for the answer to one chunk (see :func:`check_answer`):

- *document type* and *process type*: those of the chunk's dataset;
- *business type* and *contract type*: those the chunk's dataset asks for, where it names
  them (a day-ahead schedule is not a total one; a document that names no contract type holds
  the one asked for);
- *domain*: the domains are the chunk's area, in the domain parameter the dataset takes; the
  two directions of a border are distinct; a net position pairs the area with its region;
- *resolution* and *finite values*, as above;
- *inside the request*: every point lies inside the chunk's interval;
- *one value per instant*: no two series of the answer have a value at the same instant under
  the same key (the document would tell them apart by something not read).

One exception, and the only trimming: the API answers day-ahead prices (datasets with
``whole_days``) in whole delivery days, so an answer reaches past the chunk's edges by design.
For those, points inside the chunk's interval widened to whole days are accepted, and only the
points inside the chunk itself are kept; the rest belongs to the neighbouring chunks, which
fetch it themselves.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from entsoe_core.areas import AreaKey
from entsoe_core.datasets import DATASETS, REGION_CODE, Dataset, DomainParameter
from entsoe_core.errors import DocumentFault, UnstorableData
from entsoe_core.observations import Series, SeriesKey, dataset_for, filing_area
from entsoe_core.plan import Chunk
from entsoe_core.ports import ChunkData, SourceAnswer
from entsoe_core.timeline import Interval, floor_to_day

__all__ = [
    "FiledSeries",
    "InstantsOfAFile",
    "accepted_interval",
    "check_answer",
    "check_series",
    "file_series",
]

_DAY = timedelta(days=1)

log = logging.getLogger(__name__)


@attrs.frozen
class FiledSeries:
    """A series that keeps the rules needing no request, and where it is filed."""

    dataset: Dataset
    area: AreaKey
    series: Series


def file_series(series: Series, number: int) -> FiledSeries:
    """Check the rules that need no request; ``number`` is the series' place (from 1)."""
    try:
        dataset = dataset_for(series.key, series.contract_type)
        area = filing_area(dataset, series.key)
    except UnstorableData as error:
        raise _fault("known dataset", number, series.key, str(error)) from None
    _check_resolution(dataset, series, number)
    _check_values(series, number)
    return FiledSeries(dataset, area, series)


class InstantsOfAFile:
    """The rule *one value per instant* over the series of one file, read one at a time.

    A file is read as a stream, each series stored as it comes; the instants each key (of its
    dataset) has had a value at so far are remembered, so that a later series with a value at
    one of them is refused, as in the answer to a chunk, rather than stored over the first.
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[str, SeriesKey], set[datetime]] = {}
        self._spans: dict[tuple[str, SeriesKey], list[tuple[datetime, datetime, int]]] = {}

    def check(self, filed: FiledSeries, number: int) -> None:
        """Refuse ``filed`` (the ``number``-th series of the file) where a series before it
        has a value at one of its instants under the same key; else remember its instants."""
        if not filed.series.points:
            return
        slot = (filed.dataset.key, filed.series.key)
        seen = self._seen.setdefault(slot, set())
        stamps = [p.timestamp for p in filed.series.points]
        shared = seen.intersection(stamps)
        if shared:
            first = min(shared)
            earlier = next(n for low, high, n in self._spans[slot] if low <= first <= high)
            raise _fault(
                "one value per instant",
                number,
                filed.series.key,
                f"series {earlier} has a value at the same instant under the same key (the "
                f"first at {_instant(first)}); the document tells them apart by something this "
                "dataset does not read",
            )
        seen.update(stamps)
        self._spans.setdefault(slot, []).append((min(stamps), max(stamps), number))


def check_series(series: Sequence[Series]) -> tuple[FiledSeries, ...]:
    """:func:`file_series` for every series of a document, in order."""
    return tuple(file_series(one, number) for number, one in enumerate(series, 1))


def check_answer(chunk: Chunk, answer: SourceAnswer) -> SourceAnswer:
    """The answer to store for ``chunk``, after checking every rule of the request.

    Raises :class:`~entsoe_core.errors.DocumentFault` on the first broken rule. Returns the
    answer itself, except for whole-day datasets, whose points outside the chunk are left out.
    """
    if not isinstance(answer, ChunkData):
        return answer
    dataset = DATASETS.get(chunk.dataset)
    accepted = accepted_interval(dataset, chunk.interval)
    kept = []
    left_out = 0
    for number, series in enumerate(answer.series, 1):
        _check_identity(dataset, series, number)
        _check_domains(dataset, chunk.area, series, number)
        _check_resolution(dataset, series, number)
        _check_values(series, number)
        _check_inside(accepted, chunk.interval, series, number)
        if accepted == chunk.interval:
            kept.append(series)
            continue
        inside = tuple(p for p in series.points if chunk.interval.contains(p.timestamp))
        left_out += len(series.points) - len(inside)
        if inside:
            kept.append(attrs.evolve(series, points=inside))
    _check_one_value_per_instant(answer.series)
    if left_out:
        log.debug("left out %d points of the whole days answering %s", left_out, chunk)
    return ChunkData(tuple(kept))


def accepted_interval(dataset: Dataset, interval: Interval) -> Interval:
    """Where the points of an answer to ``interval`` may lie.

    The interval itself; for whole-day datasets, widened by a whole UTC day on each side of
    the UTC days it touches, which holds every local delivery day (23 to 25 hours long, in any
    time zone of the platform) that overlaps the interval.
    """
    if not dataset.whole_days:
        return interval
    first_day = floor_to_day(interval.start)
    last_day = floor_to_day(interval.end - timedelta.resolution)
    return Interval(first_day - _DAY, last_day + 2 * _DAY)


def _check_identity(dataset: Dataset, series: Series, number: int) -> None:
    key = series.key
    if key.document_type != dataset.document_type:
        raise _fault(
            "document type",
            number,
            key,
            f"document type {key.document_type or '(none)'}; the request was for "
            f"{dataset.key}, which is document type {dataset.document_type}",
        )
    if dataset.process_type is not None and key.process_type != dataset.process_type:
        raise _fault(
            "process type",
            number,
            key,
            f"process type {key.process_type or '(none)'}; the request was for "
            f"{dataset.key}, which is {dataset.document_type} with process type "
            f"{dataset.process_type}",
        )
    if dataset.business_type is not None and key.business_type != dataset.business_type:
        raise _fault(
            "business type",
            number,
            key,
            f"business type {key.business_type or '(none)'}; the request was for "
            f"{dataset.key}, which is business type {dataset.business_type}",
        )
    # A document that names no contract type holds the one its request asked for.
    if dataset.contract_type is not None and series.contract_type not in (
        "",
        dataset.contract_type,
    ):
        raise _fault(
            "contract type",
            number,
            key,
            f"contract type {series.contract_type}; the request was for {dataset.key}, which is "
            f"contract type {dataset.contract_type}",
        )


def _check_domains(dataset: Dataset, area: AreaKey, series: Series, number: int) -> None:
    into, out = series.key.in_domain, series.key.out_domain
    code = area.code
    domain = dataset.domain
    if domain is DomainParameter.BORDER:
        matches = out == code and into == area.to_code
    elif domain is DomainParameter.IN_AND_OUT_SAME:
        matches = into == out == code
    elif domain is DomainParameter.NET_POSITION:
        matches = {into, out} == {code, REGION_CODE}
    elif domain is DomainParameter.OUT_BIDDING_ZONE:
        matches = out == code and into in ("", code)
    elif domain in (DomainParameter.CONTROL_AREA, DomainParameter.AREA):
        matches = into == code and out == ""
    else:
        # A generation document's consumption series (a pumped-storage plant pumping) names
        # the area as its out domain alone.
        matches = (into == code and out in ("", code)) or (into == "" and out == code)
    if not matches:
        raise _fault(
            "domain",
            number,
            series.key,
            f"in_Domain {into or '(none)'} and out_Domain {out or '(none)'}; the request was "
            f"for {_requested_domains(domain, area)}",
        )


def _requested_domains(domain: DomainParameter, area: AreaKey) -> str:
    if domain is DomainParameter.BORDER:
        return f"out_Domain {area.code} and in_Domain {area.to_code} (the border {area})"
    if domain is DomainParameter.IN_AND_OUT_SAME:
        return f"in_Domain and out_Domain {area.code}"
    if domain is DomainParameter.NET_POSITION:
        return f"{area.code} as one domain and the region {REGION_CODE} as the other"
    return f"{domain.value} {area.code}"


def _check_resolution(dataset: Dataset, series: Series, number: int) -> None:
    resolution = series.key.resolution
    if resolution not in dataset.resolutions:
        raise _fault(
            "resolution",
            number,
            series.key,
            f"resolution {resolution or '(none)'}; {dataset.key} comes in "
            f"{', '.join(dataset.resolutions)}",
        )


def _check_values(series: Series, number: int) -> None:
    for timestamp, value in series.points:
        if not math.isfinite(value):
            raise _fault(
                "finite values",
                number,
                series.key,
                f"value {value!r} at {_instant(timestamp)}; every value must be a finite number",
            )


def _check_inside(accepted: Interval, asked: Interval, series: Series, number: int) -> None:
    if not series.points:
        return
    # Points are in time order unless a document is broken: look at all of them only then.
    if accepted.contains(min(series.points).timestamp) and accepted.contains(
        max(series.points).timestamp
    ):
        return
    outside = next(p.timestamp for p in series.points if not accepted.contains(p.timestamp))
    widened = "" if accepted == asked else f" (whole delivery days: {accepted})"
    raise _fault(
        "inside the request",
        number,
        series.key,
        f"a point at {_instant(outside)}, outside the interval asked for {asked}{widened}",
    )


def _check_one_value_per_instant(series: Sequence[Series]) -> None:
    # Series of one key follow each other (one per Period, or per delivery day): two values
    # at one instant under one key mean the document tells them apart by something not read,
    # and storing both would keep one and silently drop the other.
    spans: dict[SeriesKey, list[tuple[datetime, datetime, int]]] = {}
    for number, one in enumerate(series, 1):
        if one.points:
            stamps = [p.timestamp for p in one.points]
            spans.setdefault(one.key, []).append((min(stamps), max(stamps), number))
    for key, found in spans.items():
        found.sort()
        for index, (first, _, number) in enumerate(found):
            for _, last, earlier in found[:index]:
                if first > last:
                    continue
                mine = {p.timestamp for p in series[number - 1].points}
                shared = mine.intersection(p.timestamp for p in series[earlier - 1].points)
                if shared:
                    raise _fault(
                        "one value per instant",
                        number,
                        key,
                        f"series {earlier} has a value at the same instant under the same key "
                        f"(the first at {_instant(min(shared))}); the document tells them apart "
                        "by something this dataset does not read",
                    )


def _fault(rule: str, number: int, key: SeriesKey, detail: str) -> DocumentFault:
    return DocumentFault(f"document fault ({rule}) in series {number} [{_describe(key)}]: {detail}")


def _describe(key: SeriesKey) -> str:
    kind = f"{key.document_type}/{key.process_type}" if key.process_type else key.document_type
    parts = [kind or "no document type"]
    for label, value in (
        ("business type", key.business_type),
        ("psr type", key.psr_type),
        ("in", key.in_domain),
        ("out", key.out_domain),
        ("position", key.classification_position),
        ("resolution", key.resolution),
        ("price category", key.price_category),
        ("flow direction", key.flow_direction),
        ("market product", key.market_product),
        ("quantity", key.quantity_kind),
        ("registered resource", key.registered_resource),
    ):
        if value:
            parts.append(f"{label} {value}")
    return ", ".join(parts)


def _instant(instant: datetime) -> str:
    return instant.isoformat()
