"""Observation rows as Parquet: a fixed Arrow schema, one row group per page read.

The columns are those of the wire rows (:data:`entrypoints.wire.EXPORT_FIELDS`), so the Parquet
file, the CSV and the JSONL of an export hold the same fields. ``timestamp`` is an Arrow
``timestamp[us, tz]`` in the zone asked for, ``value`` a double, every other column text; a
sparse key field a series does not have is null.

Pages are written as they are read, so memory holds one page whatever the period. A page
comes as columns (:class:`~entsoe_core.columns.ObservationColumns`): each of its series is
turned into an exported row once (:func:`~entrypoints.wire.export_row`), and its points take
their text columns from that row with Arrow's ``take``; instants and values go into Arrow
arrays straight from the page's numbers. No object is made per point.

pyarrow is an optional dependency (the ``pandas`` extra); without it, Parquet output is
refused with the command that installs it.
"""

from __future__ import annotations

import io
from datetime import tzinfo
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO, Final

from entrypoints.wire import EXPORT_FIELDS, export_row
from entrypoints.zones import zone_name
from entsoe_core.columns import EPOCH, ObservationColumns
from entsoe_core.errors import ConfigurationError
from entsoe_core.observations import Observation

__all__ = ["PARQUET_EXTRA", "ParquetRows", "ParquetStream", "require_pyarrow", "row_schema"]

PARQUET_EXTRA: Final = "pip install 'entsoe-backfill[pandas]'"
"""What installs pyarrow, for the error that asks for it."""

_POINT_FIELDS: Final = ("timestamp", "value")
"""The fields that change from point to point; every other field is the series'."""


def require_pyarrow() -> tuple[ModuleType, ModuleType]:
    """``pyarrow`` and ``pyarrow.parquet``, or a ConfigurationError saying how to get them."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise ConfigurationError(
            f"Parquet output needs pyarrow, which is not installed; install it with {PARQUET_EXTRA}"
        ) from None
    return pyarrow, pyarrow.parquet


def row_schema(zone: tzinfo) -> Any:
    """The Arrow schema of exported rows: the wire fields in their order, timestamps in
    ``zone``."""
    pa, _ = require_pyarrow()
    types = {"timestamp": pa.timestamp("us", tz=zone_name(zone)), "value": pa.float64()}
    return pa.schema([pa.field(name, types.get(name, pa.string())) for name in EXPORT_FIELDS])


class ParquetRows:
    """One Parquet file written page by page; each :meth:`write` is one row group."""

    def __init__(self, sink: str | Path | BinaryIO | io.RawIOBase, zone: tzinfo) -> None:
        self._pa, parquet = require_pyarrow()
        self.schema = row_schema(zone)
        self._writer = parquet.ParquetWriter(
            sink if isinstance(sink, str | Path) else self._pa.PythonFile(sink, mode="w"),
            self.schema,
            compression="zstd",
        )
        self.rows = 0

    def write(self, page: ObservationColumns) -> None:
        """One row group of ``page`` (nothing for an empty page)."""
        if not len(page):
            return
        self._writer.write_table(self.table(page))
        self.rows += len(page)

    def table(self, page: ObservationColumns) -> Any:
        """``page`` as an Arrow table of :attr:`schema`."""
        pa = self._pa
        templates = [
            export_row(
                Observation(page.dataset, page.area, one.key, EPOCH, 0.0, one.unit, one.curve_type)
            )
            for one in page.series
        ]
        take = pa.array(page.series_index, pa.int32())
        columns = []
        for field in self.schema:
            if field.name == "timestamp":
                # Epoch microseconds are what an Arrow timestamp holds, whatever its zone.
                columns.append(pa.array(page.micros, field.type))
            elif field.name == "value":
                columns.append(pa.array(page.values, field.type))
            else:
                values = [template.get(field.name) for template in templates]
                columns.append(self._text_column(values, field.type, take))
        return pa.Table.from_arrays(columns, schema=self.schema)

    def _text_column(self, values: list[Any], kind: Any, take: Any) -> Any:
        """A text column from each series' value and each point's series: most are the same
        for every series of a page (or null for all), and are made without a lookup."""
        pa = self._pa
        first = values[0]
        if any(value != first for value in values):
            return pa.array(values, kind).take(take)
        if first is None:
            return pa.nulls(len(take), kind)
        return pa.repeat(pa.scalar(first, kind), len(take))

    def close(self) -> None:
        self._writer.close()


class ParquetStream:
    """A Parquet file produced in pieces, for streaming: :meth:`write` a page, then
    :meth:`take` the bytes written so far and send them."""

    def __init__(self, zone: tzinfo) -> None:
        self._buffer = _Pieces()
        self._rows = ParquetRows(self._buffer, zone)

    def write(self, page: ObservationColumns) -> bytes:
        """One row group; the bytes it completed."""
        self._rows.write(page)
        return self._buffer.take()

    def close(self) -> bytes:
        """The file's footer: the last bytes."""
        self._rows.close()
        return self._buffer.take()


class _Pieces(io.RawIOBase):
    """A write-only file that keeps what was written until it is taken."""

    def __init__(self) -> None:
        super().__init__()
        self._pieces: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        piece = bytes(data)
        self._pieces.append(piece)
        self._position += len(piece)
        return len(piece)

    def tell(self) -> int:
        return self._position

    def take(self) -> bytes:
        taken = b"".join(self._pieces)
        self._pieces.clear()
        return taken
