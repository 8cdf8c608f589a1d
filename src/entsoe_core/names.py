"""Human names for the codes that identify stored series, for everything that leaves the store.

Production (psr) types, business types, document and process types come from the ENTSO-E code
lists (:mod:`._code_table`, generated from the shared ``codes.csv``); areas and borders from the
area catalogue. Production types are named as the entsoe-py client names its DataFrame columns,
so that frames built here line up with the ones its users know: that client spells B11
"pondage", where the code list writes "poundage".
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from entsoe_core._code_table import CODE_ROWS
from entsoe_core.areas import AREAS, AreaKey
from entsoe_core.errors import InvalidRequest

__all__ = [
    "BUSINESS_TYPES",
    "DOCUMENT_TYPES",
    "FLOW_DIRECTIONS",
    "PRICE_CATEGORIES",
    "PROCESS_TYPES",
    "PSR_TYPES",
    "area_name",
    "code_list",
]

_ENTSOE_PY_SPELLING = {("psr_type", "B11"): "Hydro Run-of-river and pondage"}


def code_list(name: str) -> Mapping[str, str]:
    """The codes of one list (``psr_type``, ``business_type``, ``document_type``,
    ``process_type``) and their names."""
    found = {
        code: _ENTSOE_PY_SPELLING.get((list_name, code), meaning)
        for list_name, code, meaning in CODE_ROWS
        if list_name == name
    }
    if not found:
        lists = sorted({row[0] for row in CODE_ROWS})
        raise InvalidRequest(f"unknown code list {name!r}; one of {', '.join(lists)}")
    return MappingProxyType(found)


PSR_TYPES = code_list("psr_type")
BUSINESS_TYPES = code_list("business_type")
DOCUMENT_TYPES = code_list("document_type")
PROCESS_TYPES = code_list("process_type")
FLOW_DIRECTIONS: Mapping[str, str] = MappingProxyType({"A01": "Up", "A02": "Down"})
"""``flowDirection.direction`` of balancing series."""
PRICE_CATEGORIES: Mapping[str, str] = MappingProxyType(
    {"A04": "Excess balance", "A05": "Insufficient balance"}
)
"""``imbalance_Price.category`` of imbalance prices."""


def area_name(key: AreaKey) -> str:
    """An area's name from the catalogue; a border's as ``FROM name > TO name``."""
    first = AREAS.get(key.code).name
    return first if key.to_code is None else f"{first} > {AREAS.get(key.to_code).name}"
