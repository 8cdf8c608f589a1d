"""Importing saved documents: every file read once, checked, and stored all or nothing."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from entsoe_core.errors import DocumentFault, InvalidRequest, SourceError
from entsoe_core.observations import Series
from entsoe_core.ports import Acknowledged, DocumentReaderPort, UnitOfWorkFactory
from entsoe_core.validation import FiledSeries, InstantsOfAFile, file_series
from entsoe_core.versions import UpsertResult

__all__ = ["ImportRefused", "ImportReport", "ImportService"]


class ImportRefused(InvalidRequest):
    """A file of an import could not be read or broke a rule: nothing of the import is stored."""


@attrs.frozen
class ImportReport:
    """What an import stored, and what the acknowledgements among its files said."""

    files: int
    stored: UpsertResult
    acknowledgements: tuple[tuple[str, str], ...] = ()
    """(file, what it said) for each file that held an acknowledgement instead of series."""


class ImportService:
    """Files the series of saved documents under their dataset and area, in one transaction.

    Each file is read once. Every series must keep the rules that need no request (a dataset of
    the catalogue, a resolution it allows, finite values), and the series of one file one value
    per instant under each key; the first file that cannot be read or breaks a rule rolls the
    whole import back. Stored values follow the version rule, so
    importing a file twice changes nothing and an older document never replaces a newer one.
    """

    def __init__(self, uow: UnitOfWorkFactory, read: DocumentReaderPort) -> None:
        self._uow = uow
        self._read = read

    async def import_files(self, names: Sequence[str]) -> ImportReport:
        stored = UpsertResult()
        acknowledgements: list[tuple[str, str]] = []
        async with self._uow() as uow:
            for name in names:
                try:
                    number = 0
                    instants = InstantsOfAFile()
                    for item in self._read(name):
                        if isinstance(item, Acknowledged):
                            acknowledgements.append((name, item.text))
                            continue
                        number += 1
                        filed = _filed(name, item, number, instants)
                        stored += await uow.store.upsert(
                            filed.dataset.key, filed.area, [filed.series]
                        )
                except (SourceError, InvalidRequest) as error:
                    raise ImportRefused(f"{error}; nothing was imported") from None
            await uow.commit()
        return ImportReport(len(names), stored, tuple(acknowledgements))


def _filed(name: str, series: Series, number: int, instants: InstantsOfAFile) -> FiledSeries:
    try:
        filed = file_series(series, number)
        instants.check(filed, number)
        return filed
    except DocumentFault as fault:
        # The parser's faults name the file already; these come from the rules on its series.
        raise DocumentFault(f"{name}: {fault}") from None
