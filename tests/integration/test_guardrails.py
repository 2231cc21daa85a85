"""The library entry point on the real composition root: moto DynamoDB from template.yaml, the simulator over HTTP."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest

from local.apigw import LambdaContext
from spendrail import Guardrails
from spendrail.errors import BudgetExceededError, TenantNotFoundError
from spendrail.money import usd_to_nanos
from spendrail.pricing import PricingCatalog
from tests.handlers import load_example
from tests.integration.conftest import FALLBACK, ChatHarness
from tests.integration.test_chat_api import _Capture, helicone  # noqa: F401 - the Helicone stand-in and its fixture
from tests.unit.test_chat_service import spend

MISTRAL = "mistralai/mistral-small-latest"


@pytest.fixture
def cached(chat: ChatHarness, monkeypatch: pytest.MonkeyPatch) -> ChatHarness:
    """The chat function's environment with the answer cache on; tenant "shop" ($1 a day) provisioned."""
    monkeypatch.setenv("CACHE_ENABLED", "true")
    return chat


def use_up(chat: ChatHarness) -> None:
    spend(chat.ledger, chat.ledger.snapshot("shop").daily.settled_room)


def test_an_answer_is_charged_and_its_repeat_is_served_free_from_the_cache(cached: ChatHarness) -> None:
    guardrails = Guardrails.from_env()
    first = guardrails.chat(tenant_id="shop", prompt="Do you ship to Canada?", customer_id="cust-9")
    assert (first.model, first.cached) == (MISTRAL, False)
    assert first.reply
    # The model's cost is OpenRouter's usage.cost; the ledger holds it and the cache's embedding, nothing held.
    price = PricingCatalog.load().price(MISTRAL)
    assert usd_to_nanos(first.cost_usd) > price.cost_nanos(first.input_tokens, first.output_tokens) > 0  # + embedding
    snapshot = cached.ledger.snapshot("shop")
    assert (snapshot.daily.spent, snapshot.daily.held, snapshot.open_holds) == (usd_to_nanos(first.cost_usd), 0, 0)
    sent = cached.sim.requests
    assert [r["path"].rsplit("/", 1)[-1] for r in sent] == ["embeddings", "completions"]
    assert sent[-1]["json"]["user"] == "cust-9"

    second = guardrails.chat(tenant_id="shop", prompt="Do you ship to Canada?", customer_id="cust-10")
    assert (second.cached, second.cost_usd, second.reply) == (True, Decimal(0), first.reply)
    assert second.saved_usd > 0
    assert len(cached.sim.requests) == 2  # no call to OpenRouter at all
    assert cached.ledger.snapshot("shop").daily.spent == snapshot.daily.spent


def test_a_stopped_budget_refuses_with_the_merchants_fallback(cached: ChatHarness) -> None:
    use_up(cached)
    with pytest.raises(BudgetExceededError) as refused:
        Guardrails.from_env().chat(tenant_id="shop", prompt="Is the blue jacket waterproof?", customer_id="c")
    assert refused.value.fallback_message == FALLBACK
    assert refused.value.retry_after > 0
    assert cached.sim.requests == []


def test_a_tenant_without_a_budget_is_refused_before_any_call(cached: ChatHarness) -> None:
    with pytest.raises(TenantNotFoundError):
        Guardrails.from_env().chat(tenant_id="no-such-shop", prompt="Hello?", customer_id="c")
    assert cached.sim.requests == []


def test_each_call_is_logged_to_helicone_before_chat_returns(
    chat: ChatHarness,
    helicone: str,  # noqa: F811 - the fixture imported above
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HELICONE_API_KEY", "hk-test")
    monkeypatch.setenv("HELICONE_URL", helicone)
    # Helicone answering in 0.2 s (within HELICONE_TIMEOUT_SECONDS): the log is recorded only as it is answered, so
    # it is there when chat returns only if chat waited for it, as the chat route's after-request hook does.
    received = _Capture.do_POST

    def slow(handler: _Capture) -> None:
        time.sleep(0.2)
        received(handler)

    monkeypatch.setattr(_Capture, "do_POST", slow)
    answer = Guardrails.from_env().chat(tenant_id="shop", prompt="Where is my parcel?", customer_id="c")
    [logged] = _Capture.bodies  # drained by the after-request hook: nothing is left in flight
    assert logged["json"]["providerRequest"]["json"]["model"] == answer.model
    assert Decimal(repr(logged["json"]["providerResponse"]["json"]["usage"]["cost"])) == answer.cost_usd


# ---- the example function (examples/order_followup) --------------------------------------------------------------


def follow_up(**detail: Any) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "Order follow-up asked",
        "source": "shop.orders",
        "detail": {"tenantId": "shop", "customerId": "cust-42", "orderId": "A-1001", **detail},
    }


def test_the_example_answers_a_follow_up_and_charges_the_merchant(cached: ChatHarness) -> None:
    app = load_example("order_followup")
    earlier = [{"role": "user", "content": "I ordered boots."}, {"role": "assistant", "content": "They shipped."}]
    context = LambdaContext(function_name="order-followup", timeout_s=10)
    result = app.lambda_handler(follow_up(question="When will they arrive?", earlier=earlier), context)
    assert result["answered"] is True
    assert result["reply"]
    assert usd_to_nanos(Decimal(result["costUsd"])) == cached.ledger.snapshot("shop").daily.spent > 0
    sent = cached.sim.requests[-1]["json"]
    assert [m["content"] for m in sent["messages"][1:]] == [
        "I ordered boots.",
        "They shipped.",
        "About my order A-1001: When will they arrive?",
    ]
    assert sent["user"] == "cust-42"


def test_the_example_sends_the_fallback_when_the_budget_is_used_up(cached: ChatHarness) -> None:
    app = load_example("order_followup")
    use_up(cached)
    spent = cached.ledger.snapshot("shop").daily.spent
    result = app.lambda_handler(follow_up(question="Can I change the size?"), LambdaContext(timeout_s=10))
    assert result == {"orderId": "A-1001", "reply": FALLBACK, "answered": False}
    assert cached.ledger.snapshot("shop").daily.spent == spent
    assert cached.sim.requests == []
