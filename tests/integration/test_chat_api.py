"""POST /v1/chat through the real handler: API Gateway v2 events, moto DynamoDB, the openai SDK over real HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from local.apigw import LambdaContext, api_gateway_event
from local.openrouter_sim import Fault
from spendrail.money import nanos_to_usd, usd_to_nanos
from spendrail.policy import BudgetPolicy
from spendrail.pricing import PricingCatalog
from spendrail.tenants.dynamodb import DynamoDBTenantDirectory
from spendrail.tenants.model import new_api_key
from spendrail.tenants.provision import revoke_key
from tests.handlers import load_function
from tests.integration.conftest import FALLBACK, ChatHarness

MISTRAL, GPT, LLAMA = "mistralai/mistral-small-latest", "openai/gpt-5.2-mini", "meta-llama/llama-3.3-70b-instruct"


def spent(chat: ChatHarness, tenant: str = "shop") -> int:
    return chat.ledger.snapshot(tenant).daily.spent


def test_a_question_is_answered_charged_and_reported(chat: ChatHarness) -> None:
    reply = chat.ask()
    assert reply.status == 200, reply.body
    body = reply.body
    assert set(body) == {
        "reply", "model", "costUsd", "savedUsd", "cached", "inputTokens", "outputTokens", "latencyMs", "requestId",
        "budget", "downgraded",
    }  # fmt: skip
    assert body["model"] == MISTRAL
    assert body["cached"] is False
    assert body["reply"]
    # The charge is OpenRouter's usage.cost, exactly as billed, and nothing is left held.
    cost = usd_to_nanos(Decimal(repr(body["costUsd"])))
    price = PricingCatalog.load().price(MISTRAL)
    assert cost == price.cost_nanos(body["inputTokens"], body["outputTokens"])
    snapshot = chat.ledger.snapshot("shop")
    assert (snapshot.daily.spent, snapshot.daily.held, snapshot.open_holds) == (cost, 0, 0)
    assert body["budget"] == {
        "state": "active",
        "dailyRemainingUsd": float(nanos_to_usd(1_000_000_000 - cost)),
        "monthlyRemainingUsd": float(nanos_to_usd(10_000_000_000 - cost)),
    }
    assert reply.headers["x-budget-state"] == "active"
    assert Decimal(reply.headers["x-budget-remaining-usd"]) == nanos_to_usd(1_000_000_000 - cost)
    # What OpenRouter was sent: the routed model, its fallback, the shopper as `user`, attribution headers.
    sent = chat.sim.requests[-1]
    assert sent["json"]["model"] == MISTRAL
    assert sent["json"]["models"] == [MISTRAL, GPT]
    assert sent["json"]["user"] == "cust-42"
    assert sent["json"]["max_tokens"] == 512
    assert sent["headers"]["authorization"] == "Bearer sk-or-test"
    assert sent["headers"]["x-title"] == "spendrail"
    assert sent["headers"]["http-referer"]


def test_a_fallback_model_is_billed_as_the_model_that_answered(chat: ChatHarness) -> None:
    chat.sim.inject(Fault.model(GPT))
    reply = chat.ask()
    assert reply.body["model"] == GPT
    price = PricingCatalog.load().price(GPT)
    assert spent(chat) == price.cost_nanos(reply.body["inputTokens"], reply.body["outputTokens"])


def test_without_usage_cost_the_price_table_is_used(chat: ChatHarness) -> None:
    chat.sim.inject(Fault.no_cost())
    reply = chat.ask()
    price = PricingCatalog.load().price(MISTRAL)
    assert spent(chat) == price.cost_nanos(reply.body["inputTokens"], reply.body["outputTokens"])


# ---- bad input --------------------------------------------------------------------------------------------------

GOOD = {"prompt": "Where is my parcel?", "customerId": "cust-1"}


@pytest.mark.parametrize(
    ("body", "key", "status", "code"),
    [
        (None, "default", 400, "invalid_request"),
        ("", "default", 400, "invalid_request"),
        ("{not json", "default", 400, "invalid_request"),
        ("[1, 2]", "default", 400, "invalid_request"),
        ('"just a string"', "default", 400, "invalid_request"),
        ({"prompt": 42, "customerId": "c"}, "default", 400, "invalid_request"),
        ({"prompt": "hi"}, "default", 400, "invalid_request"),
        ({**GOOD, "maxTokens": "512"}, "default", 400, "invalid_request"),
        ({**GOOD, "maxTokens": 1.5}, "default", 400, "invalid_request"),
        ({**GOOD, "maxTokens": True}, "default", 400, "invalid_request"),
        ({**GOOD, "prompt": ""}, "default", 400, "invalid_request"),
        ({**GOOD, "prompt": "   \n\t "}, "default", 400, "invalid_request"),
        ({**GOOD, "prompt": "x" * 4001}, "default", 400, "invalid_request"),
        ("x" * 40_000, "default", 400, "invalid_request"),
        ({**GOOD, "maxTokens": 10**9}, "default", 400, "invalid_request"),
        ({**GOOD, "maxTokens": 4096}, "default", 400, "invalid_request"),
        ({**GOOD, "maxTokens": 0}, "default", 400, "invalid_request"),
        ({**GOOD, "useCase": "poetry"}, "default", 400, "invalid_request"),
        ({**GOOD, "customerId": "has spaces"}, "default", 400, "invalid_request"),
        ({**GOOD, "conversationId": "../../etc"}, "default", 400, "invalid_request"),
        ({**GOOD, "surprise": 1}, "default", 400, "invalid_request"),
        ({**GOOD, "prompt": "bad \x00 byte"}, "default", 400, "invalid_request"),
        ('{"prompt": "lone \\ud800 surrogate", "customerId": "c"}', "default", 400, "invalid_request"),
        (GOOD, None, 401, "unauthorized"),
        (GOOD, "not-a-key", 401, "unauthorized"),
        (GOOD, new_api_key(), 401, "unauthorized"),
        ({**GOOD, "tenantId": "someone-else"}, "default", 403, "forbidden"),
    ],
)
def test_bad_input_gets_a_clear_4xx_and_costs_nothing(
    chat: ChatHarness, body: Any, key: str | None, status: int, code: str
) -> None:
    reply = chat.post(body, key=key)
    assert (reply.status, reply.error["code"]) == (status, code), reply.body
    assert reply.error["message"]
    assert "Traceback" not in str(reply.body)
    assert spent(chat) == 0
    assert chat.sim.requests == []


def test_field_errors_name_the_field(chat: ChatHarness) -> None:
    reply = chat.post({"prompt": 42, "customerId": "c"})
    assert [d["field"] for d in reply.error["details"]] == ["prompt"]


@pytest.mark.parametrize(
    "prompt",
    [
        "Où est ma commande ? 🙂",
        "我的订单在哪里",
        "\u202ereversed\u202d text",
        "زجاجة",
        "e\u0301\u0301\u0301",
        "🧑\u200d🧑\u200d🧒" * 100,
    ],
)
def test_odd_but_valid_unicode_is_answered(chat: ChatHarness, prompt: str) -> None:
    reply = chat.ask(prompt)
    assert reply.status == 200, reply.body
    assert spent(chat) > 0


def test_a_revoked_key_is_refused(chat: ChatHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_CACHE_SECONDS", "0")
    chat.module = load_function("chat")  # an instance that re-checks keys on every request
    assert chat.ask().status == 200
    revoke_key(DynamoDBTenantDirectory(chat.client, "tenants"), chat.key)
    reply = chat.ask()
    assert (reply.status, reply.error["code"]) == (401, "unauthorized")


def test_a_tenant_cannot_reach_another_tenants_budget(chat: ChatHarness) -> None:
    other_key = chat.provision("other-shop", BudgetPolicy(daily_cap_usd="0", monthly_cap_usd="0"))
    assert chat.ask().status == 200
    refused = chat.post({**GOOD, "tenantId": "shop"}, key=other_key)
    assert refused.status == 403
    stopped = chat.post(GOOD, key=other_key)
    assert stopped.status == 429  # its own empty budget, never shop's
    assert spent(chat, "other-shop") == 0


# ---- budget states ----------------------------------------------------------------------------------------------


def _spend(chat: ChatHarness, nanos: int) -> None:
    hold = chat.ledger.reserve("shop", nanos).hold
    assert hold is not None
    chat.ledger.settle(hold, nanos)


def test_a_stopped_budget_answers_429_with_retry_after_and_the_fallback_message(chat: ChatHarness) -> None:
    _spend(chat, 999_990_000)
    reply = chat.ask()
    assert (reply.status, reply.error["code"]) == (429, "budget_exceeded")
    assert reply.error["fallbackMessage"] == FALLBACK
    assert 0 < int(reply.headers["Retry-After"]) <= 86_400
    assert reply.error["retryAfterSeconds"] == int(reply.headers["Retry-After"])
    assert reply.error["budget"]["state"] == "stopped"
    assert chat.sim.requests == []


def test_degraded_budget_switches_to_the_cheapest_model(chat: ChatHarness) -> None:
    _spend(chat, 960_000_000)
    reply = chat.ask()
    assert reply.body["model"] == LLAMA
    assert reply.body["downgraded"] is True
    assert reply.body["budget"]["state"] == "degraded"


# ---- faults -----------------------------------------------------------------------------------------------------


# One rule (docs/api.md): retried once only when nothing can have been generated; never retried, and charged its
# hold as "in doubt", when the provider may have billed without saying what.
@pytest.mark.parametrize(
    ("faults", "status", "reason", "tries", "charged"),
    [
        ([Fault.status(500), Fault.status(500)], 502, "unavailable", 1, "nothing"),
        ([Fault.status(502), Fault.status(502)], 502, "unavailable", 2, "nothing"),
        ([Fault.status(503), Fault.status(503)], 503, "unavailable", 2, "nothing"),
        ([Fault.status(429, retry_after=7), Fault.status(429, retry_after=7)], 503, "rate_limited", 2, "nothing"),
        ([Fault.status(402)], 503, "credits", 1, "nothing"),
        ([Fault.status(408)], 504, "timeout", 1, "nothing"),
        ([Fault.status(401)], 502, "rejected", 1, "nothing"),
        ([Fault.status(504)], 504, "timeout", 1, "in doubt"),
        ([Fault.delay(5)], 504, "timeout", 1, "in doubt"),
        ([Fault.malformed()], 502, "malformed", 1, "in doubt"),
        ([Fault.truncated()], 502, "malformed", 1, "in doubt"),
        ([Fault.error_in_200()], 502, "midstream", 1, "usage"),
    ],
)
def test_upstream_faults_are_retried_only_when_free_and_charged_only_what_may_have_been_billed(
    chat: ChatHarness, faults: list[Fault], status: int, reason: str, tries: int, charged: str
) -> None:
    chat.sim.inject(*faults)
    reply = chat.ask()
    assert (reply.status, reply.error["code"], reply.error["reason"]) == (status, "upstream_error", reason)
    assert len(chat.sim.requests) == tries
    daily = chat.ledger.snapshot("shop").daily
    assert (daily.held, chat.ledger.snapshot("shop").open_holds) == (0, 0)  # never a lost hold
    assert (daily.spent > 0) is (charged != "nothing")
    assert daily.in_doubt == (daily.spent if charged == "in doubt" else 0)
    if reason == "rate_limited":
        assert reply.headers["Retry-After"] == "7"


def test_one_transient_error_is_retried_and_charged_once(chat: ChatHarness) -> None:
    chat.sim.inject(Fault.status(502))
    reply = chat.ask()
    assert reply.status == 200
    assert len(chat.sim.requests) == 2
    assert spent(chat) == usd_to_nanos(Decimal(repr(reply.body["costUsd"])))


def test_moderation_refusal_is_the_shoppers_input_not_an_outage(chat: ChatHarness) -> None:
    chat.sim.inject(Fault.status(403))
    reply = chat.ask()
    assert (reply.status, reply.error["code"], reply.error["reason"]) == (400, "invalid_request", "moderation")
    assert spent(chat) == 0


# ---- idempotency ------------------------------------------------------------------------------------------------


def test_a_retried_request_is_answered_once_and_charged_once(chat: ChatHarness) -> None:
    first = chat.post(GOOD, headers={"idempotency-key": "order-123-q1"})
    again = chat.post(GOOD, headers={"idempotency-key": "order-123-q1"})
    assert first.status == again.status == 200
    assert again.body == first.body
    assert len(chat.sim.requests) == 1
    assert spent(chat) == usd_to_nanos(Decimal(repr(first.body["costUsd"])))


def test_an_idempotency_key_reused_for_another_question_is_refused(chat: ChatHarness) -> None:
    chat.post(GOOD, headers={"idempotency-key": "k1"})
    reply = chat.post({**GOOD, "prompt": "Another question"}, headers={"idempotency-key": "k1"})
    assert (reply.status, reply.error["code"]) == (409, "idempotency_conflict")


def test_a_bad_idempotency_key_is_refused(chat: ChatHarness) -> None:
    reply = chat.post(GOOD, headers={"idempotency-key": "x" * 200})
    assert (reply.status, reply.error["code"]) == (400, "invalid_request")


def test_unknown_routes_answer_json_404(chat: ChatHarness) -> None:
    result = chat.module.lambda_handler(api_gateway_event("GET", "/v1/nothing"), LambdaContext())
    assert result["statusCode"] == 404
    assert "not_found" in result["body"]


# ---- Helicone ---------------------------------------------------------------------------------------------------


class _Capture(BaseHTTPRequestHandler):
    bodies: ClassVar[list[dict[str, Any]]] = []
    status: ClassVar[int] = 200

    def do_POST(self) -> None:
        length = int(self.headers["content-length"])
        _Capture.bodies.append({"auth": self.headers["authorization"], "json": json.loads(self.rfile.read(length))})
        self.send_response(_Capture.status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def helicone() -> Iterator[str]:
    _Capture.bodies, _Capture.status = [], 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/custom/v1/log"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("helicone_status", [200, 500])
def test_each_llm_call_is_logged_to_helicone_and_its_failure_never_fails_the_reply(
    chat: ChatHarness, helicone: str, monkeypatch: pytest.MonkeyPatch, helicone_status: int
) -> None:
    _Capture.status = helicone_status
    monkeypatch.setenv("HELICONE_API_KEY", "hk-test")
    monkeypatch.setenv("HELICONE_URL", helicone)
    chat.module = load_function("chat")
    reply = chat.ask()
    assert reply.status == 200
    [logged] = _Capture.bodies
    assert logged["auth"] == "Bearer hk-test"
    assert logged["json"]["providerRequest"]["json"]["model"] == MISTRAL
    assert logged["json"]["providerResponse"]["json"]["usage"]["cost"] == reply.body["costUsd"]
