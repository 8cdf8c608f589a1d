"""Which of two versions of a stored value wins, and what an upsert did.

ENTSO-E numbers the versions of a document with ``revisionNumber`` and stamps each with its
``createdDateTime``. The API sends revision 1 for nearly every document, corrections included,
so the revision alone cannot order them: versions are ordered by revision, then by creation
time. A document without a ``createdDateTime`` counts as older than any dated document of the
same revision, so an undated copy never overwrites a dated one; between two undated documents
of the same revision the later write wins, as between two with the same creation time.

Every store applies :meth:`Version.replaces` (the SQL stores in their upsert's ``WHERE``
clause), so the order is decided where the value is stored, in one statement.
"""

from __future__ import annotations

from datetime import datetime

import attrs

__all__ = ["UpsertResult", "Version"]


@attrs.frozen
class Version:
    """The version of a document a value comes from: its revision and creation time."""

    revision: int
    created_at: datetime | None = None

    def replaces(self, stored: Version) -> bool:
        """Whether a value of this version may replace a stored value of ``stored``.

        Yes for a higher revision, or the same revision and an equal or later creation time;
        an undated version replaces only an undated one of the same revision.
        """
        if self.revision != stored.revision:
            return self.revision > stored.revision
        if stored.created_at is None:
            return True
        return self.created_at is not None and self.created_at >= stored.created_at


@attrs.frozen
class UpsertResult:
    """What an upsert did with the points it was given.

    ``written``: inserted, or replaced a stored value. ``kept_newer``: not written, because the
    stored value comes from a newer version (see :class:`Version`). ``unchanged``: not
    written, because the stored row already holds the same value, unit and curve type from
    the same revision (a re-fetch or a second import of the same document). Its creation
    time does not count here: the API stamps every answer with the time it was made, so a
    re-fetch of data that did not change would otherwise rewrite every row; the stored row
    keeps the creation time of the copy that first brought its value. Together they are
    every point handed over.
    """

    written: int = 0
    kept_newer: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(
            self.written + other.written,
            self.kept_newer + other.kept_newer,
            self.unchanged + other.unchanged,
        )

    @property
    def points(self) -> int:
        return self.written + self.kept_newer + self.unchanged
