"""Schemathesis (a fuzzer nobody here wrote) against the local stack, driven by docs/openapi.json: a few hundred
generated requests, valid and invalid; no server error, every answer documented and in its documented shape."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from spendrail.policy import BudgetPolicy
from tests.e2e.conftest import Stack

ROOT = Path(__file__).resolve().parents[2]
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "ignored_auth",
]


def fuzz(stack: Stack, credential: str, examples: int, report_dir: Path, *selection: str) -> str:
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        str(ROOT / "docs" / "openapi.json"),
        "--url",
        stack.url,
        "--header",
        f"Authorization: Bearer {credential}",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(examples),
        "--seed",
        "20261128",
        "--workers",
        "2",
        "--request-timeout",
        "35",
        "--report",
        "junit",
        "--report-dir",
        str(report_dir),
        *selection,
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    print(run.stdout[-1500:])  # the summary: how many cases, which checks
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "passed" in run.stdout
    return run.stdout


def test_the_chat_route_gets_documented_answers_and_never_a_server_error(local_stack: Stack, tmp_path: Path) -> None:
    # A tenant of its own with a budget small enough that the run also meets stopped (429) answers.
    key = local_stack.tenant("fuzz-shop", BudgetPolicy(daily_cap_usd="0.002", monthly_cap_usd="1"))
    fuzz(local_stack, key, 300, tmp_path, "--include-tag", "chat")


def test_the_admin_routes_and_the_page_get_documented_answers(local_stack: Stack, tmp_path: Path) -> None:
    # With the admin token: valid bodies create tenants and keys, invalid ones must be refused in the error shape.
    fuzz(local_stack, local_stack.stack.config.admin_token, 25, tmp_path, "--exclude-tag", "chat")
