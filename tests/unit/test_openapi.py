"""docs/openapi.json is generated from the code: it must match what the code generates and the routes it serves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spendrail.api import openapi
from tests.handlers import load_function

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_the_committed_document_is_what_the_code_generates() -> None:
    committed = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    assert committed == openapi.document(), (
        "docs/openapi.json is stale: run `python -m spendrail.api.openapi > docs/openapi.json`"
    )


def test_the_functions_serve_exactly_the_documented_routes(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"OPENROUTER_API_KEY": "sk-or-test", "POWERTOOLS_TRACE_DISABLED": "true"}.items():
        monkeypatch.setenv(name, value)
    served = set()
    for function in ("chat", "admin"):
        app = load_function(function).app
        served |= {(route.method, route.openapi_path) for route in app._static_routes + app._dynamic_routes}
    assert served == openapi.routes()


def test_every_documented_status_has_the_error_shape_or_the_answer() -> None:
    responses = openapi.document()["paths"]["/v1/chat"]["post"]["responses"]
    assert set(responses) == {"200", "400", "401", "403", "409", "415", "429", "502", "503", "504"}
    for status, response in responses.items():
        schema = response["content"]["application/json"]["schema"]["$ref"]
        assert schema.endswith("ChatResponse" if status == "200" else "ErrorBody")
    assert "Retry-After" in responses["429"]["headers"]
