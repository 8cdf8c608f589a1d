"""Property-based run of the OpenAPI document against the live server (schemathesis).

Every operation is called with generated input, bearer token included so that the mutating
routes get past authorisation: no answer may be a 500, and every answer must have a status,
content type, headers and body that the document allows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from entrypoints.emulator import EmulatorConfig, emulator_in_thread
from entrypoints.http_api import api_in_thread
from tests.integration.test_http_api import (
    API_TOKEN,
    AUTH,
    backfill_body,
    finished,
    settings_for,
    wait_for,
)

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    database = tmp_path_factory.mktemp("schema") / "api.sqlite3"
    source = EmulatorConfig(seed=9, token=API_TOKEN)
    with (
        emulator_in_thread(source) as api_url,
        api_in_thread(settings_for(database, api_url)) as url,
    ):
        # Data for the documented examples, so that reads answer pages, not only errors.
        with httpx.Client(base_url=url) as client:
            body = backfill_body(areas=["NL"], datasets=["actual_total_load"])
            body.update(start="2024-01-01", end="2024-01-03")
            started = client.post("/backfills", json=body, headers=AUTH)
            assert wait_for(client, started.json()["id"], finished)["status"] == "completed"
        yield schemathesis.openapi.from_url(f"{url}/schema")


def test_the_server_keeps_to_its_openapi_document(api_schema: Any) -> None:
    # Each operation gets its own Hypothesis run, driven here rather than through
    # schemathesis' pytest plugin, whose node renaming breaks on new pytest releases.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 8, [operation.label for operation in operations]
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        def keeps_to_the_document(case: Any) -> None:
            case.call_and_validate(headers=AUTH, checks=CHECKS)

        try:
            keeps_to_the_document()
        except Exception as error:
            error.add_note(f"operation: {operation.label}")
            raise
