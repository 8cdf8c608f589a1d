"""The error hierarchy of entsoe-backfill.

Adapters translate what goes wrong outside (HTTP statuses, database errors, malformed XML)
into these types, so services and entry points handle one vocabulary. Messages name the bad
value and what would be accepted; they never carry a security token.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from entsoe_core.limits import RequestSpan


class EntsoeBackfillError(Exception):
    """Base of every error this package raises on purpose."""


class InvalidRequest(EntsoeBackfillError, ValueError):
    """Input that can never succeed: an unknown area, a naive datetime, end before start …"""


class ConfigurationError(InvalidRequest):
    """A setting is missing or out of range."""


class NothingToFetch(EntsoeBackfillError):
    """A backfill whose every (dataset, area) is covered over its period: no job is made."""

    def __init__(self, targets: int, period: str) -> None:
        super().__init__(
            f"nothing to fetch: the {targets} (dataset, area) pair(s) are covered over {period}; "
            "no job was created"
        )
        self.targets = targets


class UnknownJob(EntsoeBackfillError, LookupError):
    """No backfill job has the given id."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"no backfill job with id {job_id!r}; `entsoe jobs` lists them")
        self.job_id = job_id


class IllegalTransition(EntsoeBackfillError):
    """A job or chunk was asked to move to a state its state machine does not allow."""

    def __init__(self, what: str, current: str, target: str) -> None:
        super().__init__(f"{what} cannot go from {current!r} to {target!r}")
        self.what = what
        self.current = current
        self.target = target


class LeaseLost(EntsoeBackfillError):
    """Another worker took over a chunk (its lease expired); this worker's result is void."""


class StorageError(EntsoeBackfillError):
    """The database refused an operation; the transaction was rolled back."""


class TransientStorageError(StorageError):
    """The connection to the database was lost or could not be made; worth retrying.

    The server terminated it, restarted, or refused or reset the connection while it comes
    back. The transaction was rolled back; the same unit of work may be tried again on a new
    connection.
    """


class UnstorableData(EntsoeBackfillError):
    """A document holds something the store cannot represent: an error, never a silent skip."""


class SourceError(EntsoeBackfillError):
    """The market data source failed to deliver a chunk."""


class NoDataPublished(SourceError):
    """The source answered that nothing is published for the interval (not a failure)."""


class RateLimited(SourceError):
    """The source refuses requests until ``until``; nothing may be sent before then."""

    def __init__(self, until: datetime, detail: str = "") -> None:
        message = f"rate limited by the source until {until.isoformat()}"
        super().__init__(f"{message}: {detail}" if detail else message)
        self.until = until


class TransientSourceError(SourceError):
    """5xx, time-outs, resets, truncated or malformed bodies: worth retrying."""


class PermanentSourceError(SourceError):
    """Bad request, token rejected, unsupported document: retrying cannot help."""


class SourceUnavailable(TransientSourceError):
    """The source as a whole looks down, not just this request: a maintenance page, "404 page
    not found" for a query, an HTML page or a ZIP archive where an XML document belongs.

    One such answer is retried like any transient failure; many in a row, across datasets, open
    the circuit breaker, and chunks wait for the source instead of failing.
    """


class RequestTooLong(PermanentSourceError):
    """The source refused the interval as longer than it allows for the dataset.

    ``limit`` is the longest period the refusal named ("P1M", "1 year(s)"), or ``None`` when
    it named none. The chunk is split into requests that fit, never failed for it.
    """

    def __init__(self, message: str, limit: RequestSpan | None) -> None:
        super().__init__(message)
        self.limit = limit


class TooManyInstances(PermanentSourceError):
    """The source refused the request as naming too many instances (units, series).

    The chunk is split in time, down to one day; a one-day chunk refused so fails.
    """


class DocumentFault(PermanentSourceError):
    """An answer that breaks a rule of the domain: nothing of it may be written.

    The message names the rule, the offending value and where it stands in the document, so
    that a failed chunk (or ``entsoe parse`` / ``entsoe import``) says exactly what was wrong.
    """
