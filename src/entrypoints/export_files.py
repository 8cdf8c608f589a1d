"""Where exported rows go: a stream, one file, one file per (dataset, area) in a directory,
or Parquet partitioned by dataset, area and year.

Each file is written beside its final name and renamed into place once every row is in it:
a failed export leaves an existing file as it was, and never a half-written one under the
final name. Each writer takes pages as the read service hands them over (observations for
CSV and JSONL, columns for Parquet), so memory holds one page however long the period.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Final, Literal, TextIO

from entrypoints.parquet_rows import ParquetRows
from entrypoints.wire import EXPORT_FIELDS, ROW_FORMATS, observation_rows, row_writer
from entrypoints.zones import TZ_FIELD, zoned_rows
from entsoe_core.areas import AREAS, AreaKey
from entsoe_core.columns import ObservationColumns, micros_of
from entsoe_core.errors import InvalidRequest
from entsoe_core.observations import Observation

__all__ = [
    "EXPORT_FORMATS",
    "ExportFormat",
    "TextPages",
    "YearPartitions",
    "area_part",
    "bytes_replaced_on_success",
    "export_format_for",
    "replaced_on_success",
    "target_stem",
]

ExportFormat = Literal["jsonl", "csv", "parquet"]
EXPORT_FORMATS: Final[tuple[ExportFormat, ...]] = (*ROW_FORMATS, "parquet")
SUFFIXES: Final[dict[str, ExportFormat]] = {".csv": "csv", ".parquet": "parquet"}


def export_format_for(output: Path | None) -> ExportFormat:
    """The format a file's name asks for (``.csv``, ``.parquet``), else JSONL."""
    if output is None:
        return "jsonl"
    return SUFFIXES.get(output.suffix.lower(), "jsonl")


def target_stem(dataset: str, area: AreaKey) -> str:
    """A file name (without suffix) for one (dataset, area): ``actual_total_load_NL``,
    ``cross_border_physical_flows_NL-BE``."""
    return f"{dataset}_{area_part(area)}"


def area_part(area: AreaKey) -> str:
    """An area (or border) as it can stand in a path: its alias, ``FROM-TO`` for a border."""
    return AREAS.label(area).replace(">", "-")


class TextPages:
    """CSV or JSONL rows, timestamps in ``zone``."""

    def __init__(self, out: TextIO, row_format: str, zone: tzinfo) -> None:
        # Rows in a zone other than UTC name it in a last column; UTC rows keep the shape of
        # `entsoe parse` rows, their `Z` naming the zone.
        fields = EXPORT_FIELDS if zone is UTC else (*EXPORT_FIELDS, TZ_FIELD)
        self._write = row_writer(out, row_format, fields)
        self._zone = zone

    def write(self, observations: Sequence[Observation]) -> None:
        self._write(zoned_rows(observation_rows(observations), self._zone))


class YearPartitions:
    """Parquet files partitioned the hive way, ``dataset=…/area=…/year=…/part-0.parquet``
    under ``root``, the year counted in ``zone``; each file is renamed into place once its
    year is complete (pages come in time order, so a year is never opened twice)."""

    def __init__(self, root: Path, dataset: str, area: AreaKey, zone: tzinfo) -> None:
        self._folder = root / f"dataset={dataset}" / f"area={area_part(area)}"
        self._zone = zone
        self._stack = contextlib.ExitStack()
        self._year: int | None = None
        self._rows: ParquetRows | None = None
        self.files: list[Path] = []

    def write(self, page: ObservationColumns) -> None:
        if not len(page):
            return
        first = page.timestamp(0).astimezone(self._zone).year
        last = page.timestamp(len(page) - 1).astimezone(self._zone).year
        start = 0
        for year in range(first, last + 1):
            # Points are in time order: a year's are those before the next year's first instant.
            new_year = micros_of(datetime(year + 1, 1, 1, tzinfo=self._zone))
            stop = bisect.bisect_left(page.micros, new_year, lo=start)
            if stop > start:
                rows = (
                    self._rows
                    if year == self._year and self._rows is not None
                    else self._open(year)
                )
                rows.write(page.part(start, stop))
            start = stop

    def _open(self, year: int) -> ParquetRows:
        self.close()
        path = self._folder / f"year={year}" / "part-0.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        out = self._stack.enter_context(bytes_replaced_on_success(path))
        self._rows = ParquetRows(out, self._zone)
        self._stack.callback(self._rows.close)
        self._year = year
        self.files.append(path)
        return self._rows

    def close(self) -> None:
        """Finish the open year's file and rename it into place."""
        self._stack.close()
        self._rows = None

    def __enter__(self) -> YearPartitions:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        # With an error, the open year's file is removed rather than renamed into place.
        self._stack.__exit__(kind, error, trace)
        self._rows = None


@contextlib.contextmanager
def replaced_on_success(path: Path) -> Iterator[TextIO]:
    """A text file beside ``path`` that is renamed to ``path`` if the block succeeds."""
    with _beside(path) as descriptor, open(descriptor, "w", encoding="utf-8", newline="") as out:
        yield out


@contextlib.contextmanager
def bytes_replaced_on_success(path: Path) -> Iterator[BinaryIO]:
    """A binary file beside ``path`` that is renamed to ``path`` if the block succeeds."""
    with _beside(path) as descriptor, open(descriptor, "wb") as out:
        yield out


@contextlib.contextmanager
def _beside(path: Path) -> Iterator[int]:
    """A temporary file beside ``path``, renamed to ``path`` once the block (which closes
    it) succeeds.

    Beside it, so that the rename stays on one file system and is atomic; on any failure
    (exit codes included) the temporary file goes and ``path`` is untouched.
    """
    try:
        descriptor, name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".partial"
        )
    except OSError as error:
        raise InvalidRequest(f"{path}: cannot write beside it: {error.strerror or error}") from None
    temporary = Path(name)
    try:
        # mkstemp makes the file private; the export gets the mode FILE has, or would get.
        os.chmod(descriptor, _mode_for(path))
        yield descriptor
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
