"""The query parameters of one request for one chunk (without the security token).

Which domain parameters a dataset takes comes from the catalogue; periods go out in UTC as
``yyyyMMddHHmm``. A chunk longer than its dataset's request limit is refused here, before
anything is sent, because the API would answer it with a 400 anyway; it is refused as too
long, with the catalogue's limit, so that it is split like a chunk the API refused (a job
planned before a limit was known holds such chunks).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from entsoe_core.datasets import DATASETS, Dataset, DomainParameter
from entsoe_core.errors import InvalidRequest, PermanentSourceError, RequestTooLong
from entsoe_core.plan import Chunk

__all__ = ["api_instant", "request_params"]

_MINUTE = timedelta(minutes=1)


def request_params(chunk: Chunk) -> dict[str, str]:
    """``documentType``, ``processType``, ``businessType``, ``contract_MarketAgreement.Type``,
    the domain(s) and the period of a chunk's request (those the dataset has).

    Raises :class:`~entsoe_core.errors.PermanentSourceError` for a chunk no request can serve
    (an unknown dataset, an area of the wrong shape), and its
    :class:`~entsoe_core.errors.RequestTooLong` for a period over the dataset's limit.
    """
    try:
        dataset = DATASETS.get(chunk.dataset)
        dataset.check_area(chunk.area)
    except InvalidRequest as error:
        raise PermanentSourceError(f"cannot request chunk {chunk}: {error}") from None
    interval = chunk.interval
    if not dataset.within_request_limit(interval):
        raise RequestTooLong(
            f"chunk {chunk} is longer than the {dataset.max_request_span} request "
            f"limit of {dataset.key}; plan it in shorter chunks",
            dataset.max_request_span,
        )
    params = {"documentType": dataset.document_type}
    if dataset.process_type is not None:
        params["processType"] = dataset.process_type
    if dataset.business_type is not None:
        params["businessType"] = dataset.business_type
    if dataset.contract_type is not None:
        params["contract_MarketAgreement.Type"] = dataset.contract_type
    params.update(_domains(dataset, chunk))
    # The API counts whole minutes: widen to them rather than lose the edges of the chunk.
    params["periodStart"] = api_instant(interval.start)
    params["periodEnd"] = api_instant(_ceil_minute(interval.end))
    return params


def api_instant(instant: datetime) -> str:
    """A UTC instant as the API writes it: ``yyyyMMddHHmm`` (seconds are dropped)."""
    return instant.strftime("%Y%m%d%H%M")


def _ceil_minute(instant: datetime) -> datetime:
    floor = instant.replace(second=0, microsecond=0)
    return floor if floor == instant else floor + _MINUTE


def _domains(dataset: Dataset, chunk: Chunk) -> dict[str, str]:
    area = chunk.area
    if dataset.domain is DomainParameter.OUT_BIDDING_ZONE:
        return {"outBiddingZone_Domain": area.code}
    if dataset.domain is DomainParameter.IN_DOMAIN:
        return {"in_Domain": area.code}
    if dataset.domain is DomainParameter.CONTROL_AREA:
        return {"controlArea_Domain": area.code}
    if dataset.domain is DomainParameter.AREA:
        return {"area_Domain": area.code}
    if dataset.domain in (DomainParameter.IN_AND_OUT_SAME, DomainParameter.NET_POSITION):
        return {"in_Domain": area.code, "out_Domain": area.code}
    # A border FROM>TO: power leaves FROM (out_Domain) and enters TO (in_Domain).
    return {"out_Domain": area.code, "in_Domain": area.to_code or ""}
