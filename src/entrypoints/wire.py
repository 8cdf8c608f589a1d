"""What leaves the application, in one place: the shapes of jobs, coverage and observations,
and the CSV and JSONL writers.

The CLI and the HTTP API both render through this module, so ``entsoe status --json`` prints
the HTTP API's job body, ``entsoe coverage --json`` its coverage body, ``entsoe datasets
--json`` its dataset bodies, ``entsoe plan --json`` the body of a dry run of ``POST
/backfills``, and ``entsoe export`` and ``GET /observations`` the same rows (``entsoe parse``
the key fields of those rows). The bodies are msgspec structs, so
that Litestar validates and documents them; each is built from a service's result by a named
classmethod.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Final, Literal, TextIO

import msgspec

from entrypoints.wide import WideTable, column_text
from entrypoints.zones import UTC_NAME, local_text, zone_name
from entsoe_core.areas import AMBIGUOUS, AREAS, Area, AreaKey
from entsoe_core.breaker import SourceState
from entsoe_core.datasets import DATASETS, Dataset
from entsoe_core.limits import LearnedLimit
from entsoe_core.names import BUSINESS_TYPES, PSR_TYPES, area_name
from entsoe_core.observations import Observation, Series, SeriesKey
from entsoe_core.progress import ChunkStatus
from entsoe_core.services.datasets import DatasetReport
from entsoe_core.services.plan_summary import PlanSummary
from entsoe_core.services.quality import SeriesQuality
from entsoe_core.services.requests import CoverageReport, JobReport
from entsoe_core.timeline import Interval

__all__ = [
    "COVERAGE_LEGEND",
    "DEFAULT_ROW_FORMAT",
    "EXPORT_FIELDS",
    "FIRST_HOLES",
    "QUALITY_FIELDS",
    "ROW_FIELDS",
    "ROW_FORMATS",
    "AreaBody",
    "AreaKindName",
    "ChunkCountsBody",
    "CoverageBody",
    "DatasetBody",
    "IntervalBody",
    "JobBody",
    "LearnedLimitBody",
    "ObservationRow",
    "ObservationsPage",
    "PlanBody",
    "PlanGroupBody",
    "QualityBody",
    "Row",
    "SourceOutageBody",
    "WideRow",
    "area_kind",
    "area_kinds",
    "export_row",
    "iter_rows",
    "json_text",
    "observation_rows",
    "quality_csv",
    "row",
    "row_format_for",
    "row_writer",
    "wide_rows",
]

# -- rows: entsoe parse, entsoe export, GET /observations ----------------------------------

Row = dict[str, str | float]
WideRow = dict[str, str | float | None]

ROW_FIELDS: Final = (
    "business_type",
    "classification_position",
    "curve_type",
    "document_type",
    "flow_direction",
    "in_domain",
    "market_product",
    "out_domain",
    "price_category",
    "process_type",
    "psr_type",
    "quantity_kind",
    "registered_resource",
    "resolution",
    "timestamp",
    "value",
)
"""The fields of a row, in the (sorted) order they are written."""
SPARSE_FIELDS: Final = frozenset(
    {"flow_direction", "market_product", "price_category", "quantity_kind", "registered_resource"}
)
"""Key fields that only some datasets have: a JSON row holds them only where they are set, so
rows of every other dataset keep their shape; a CSV row has a column for each."""

RowFormat = Literal["jsonl", "csv"]
ROW_FORMATS: Final[tuple[RowFormat, ...]] = ("jsonl", "csv")
DEFAULT_ROW_FORMAT: Final[RowFormat] = "jsonl"


def row(key: SeriesKey, curve_type: str, timestamp: datetime, value: float) -> Row:
    """One observation as a row: the series' key fields (the sparse ones where set), the UTC
    timestamp with ``Z``, the value."""
    found: Row = {
        "business_type": key.business_type,
        "classification_position": key.classification_position,
        "curve_type": curve_type,
        "document_type": key.document_type,
        "in_domain": key.in_domain,
        "out_domain": key.out_domain,
        "process_type": key.process_type,
        "psr_type": key.psr_type,
        "resolution": key.resolution,
        "timestamp": timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "value": value,
    }
    if key.flow_direction:
        found["flow_direction"] = key.flow_direction
    if key.price_category:
        found["price_category"] = key.price_category
    if key.market_product:
        found["market_product"] = key.market_product
    if key.quantity_kind:
        found["quantity_kind"] = key.quantity_kind
    if key.registered_resource:
        found["registered_resource"] = key.registered_resource
    return found


def iter_rows(series: Iterable[Series]) -> Iterator[Row]:
    """One row per point of every series, series by series."""
    for one in series:
        for point in one.points:
            yield row(one.key, one.curve_type, point.timestamp, point.value)


EXPORT_FIELDS: Final = (
    "timestamp",
    "value",
    "unit",
    "dataset",
    "area",
    "area_name",
    "resolution",
    "psr_type",
    "psr_type_name",
    "business_type",
    "business_type_name",
    "document_type",
    "process_type",
    "in_domain",
    "out_domain",
    "classification_position",
    "curve_type",
    "price_category",
    "flow_direction",
    "market_product",
    "quantity_kind",
    "registered_resource",
)
"""The fields of an exported row, in the order they are written: the instant, the value and
its unit first, then where it belongs (dataset, area), then the series' key fields, each code
followed by its name where one is known (empty where the code lists have none). Stored
observations leave the store in this shape (``entsoe export``, ``GET /observations``); a row of
``entsoe parse`` keeps the fields of :data:`ROW_FIELDS`."""


def export_row(observation: Observation) -> Row:
    """A stored observation as an exported row: the parsed row's fields (the sparse ones where
    set), with its unit, its dataset and area and their names, in :data:`EXPORT_FIELDS` order."""
    key = observation.key
    found: Row = {
        **row(key, observation.curve_type, observation.timestamp, observation.value),
        "unit": DATASETS.get(observation.dataset).unit,
        "dataset": observation.dataset,
        "area": AREAS.label(observation.area),
        "area_name": area_name(observation.area),
        "psr_type_name": PSR_TYPES.get(key.psr_type, ""),
        "business_type_name": BUSINESS_TYPES.get(key.business_type, ""),
    }
    return {field: found[field] for field in EXPORT_FIELDS if field in found}


def observation_rows(observations: Iterable[Observation], zone: tzinfo = UTC) -> Iterator[Row]:
    """Stored observations as exported rows, in the order given, timestamps in ``zone``."""
    # The names and the unit are looked up once per series, not once per point.
    templates: dict[tuple[str, AreaKey, SeriesKey, str], Row] = {}
    for one in observations:
        identity = (one.dataset, one.area, one.key, one.curve_type)
        template = templates.get(identity)
        if template is None:
            template = templates[identity] = export_row(one)
        yield {**template, "timestamp": local_text(one.timestamp, zone), "value": one.value}


def wide_rows(table: WideTable, unit: str) -> tuple[tuple[str, ...], list[WideRow]]:
    """A wide table as rows: ``timestamp`` (UTC, ``Z``), ``unit``, then one field per column,
    its levels joined by `` / `` (``Hydro Pumped Storage / Actual Consumption``), ``None``
    where a column has no value at that instant; and the fields in their order."""
    labels = tuple(column_text(label) for label in table.columns)
    rows: list[WideRow] = [
        {
            "timestamp": _instant_text(instant),
            "unit": unit,
            **dict(zip(labels, values, strict=True)),
        }
        for instant, values in table.rows
    ]
    return ("timestamp", "unit", *labels), rows


def row_format_for(output: Path | None) -> RowFormat:
    """The format a file's name asks for (``.csv``), else the default, JSONL."""
    if output is not None and output.suffix.lower() == ".csv":
        return "csv"
    return DEFAULT_ROW_FORMAT


def row_writer(
    out: TextIO, row_format: str, fields: Sequence[str] = ROW_FIELDS
) -> Callable[[Iterable[Mapping[str, str | float | None]]], None]:
    """A writer of rows to ``out``: CSV with its header first (the columns ``fields``), or one
    JSON object a line, each with ``fields`` in their order (:data:`ROW_FIELDS` for parsed rows,
    :data:`EXPORT_FIELDS` for stored ones); a JSON line leaves out a sparse field not set.

    The CSV header is written by the first call, so that nothing is written before the first
    rows are in hand (a read that fails early leaves the output empty).
    """
    if row_format == "csv":
        writer = csv.writer(out, lineterminator="\n")
        started = False

        def write_csv(rows: Iterable[Mapping[str, str | float | None]]) -> None:
            nonlocal started
            if not started:
                writer.writerow(fields)
                started = True
            writer.writerows(
                [r.get(field, "") if field in SPARSE_FIELDS else r[field] for field in fields]
                for r in rows
            )

        return write_csv
    if row_format == "jsonl":

        def write_jsonl(rows: Iterable[Mapping[str, str | float | None]]) -> None:
            out.writelines(
                json.dumps({field: r[field] for field in fields if field in r}) + "\n" for r in rows
            )

        return write_jsonl
    raise ValueError(f"unknown row format {row_format!r}; one of {', '.join(ROW_FORMATS)}")


class ObservationRow(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One stored observation, with the fields of an exported row in the order of
    :data:`EXPORT_FIELDS`; like it, it leaves a sparse key field out where it is not set."""

    timestamp: str
    value: float
    unit: str
    """MW, MWh or EUR/MWh: the dataset's unit."""
    dataset: str
    area: str
    area_name: str
    resolution: str
    psr_type: str
    psr_type_name: str
    """The production type's name ("Solar" for B16); empty where there is no production type."""
    business_type: str
    business_type_name: str
    document_type: str
    process_type: str
    in_domain: str
    out_domain: str
    classification_position: str
    curve_type: str
    price_category: str = ""
    flow_direction: str = ""
    market_product: str = ""
    quantity_kind: str = ""
    registered_resource: str = ""


class ObservationsPage(msgspec.Struct, frozen=True):
    """One page of observations; ``next_cursor`` is null on the last page."""

    items: list[ObservationRow]
    next_cursor: str | None
    tz: str = UTC_NAME
    """The zone of the items' timestamps (UTC: with ``Z``; else with their offset)."""

    @classmethod
    def of(
        cls, observations: Iterable[Observation], next_cursor: str | None, zone: tzinfo = UTC
    ) -> ObservationsPage:
        rows = observation_rows(observations, zone)
        items = [msgspec.convert(row, ObservationRow) for row in rows]
        return cls(items, next_cursor, zone_name(zone))


# -- jobs: entsoe status --json, entsoe jobs --json, /backfills -----------------------------

JobKindName = Literal["backfill", "gap_fill"]
JobStatusName = Literal["pending", "in_progress", "completed", "failed", "cancelled"]
SpanName = Literal["day", "month", "quarter", "year"]


class LearnedLimitBody(msgspec.Struct, frozen=True):
    """A dataset's request limit as the source stated it in a refusal."""

    dataset: str
    limit: str
    """The longest period one request may ask for, ISO 8601 ("P1M", "P1Y", "P10D")."""
    learned_at: datetime
    message: str
    """What the source said."""

    @classmethod
    def of(cls, learned: LearnedLimit) -> LearnedLimitBody:
        return cls(learned.dataset, str(learned.span), learned.learned_at, learned.message)


class ChunkCountsBody(msgspec.Struct, frozen=True):
    """A job's chunks by status."""

    pending: int
    in_flight: int
    done: int
    failed: int
    cancelled: int
    split: int
    """Replaced by smaller chunks after a refusal; counted in no total."""


class SourceOutageBody(msgspec.Struct, frozen=True):
    """The source is unavailable (the circuit breaker is open): nothing is sent but a probe
    now and then, and waiting chunks stay pending until it answers again."""

    since: datetime | None
    """The first of the failures in a row that opened the breaker."""
    failures: int
    last_failure: str | None
    last_failure_at: datetime | None
    next_probe_at: datetime | None

    @classmethod
    def of(cls, state: SourceState | None) -> SourceOutageBody | None:
        if state is None:
            return None
        return cls(
            since=state.failing_since,
            failures=state.failures,
            last_failure=state.last_failure,
            last_failure_at=state.last_failure_at,
            next_probe_at=state.next_probe_at,
        )


class JobBody(msgspec.Struct, frozen=True):
    """A backfill job and its counters."""

    id: str
    kind: JobKindName
    status: JobStatusName
    running: bool
    areas: list[str]
    datasets: list[str]
    start: datetime
    end: datetime
    created_at: datetime
    span: SpanName | None
    """The cap on the chunk span the job was planned with; null: none."""
    chunks: ChunkCountsBody
    chunks_total: int
    points_written: int
    points_kept: int
    points_unchanged: int
    """Points a re-fetch found stored already as they are, and did not write again."""
    holes: int
    requests: int
    elapsed_seconds: float | None
    eta_seconds: float | None
    last_error: str | None
    source_outage: SourceOutageBody | None
    """While the job waits for an unavailable source; null otherwise."""
    learned_limits: list[LearnedLimitBody]
    """The request limits learned from refusals for the job's datasets."""

    @classmethod
    def of(cls, report: JobReport) -> JobBody:
        job, counts = report.job, report.counts
        return cls(
            id=job.id,
            kind=job.kind.value,
            status=job.status.value,
            running=report.running,
            areas=list(job.areas),
            datasets=list(job.datasets),
            start=job.period.start,
            end=job.period.end,
            created_at=job.created_at,
            span=job.span.value if job.span is not None else None,
            chunks=ChunkCountsBody(
                pending=counts[ChunkStatus.PENDING],
                in_flight=counts[ChunkStatus.IN_FLIGHT],
                done=counts[ChunkStatus.DONE],
                failed=counts[ChunkStatus.FAILED],
                cancelled=counts[ChunkStatus.CANCELLED],
                split=counts.split,
            ),
            chunks_total=counts.total,
            points_written=counts.points_written,
            points_kept=counts.points_kept,
            points_unchanged=counts.points_unchanged,
            holes=report.holes,
            requests=counts.requests,
            elapsed_seconds=_seconds(report.elapsed),
            eta_seconds=_seconds(report.eta),
            last_error=report.last_error,
            source_outage=SourceOutageBody.of(report.outage),
            learned_limits=[LearnedLimitBody.of(limit) for limit in report.limits],
        )


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds(), 3)


# -- coverage: entsoe coverage --json, GET /coverage ----------------------------------------


class IntervalBody(msgspec.Struct, frozen=True):
    """A half-open interval ``[start, end)`` of UTC instants."""

    start: datetime
    end: datetime

    @classmethod
    def of(cls, interval: Interval) -> IntervalBody:
        return cls(interval.start, interval.end)


COVERAGE_LEGEND: Final = (
    ("covered", "fetched with data; final"),
    ("no data", 'the source answered "no data published"; final'),
    ("provisional", "fetched recently or with holes; gap-filling asks again"),
    ("missing", "never fetched"),
)
"""The four parts of a coverage report, which together make its whole window, each instant in
exactly one; ``entsoe coverage`` prints this legend."""


class CoverageBody(msgspec.Struct, frozen=True):
    """One (dataset, area)'s window in four disjoint parts that together make all of it:
    ``covered`` (fetched with data, final), ``no_data`` (the source answered "no data
    published", final), ``provisional`` (fetched recently or with holes: gap-filling asks
    again), ``missing`` (never fetched). Gap-filling fetches ``provisional`` and
    ``missing``."""

    dataset: str
    area: str
    area_label: str
    start: datetime
    end: datetime
    covered: list[IntervalBody]
    no_data: list[IntervalBody]
    provisional: list[IntervalBody]
    missing: list[IntervalBody]

    @classmethod
    def of(cls, report: CoverageReport) -> CoverageBody:
        parts = report.partition()
        return cls(
            dataset=report.dataset,
            area=str(report.area),
            area_label=AREAS.label(report.area),
            start=report.period.start,
            end=report.period.end,
            covered=[IntervalBody.of(i) for i in parts.covered],
            no_data=[IntervalBody.of(i) for i in parts.no_data],
            provisional=[IntervalBody.of(i) for i in parts.provisional],
            missing=[IntervalBody.of(i) for i in parts.missing],
        )


# -- plans: entsoe plan --json, POST /backfills?dry_run=true ------------------------------


class PlanGroupBody(msgspec.Struct, frozen=True):
    """The chunks planned for one (dataset, area): how many, the first and the last."""

    dataset: str
    area: str
    area_label: str
    chunks: int
    first: IntervalBody
    last: IntervalBody


class PlanBody(msgspec.Struct, frozen=True):
    """What a backfill would do, nothing written: its chunks by dataset and area, the
    requests they make (one per chunk as planned), and the time the request budget needs."""

    start: datetime
    end: datetime
    datasets: list[str]
    areas: list[str]
    """Every area (or border) of the request, scopes such as ``all`` expanded."""
    span: SpanName | None
    targets: int
    """The (dataset, area) pairs of the request."""
    complete: int
    """The pairs with nothing missing: no chunk planned."""
    chunks: int
    requests: int
    rate_limit_per_minute: float
    budget_seconds: float
    """requests / rate_limit_per_minute, in seconds: the least time the backfill takes."""
    groups: list[PlanGroupBody]

    @classmethod
    def of(cls, summary: PlanSummary) -> PlanBody:
        request = summary.request
        return cls(
            start=request.period.start,
            end=request.period.end,
            datasets=list(request.datasets),
            areas=[str(area) for area in request.areas],
            span=request.span.value if request.span is not None else None,
            targets=summary.targets,
            complete=summary.complete,
            chunks=summary.requests,
            requests=summary.requests,
            rate_limit_per_minute=summary.rate_per_minute,
            budget_seconds=round(summary.budget.total_seconds(), 3),
            groups=[
                PlanGroupBody(
                    dataset=group.dataset,
                    area=str(group.area),
                    area_label=AREAS.label(group.area),
                    chunks=group.chunks,
                    first=IntervalBody.of(group.first),
                    last=IntervalBody.of(group.last),
                )
                for group in summary.groups
            ],
        )


# -- quality: entsoe quality, GET /quality --------------------------------------------------

FIRST_HOLES: Final = 10
"""How many holes a quality row lists; ``holes`` counts them all."""


class QualityBody(msgspec.Struct, frozen=True):
    """The quality of one stored series over a period: points expected and stored, holes."""

    dataset: str
    area: str
    area_label: str
    document_type: str
    process_type: str
    business_type: str
    psr_type: str
    in_domain: str
    out_domain: str
    classification_position: str
    resolution: str
    price_category: str
    flow_direction: str
    market_product: str
    quantity_kind: str
    registered_resource: str
    start: datetime
    end: datetime
    expected: int
    stored: int
    missing: int
    holes: int
    holes_accepted: int
    first_holes: list[IntervalBody]
    last_fetch: datetime | None
    revision: int

    @classmethod
    def of(cls, quality: SeriesQuality) -> QualityBody:
        key = quality.key
        return cls(
            dataset=quality.dataset,
            area=str(quality.area),
            area_label=AREAS.label(quality.area),
            document_type=key.document_type,
            process_type=key.process_type,
            business_type=key.business_type,
            psr_type=key.psr_type,
            in_domain=key.in_domain,
            out_domain=key.out_domain,
            classification_position=key.classification_position,
            resolution=key.resolution,
            price_category=key.price_category,
            flow_direction=key.flow_direction,
            market_product=key.market_product,
            quantity_kind=key.quantity_kind,
            registered_resource=key.registered_resource,
            start=quality.period.start,
            end=quality.period.end,
            expected=quality.expected,
            stored=quality.stored,
            missing=quality.expected - quality.stored,
            holes=len(quality.holes),
            holes_accepted=quality.holes_accepted,
            first_holes=[IntervalBody.of(hole) for hole in quality.holes.intervals[:FIRST_HOLES]],
            last_fetch=quality.last_fetch,
            revision=quality.revision,
        )


QUALITY_FIELDS: Final = tuple(QualityBody.__struct_fields__)
"""The columns of the quality CSV: the fields of the JSON body, in its order."""


def quality_csv(out: TextIO, bodies: Iterable[QualityBody]) -> None:
    """Quality rows as CSV: instants in UTC with ``Z``; ``first_holes`` as ISO 8601
    intervals (``start/end``) separated by spaces."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(QUALITY_FIELDS)
    for body in bodies:
        writer.writerow(_csv_cell(getattr(body, field)) for field in QUALITY_FIELDS)


def _csv_cell(value: object) -> object:
    if isinstance(value, datetime):
        return _instant_text(value)
    if isinstance(value, list):
        return " ".join(f"{_instant_text(i.start)}/{_instant_text(i.end)}" for i in value)
    return "" if value is None else value


def _instant_text(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- datasets: entsoe datasets --json, GET /datasets --------------------------------------


AreaKindName = Literal["area", "border"]


def area_kind(dataset: Dataset) -> AreaKindName:
    """``border`` for a dataset about borders (``FROM>TO``), ``area`` for one of single areas."""
    return "border" if dataset.is_border else "area"


class DatasetBody(msgspec.Struct, frozen=True):
    """A dataset of the catalogue and its request limits: the catalogue's, the one learned from
    the source's refusals (null until one is), and the effective one, the tighter of both."""

    key: str
    title: str
    document_type: str
    process_type: str | None
    business_type: str | None
    """The ``businessType`` the request names, where it names one (``B09`` for net positions)."""
    contract_type: str | None
    """The ``contract_MarketAgreement.Type`` the request names: the dataset's market time frame."""
    domain: str
    """The request's domain parameter(s), e.g. ``in_Domain`` or ``out_Domain>in_Domain``."""
    area_kind: AreaKindName
    """What an area of it is: one area (``area``, scope ``all``) or a border (``border``,
    ``FROM>TO``, scope ``all-borders``)."""
    catalogue_limit: str
    learned_limit: str | None
    learned_at: datetime | None
    learned_message: str | None
    effective_limit: str
    publication_horizon: str
    """How far ahead of now data may be published, ISO 8601 ("P0D", "P2D")."""
    resolutions: list[str]
    unit: str
    """The unit of its values: MW, MWh or EUR/MWh."""

    @classmethod
    def of(cls, report: DatasetReport) -> DatasetBody:
        dataset, learned = report.dataset, report.learned
        return cls(
            key=dataset.key,
            title=dataset.title,
            document_type=dataset.document_type,
            process_type=dataset.process_type,
            business_type=dataset.business_type,
            contract_type=dataset.contract_type,
            domain=dataset.domain.value,
            area_kind=area_kind(dataset),
            catalogue_limit=str(dataset.max_request_span),
            learned_limit=None if learned is None else str(learned.span),
            learned_at=None if learned is None else learned.learned_at,
            learned_message=None if learned is None else learned.message,
            effective_limit=str(report.effective_limit),
            publication_horizon=f"P{dataset.publication_horizon.days}D",
            resolutions=list(dataset.resolutions),
            unit=dataset.unit,
        )


def json_text(body: object) -> str:
    """A body (a struct, or a list of them) as indented JSON, as the CLI prints it."""
    return msgspec.json.format(msgspec.json.encode(body), indent=2).decode()


# -- areas: entsoe areas --json, GET /areas -------------------------------------------------

_KIND_NAMES: Final = {
    "BZ": "bidding zone",
    "BZN": "bidding zone",
    "BZA": "bidding zone aggregation",
    "CA": "control area",
    "MBA": "market balance area",
    "CTA": "country",
}


def area_kinds(area: Area) -> list[str]:
    """What an area is, read from the abbreviations of its name in the API guide (``BZ``,
    ``CA``, ``MBA`` …); a region, or a country where the name is one alone."""
    tokens = re.findall(r"\b[A-Z]{2,3}\b", area.name)
    kinds = list(dict.fromkeys(_KIND_NAMES[t] for t in tokens if t in _KIND_NAMES))
    if kinds:
        return kinds
    return ["region"] if "Region" in area.name else ["country"]


class AreaBody(msgspec.Struct, frozen=True):
    """An area of the catalogue: its alias, EIC code, name, kinds, time zone and the window it
    existed in (null ends: no limit known)."""

    alias: str
    code: str
    name: str
    kinds: list[str]
    timezone: str
    valid_from: datetime | None
    valid_until: datetime | None
    aliases: list[str]
    """Every alias it is known by (the first is ``alias``)."""
    choose_instead: list[str]
    """For an alias that is refused as ambiguous (``DE``): what to give instead."""

    @classmethod
    def of(cls, area: Area) -> AreaBody:
        return cls(
            alias=area.label,
            code=area.code,
            name=area.name,
            kinds=area_kinds(area),
            timezone=area.timezone,
            valid_from=area.valid_from,
            valid_until=area.valid_until,
            aliases=list(area.aliases),
            choose_instead=list(AMBIGUOUS.get(area.label, ())),
        )
