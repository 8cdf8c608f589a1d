"""``GET /areas``: the areas of the catalogue, with names, kinds and validity windows."""

from __future__ import annotations

from litestar import get

from entrypoints.wire import AreaBody
from entsoe_core.areas import AREAS

__all__ = ["ROUTES"]


@get(
    "/areas",
    summary="List areas",
    description="Every area data can be asked for, in catalogue order: alias, EIC code, name, "
    "kinds (bidding zone, control area, market balance area …), time zone and the window it "
    "existed in. The same bodies as `entsoe areas --json`.",
    tags=["datasets"],
)
async def list_areas() -> list[AreaBody]:
    return [AreaBody.of(area) for area in AREAS]


ROUTES = [list_areas]
