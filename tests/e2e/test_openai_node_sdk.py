"""The npm `openai` SDK (package.json's pin, run by Node) against POST /v1/chat/completions on the local stack: a
JavaScript chatbot works by changing baseURL and apiKey, and a budget stop is a RateLimitError sent once.

tests/e2e/openai_node/cases.mjs runs every case and prints one JSON object; each test here asserts one case. Node and
the package are installed by `make install` (`npm ci`), so their absence fails the tests rather than skipping them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from spendrail.money import usd_to_nanos
from spendrail.policy import BudgetPolicy
from spendrail.pricing import PricingCatalog
from tests.e2e.conftest import Stack

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).with_name("openai_node") / "cases.mjs"
PINNED = json.loads((ROOT / "package.json").read_text())["devDependencies"]["openai"]
TENANT = "node-sdk"
NODE_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def results(local_stack: Stack) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on the PATH: install Node.js 20+ (README, Prerequisites)")
    if not (ROOT / "node_modules" / "openai" / "package.json").is_file():
        pytest.fail("node_modules/openai is missing: run `make install` (npm ci)")
    env = {
        **os.environ,
        "SPENDRAIL_BASE_URL": f"{local_stack.url}/v1",
        "SPENDRAIL_KEY": local_stack.tenant(TENANT, BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="10")),
        "SPENDRAIL_STOPPED_KEY": local_stack.tenant(
            "node-sdk-stopped", BudgetPolicy(daily_cap_usd="0.000001", monthly_cap_usd="1"), "Chat is paused."
        ),
    }
    run = subprocess.run(
        [node, str(CASES)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=NODE_TIMEOUT_S, check=False
    )
    assert run.returncode == 0, f"node exited {run.returncode}:\n{run.stderr}"
    parsed: dict[str, Any] = json.loads(run.stdout)
    return parsed


def case(results: dict[str, Any], name: str) -> dict[str, Any]:
    result = results[name]
    assert "unexpected" not in result, json.dumps(result, indent=2)
    assert isinstance(result, dict)
    return result


def usd(value: Any) -> Decimal:
    assert isinstance(value, int | float) and not isinstance(value, bool), value
    return Decimal(repr(value))


def test_the_pinned_sdk_ran_on_node_20_or_newer(results: dict[str, Any]) -> None:
    assert results["sdkVersion"] == PINNED
    assert int(results["node"].lstrip("v").split(".")[0]) >= 20


def test_a_plain_answer(results: dict[str, Any]) -> None:
    plain = case(results, "plain")
    assert plain["id"].startswith("chatcmpl-")
    assert (plain["object"], plain["role"], plain["finishReason"]) == ("chat.completion", "assistant", "stop")
    assert plain["model"] in {m.id for m in PricingCatalog.load().chat_models}
    assert plain["content"]
    usage = plain["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    assert usd(usage["cost"]) > 0
    assert usd(plain["spendrail"]["costUsd"]) == usd(usage["cost"])
    assert plain["spendrail"]["cached"] is False
    assert plain["attempts"] == 1


@pytest.mark.parametrize(("name", "usage_chunk"), [("streamWithUsage", True), ("streamWithoutUsage", False)])
def test_a_streamed_answer(results: dict[str, Any], name: str, usage_chunk: bool) -> None:
    streamed = case(results, name)
    assert streamed["objects"] == ["chat.completion.chunk"]
    assert streamed["firstRole"] == "assistant"
    assert streamed["content"]
    assert streamed["finishReasons"] == ["stop"]
    assert streamed["lastChoices"] == (0 if usage_chunk else 1)  # include_usage: OpenAI's choice-less usage chunk
    assert streamed["usagesBeforeLast"] == 0
    assert usd(streamed["usage"]["cost"]) > 0
    assert usd(streamed["spendrail"]["costUsd"]) == usd(streamed["usage"]["cost"])
    assert streamed["attempts"] == 1


def test_a_conversation_with_history_is_answered_and_not_cached(results: dict[str, Any]) -> None:
    history = case(results, "history")
    assert history["content"]
    assert history["cached"] == [False, False]
    assert all(usd(c) > 0 for c in history["costs"])


def test_the_same_question_twice_comes_from_the_cache(results: dict[str, Any]) -> None:
    twice = case(results, "cachedTwice")
    assert twice["cached"] == [False, True]
    assert usd(twice["costs"][0]) > 0 and usd(twice["costs"][1]) == 0
    assert twice["sameContent"] is True


def test_the_response_headers_carry_the_budget(results: dict[str, Any]) -> None:
    raw = case(results, "rawHeaders")
    assert raw["status"] == 200
    assert raw["budgetState"] == raw["spendrail"]["budget"]["state"] == "active"
    assert 0 < Decimal(raw["remainingUsd"]) < 1
    assert raw["requestId"] == raw["spendrail"]["requestId"]


def test_what_every_answer_cost_is_what_the_budget_spent(local_stack: Stack, results: dict[str, Any]) -> None:
    costs = [case(results, "plain")["usage"]["cost"], *case(results, "history")["costs"]]
    costs += [case(results, name)["usage"]["cost"] for name in ("streamWithUsage", "streamWithoutUsage")]
    costs += case(results, "cachedTwice")["costs"] + [case(results, "rawHeaders")["spendrail"]["costUsd"]]
    spent = local_stack.stack.ledger().snapshot(TENANT).daily.spent
    assert spent == sum(usd_to_nanos(usd(c)) for c in costs)


def test_a_budget_stop_is_a_rate_limit_error_sent_once(results: dict[str, Any]) -> None:
    stop = case(results, "budgetStop")
    assert (stop["errorClass"], stop["isApiError"], stop["status"]) == ("RateLimitError", True, 429)
    assert stop["attempts"] == 1  # maxRetries is 2 by default: x-should-retry: false kept the SDK from retrying
    assert (stop["type"], stop["code"]) == ("budget_exceeded", "budget_exceeded")
    assert stop["body"]["fallbackMessage"] == "Chat is paused."
    assert int(stop["retryAfter"]) > 0
    assert stop["shouldRetry"] == "false"


def test_a_bad_key_is_an_authentication_error(results: dict[str, Any]) -> None:
    bad = case(results, "badKey")
    assert (bad["errorClass"], bad["status"]) == ("AuthenticationError", 401)
    assert (bad["type"], bad["code"]) == ("authentication_error", "unauthorized")
    assert bad["attempts"] == 1


def test_an_unknown_model_is_a_bad_request_about_model(results: dict[str, Any]) -> None:
    bad = case(results, "badModel")
    assert (bad["errorClass"], bad["status"], bad["param"]) == ("BadRequestError", 400, "model")
    assert (bad["type"], bad["code"]) == ("invalid_request_error", "invalid_request")
    assert "auto" in bad["message"]
    assert bad["attempts"] == 1


def test_tools_are_refused_by_name(results: dict[str, Any]) -> None:
    bad = case(results, "tools")
    assert (bad["errorClass"], bad["status"], bad["param"]) == ("BadRequestError", 400, "tools")
    assert "tools" in bad["message"]
    assert bad["attempts"] == 1
