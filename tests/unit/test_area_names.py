"""Areas as newcomers name them: DE is refused with the choices, names get suggestions, and
the list of areas says what each is."""

from __future__ import annotations

import json

import msgspec
import pytest
from click.testing import CliRunner

from entrypoints.cli import main
from entrypoints.wire import AreaBody, area_kinds
from entsoe_core.areas import AREAS
from entsoe_core.errors import InvalidRequest
from entsoe_core.services.requests import BackfillRequest
from entsoe_core.timeline import utc


def test_de_is_refused_with_germanys_bidding_zones_and_tso_areas() -> None:
    with pytest.raises(InvalidRequest) as refused:
        BackfillRequest.parse(["DE"], ["day_ahead_prices"], utc(2024, 1, 1), utc(2024, 2, 1))

    message = str(refused.value)
    assert "'DE' is ambiguous" in message
    for choice in ("DE_LU", "DE_AT_LU", "DE_50HZ", "DE_AMPRION", "DE_TENNET", "DE_TRANSNET"):
        assert choice in message
    # The control area itself stays reachable by its EIC code.
    assert AREAS.get("10Y1001A1001A83F").name == "Germany"


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [("Germany", "DE_LU"), ("germany", "DE_AT_LU"), ("France", "FR"), ("Netherlands", "NL")],
)
def test_an_area_name_gets_the_aliases_of_the_areas_it_names(typed: str, suggested: str) -> None:
    with pytest.raises(
        InvalidRequest, match=rf"unknown area '{typed}' \(did you mean .*\b{suggested}\b"
    ):
        AREAS.get(typed)


def test_kinds_are_read_from_the_guides_abbreviations() -> None:
    assert area_kinds(AREAS.get("NL")) == ["bidding zone", "control area", "market balance area"]
    assert area_kinds(AREAS.get("DE_AMPRION")) == ["control area"]
    assert area_kinds(AREAS.get("CWE")) == ["region"]
    assert area_kinds(AREAS.get("DK")) == ["country"]


def test_entsoe_areas_lists_names_kinds_and_validity() -> None:
    runner = CliRunner()

    text = runner.invoke(main, ["areas"])
    listed = runner.invoke(main, ["areas", "--json"])

    assert text.exit_code == 0, text.output
    lines = {line.split()[0]: line for line in text.output.splitlines()}
    assert len(lines) == len(AREAS)
    assert "bidding zone" in lines["DE_LU"]
    assert "valid 2018-10-01.." in lines["DE_LU"]
    assert "valid ..2018-10-01" in lines["DE_AT_LU"]
    assert "ambiguous; give DE_LU" in lines["DE"]
    bodies = {body["alias"]: body for body in json.loads(listed.output)}
    assert bodies["DE_LU"]["valid_from"] == "2018-10-01T00:00:00Z"
    assert bodies["DE_LU"]["kinds"] == ["bidding zone", "market balance area"]
    assert bodies["DE"]["choose_instead"][0] == "DE_LU"
    assert bodies["NL"] == msgspec.to_builtins(AreaBody.of(AREAS.get("NL")))
