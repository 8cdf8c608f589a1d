"""The tables, as SQLAlchemy Core metadata. The schema itself is made by the migrations.

Observations are narrow on purpose: a row holds a small integer series id, the instant and the
value (plus its revision and provenance); everything that identifies the series lives once in
``series``. Key columns use the "C" collation on PostgreSQL so that the database orders series
keys exactly as Python orders strings (code point order, as SQLite does by default).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

__all__ = [
    "ERRED_CHUNK",
    "OPEN_CHUNK",
    "SERIES_KEY_COLUMNS",
    "UtcDateTime",
    "chunks",
    "coverage",
    "dataset_limits",
    "from_micros",
    "jobs",
    "metadata",
    "observations",
    "rate_limits",
    "schedule_rounds",
    "series",
    "source_state",
    "to_micros",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

OPEN_CHUNK = sa.text("status IN ('pending', 'in_flight')")
"""The chunks still to run: those ``ix_backfill_chunks_open`` holds."""
ERRED_CHUNK = sa.text("last_error IS NOT NULL")
"""The chunks with an error: those ``ix_backfill_chunks_errors`` holds."""


def to_micros(instant: datetime) -> int:
    """Microseconds since the epoch of a UTC-aware instant (how SQLite stores instants)."""
    if instant.tzinfo is None:
        raise ValueError(f"refusing to store the naive datetime {instant.isoformat()}")
    return (instant - _EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A UTC-aware instant: ``timestamptz`` on PostgreSQL, epoch microseconds on SQLite.

    SQLite has no time zone type; an integer keeps rows narrow, sorts correctly and makes
    interval arithmetic in SQL plain integer arithmetic.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return to_micros(value)
        if value.tzinfo is None:
            raise ValueError(f"refusing to store the naive datetime {value.isoformat()}")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return from_micros(int(value))
        assert isinstance(value, datetime)
        return value.astimezone(UTC)


def _key_text() -> sa.types.TypeEngine[str]:
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def _identity() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


metadata = sa.MetaData()

SERIES_KEY_COLUMNS = (
    "document_type",
    "process_type",
    "business_type",
    "psr_type",
    "in_domain",
    "out_domain",
    "classification_position",
    "resolution",
    "price_category",
    "flow_direction",
    "market_product",
    "quantity_kind",
    "registered_resource",
)
"""The :class:`~entsoe_core.observations.SeriesKey` fields, in its sort order."""

series = sa.Table(
    "series",
    metadata,
    sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
    sa.Column("dataset", sa.Text(), nullable=False),
    sa.Column("area", sa.Text(), nullable=False),
    *(sa.Column(name, _key_text(), nullable=False) for name in SERIES_KEY_COLUMNS),
    sa.UniqueConstraint("dataset", "area", *SERIES_KEY_COLUMNS, name="uq_series_identity"),
)

observations = sa.Table(
    "observations",
    metadata,
    sa.Column("series_id", sa.Integer(), nullable=False),
    sa.Column("ts", UtcDateTime(), nullable=False),
    sa.Column("value", sa.Float(), nullable=False),
    sa.Column("unit", sa.Text(), nullable=False),
    sa.Column("curve_type", sa.Text(), nullable=False),
    sa.Column("revision", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime()),
    sa.Column("ingested_at", UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("series_id", "ts", name="pk_observations"),
    sqlite_with_rowid=False,
)

coverage = sa.Table(
    "coverage",
    metadata,
    sa.Column("id", _identity(), sa.Identity(), primary_key=True),
    sa.Column("dataset", sa.Text(), nullable=False),
    sa.Column("area", sa.Text(), nullable=False),
    sa.Column("interval_start", UtcDateTime(), nullable=False),
    sa.Column("interval_end", UtcDateTime(), nullable=False),
    sa.Column("outcome", sa.Text(), nullable=False),
    sa.Column("fetched_at", UtcDateTime(), nullable=False),
    sa.Column("holes", sa.Text()),
    sa.Column("hole_count", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("holes_accepted", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Index("ix_coverage_lookup", "dataset", "area", "interval_start"),
    sa.Index("ix_coverage_last_fetch", "dataset", "area", "fetched_at"),
)

jobs = sa.Table(
    "backfill_jobs",
    metadata,
    sa.Column("seq", _identity(), sa.Identity(), primary_key=True),
    sa.Column("id", sa.Text(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("period_start", UtcDateTime(), nullable=False),
    sa.Column("period_end", UtcDateTime(), nullable=False),
    sa.Column("datasets", sa.Text(), nullable=False),
    sa.Column("areas", sa.Text(), nullable=False),
    sa.Column("span", sa.Text(), nullable=False),
    sa.Column("kind", sa.Text(), nullable=False),
    sa.Column("status", sa.Text(), nullable=False),
    sa.Column("started_at", UtcDateTime()),
    sa.Column("finished_at", UtcDateTime()),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.UniqueConstraint("id", name="uq_backfill_jobs_id"),
    sa.Index("ix_backfill_jobs_status", "status"),
)

chunks = sa.Table(
    "backfill_chunks",
    metadata,
    sa.Column("id", sa.Text(), primary_key=True),
    sa.Column(
        "job_id",
        sa.Text(),
        sa.ForeignKey("backfill_jobs.id", name="fk_chunks_job"),
        nullable=False,
    ),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("dataset", sa.Text(), nullable=False),
    sa.Column("area", sa.Text(), nullable=False),
    sa.Column("interval_start", UtcDateTime(), nullable=False),
    sa.Column("interval_end", UtcDateTime(), nullable=False),
    sa.Column("status", sa.Text(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("requests", sa.Integer(), nullable=False),
    sa.Column("points_written", sa.BigInteger(), nullable=False),
    sa.Column("points_kept", sa.BigInteger(), nullable=False, server_default="0"),
    sa.Column("points_unchanged", sa.BigInteger(), nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text()),
    sa.Column("lease_owner", sa.Text()),
    sa.Column("lease_expires_at", UtcDateTime()),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("updated_at", UtcDateTime()),
    sa.Column("parent_id", sa.Text()),
    sa.Column("holes", sa.Integer(), nullable=False, server_default="0"),
    sa.UniqueConstraint("job_id", "position", name="uq_backfill_chunks_position"),
    sa.Index("ix_backfill_chunks_status", "status", "job_id"),
    # The chunks still to run, in plan order: what a claim walks (migration 0006_scale).
    sa.Index(
        "ix_backfill_chunks_open",
        "job_id",
        "position",
        postgresql_where=OPEN_CHUNK,
        sqlite_where=OPEN_CHUNK,
    ),
    # The chunks with an error, where a report looks for the latest (migration 0006_scale).
    sa.Index(
        "ix_backfill_chunks_errors",
        "job_id",
        postgresql_where=ERRED_CHUNK,
        sqlite_where=ERRED_CHUNK,
    ),
)

rate_limits = sa.Table(
    "rate_limits",
    metadata,
    sa.Column("name", sa.Text(), primary_key=True),
    sa.Column("tokens", sa.Float(), nullable=False),
    sa.Column("refilled_at", UtcDateTime(), nullable=False),
    sa.Column("banned_until", UtcDateTime()),
)

dataset_limits = sa.Table(
    "dataset_limits",
    metadata,
    sa.Column("dataset", sa.Text(), primary_key=True),
    sa.Column("max_span", sa.Text(), nullable=False),
    sa.Column("learned_at", UtcDateTime(), nullable=False),
    sa.Column("message", sa.Text(), nullable=False),
)

source_state = sa.Table(
    "source_state",
    metadata,
    sa.Column("name", sa.Text(), primary_key=True),
    sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("unavailable_since", UtcDateTime()),
    sa.Column("next_probe_at", UtcDateTime()),
    sa.Column("probe_seconds", sa.Float(), nullable=False, server_default="0"),
    sa.Column("last_failure", sa.Text()),
    sa.Column("last_failure_at", UtcDateTime()),
    sa.Column("last_success_at", UtcDateTime()),
)

schedule_rounds = sa.Table(
    "schedule_rounds",
    metadata,
    sa.Column("dataset", sa.Text(), nullable=False),
    sa.Column("due_at", UtcDateTime(), nullable=False),
    sa.Column("state", sa.Text(), nullable=False),
    sa.Column("owner", sa.Text(), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("lease_expires_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime()),
    sa.Column("job_id", sa.Text()),
    sa.Column("note", sa.Text(), nullable=False, server_default=""),
    sa.PrimaryKeyConstraint("dataset", "due_at", name="pk_schedule_rounds"),
)
