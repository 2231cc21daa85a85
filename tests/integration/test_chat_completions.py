"""POST /v1/chat/completions through the chat function as API Gateway calls it: moto, the OpenRouter simulator over
HTTP, OpenAI's wire format in and out. (The openai SDKs themselves drive it in tests/e2e.)"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from local.apigw import LambdaContext, api_gateway_event
from local.openrouter_sim import Fault
from spendrail.policy import BudgetPolicy
from tests.handlers import load_function
from tests.integration.conftest import FALLBACK, ChatHarness

MISTRAL, GPT, LLAMA = "mistralai/mistral-small-latest", "openai/gpt-5.2-mini", "meta-llama/llama-3.3-70b-instruct"
QUESTION = [{"role": "user", "content": "How do I track my order?"}]


@dataclass
class Raw:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.text))

    @property
    def error(self) -> dict[str, Any]:
        return dict(self.json["error"])

    def events(self) -> list[Any]:
        """The SSE body's data lines, decoded (the last one is the literal [DONE])."""
        assert self.text.endswith("data: [DONE]\n\n")
        blocks = [b for b in self.text.split("\n\n") if b]
        assert all(b.startswith("data: ") for b in blocks), blocks
        return [json.loads(b[6:]) if b != "data: [DONE]" else "[DONE]" for b in blocks]


@pytest.fixture
def chat(chat: ChatHarness, monkeypatch: pytest.MonkeyPatch) -> ChatHarness:
    """The conftest's harness with the answer cache on, as deployed (the simulator's embeddings, over HTTP)."""
    monkeypatch.setenv("CACHE_ENABLED", "true")
    chat.module = load_function("chat")
    return chat


def asked(chat: ChatHarness) -> list[dict[str, Any]]:
    """The chat-completion bodies OpenRouter received (not the embeddings)."""
    return [r["json"] for r in chat.sim.requests if r["path"].endswith("/chat/completions")]


def complete(
    chat: ChatHarness, body: Any, *, key: str | None = "default", headers: dict[str, str] | None = None
) -> Raw:
    all_headers = {"content-type": "application/json", **(headers or {})}
    if key is not None:
        all_headers["authorization"] = f"Bearer {chat.key if key == 'default' else key}"
    event = api_gateway_event("POST", "/v1/chat/completions", headers=all_headers, body=body)
    result = chat.module.lambda_handler(event, LambdaContext(function_name="chat", timeout_s=30))
    return Raw(result["statusCode"], result.get("headers", {}), result["body"])


def spent(chat: ChatHarness, tenant: str = "shop") -> int:
    return chat.ledger.snapshot(tenant).daily.spent


def _spend(chat: ChatHarness, nanos: int) -> None:
    hold = chat.ledger.reserve("shop", nanos).hold
    assert hold is not None
    chat.ledger.settle(hold, nanos)


def test_an_openai_request_is_answered_charged_and_reported_in_openais_shape(chat: ChatHarness) -> None:
    reply = complete(chat, {"model": "auto", "messages": QUESTION, "user": "cust-42"})
    assert reply.status == 200
    body = reply.json
    assert (body["object"], body["id"]) == ("chat.completion", f"chatcmpl-{body['spendrail']['requestId']}")
    [choice] = body["choices"]
    assert choice["message"]["role"] == "assistant"
    assert choice["message"]["content"]
    assert choice["finish_reason"] == "stop"
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    assert usage["cost"] == body["spendrail"]["costUsd"] > 0
    assert spent(chat) == round(usage["cost"] * 1e9)  # the ledger charged what the answer says it cost
    assert reply.headers["x-budget-state"] == body["spendrail"]["budget"]["state"] == "active"
    assert float(reply.headers["x-budget-remaining-usd"]) == pytest.approx(1 - usage["cost"])
    [sent] = asked(chat)
    assert sent["user"] == "cust-42"  # the shopper's id, as on /v1/chat


@pytest.mark.parametrize("include_usage", [False, True])
def test_a_streamed_answer_is_server_sent_events_ending_in_usage_and_done(
    chat: ChatHarness, include_usage: bool
) -> None:
    body: dict[str, Any] = {"model": "auto", "messages": QUESTION, "stream": True}
    if include_usage:
        body["stream_options"] = {"include_usage": True}
    reply = complete(chat, body)
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "text/event-stream"
    events = reply.events()
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    plain = complete(chat, {"model": "auto", "messages": QUESTION}).json  # the same question: now from the cache
    assert text == plain["choices"][0]["message"]["content"]
    last = chunks[-1]
    assert last["usage"]["cost"] > 0
    assert spent(chat) == round(last["usage"]["cost"] * 1e9)  # settled from the final usage
    if include_usage:  # as OpenAI sends it: a chunk of its own, no choices
        assert last["choices"] == []
        assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    else:  # riding on the finish chunk, so a client reading choices[0] of every chunk works
        assert last["choices"][0]["finish_reason"] == "stop"


def test_a_conversation_is_sent_whole_with_the_chatbots_system_prompt_and_never_cached(chat: ChatHarness) -> None:
    messages = [
        {"role": "system", "content": "You are Shopbot. Answer in one sentence."},
        {"role": "user", "content": "Hi, I ordered shoes."},
        {"role": "assistant", "content": [{"type": "text", "text": "Thanks! How can I help?"}]},
        {"role": "user", "content": "How do I track my order?"},
    ]
    first = complete(chat, {"model": "auto", "messages": messages})
    again = complete(chat, {"model": "auto", "messages": messages})
    assert (first.status, again.status) == (200, 200)
    assert again.json["spendrail"]["cached"] is False  # an answer that may depend on earlier turns is not shared
    sent = asked(chat)[0]["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[0]["content"] == "You are Shopbot. Answer in one sentence."  # the chatbot's, not the use case's
    assert sent[2]["content"] == "Thanks! How can I help?"


def test_answers_made_under_another_system_prompt_are_not_served_from_the_cache(chat: ChatHarness) -> None:
    def ask(system: str) -> dict[str, Any]:
        messages = [{"role": "system", "content": system}, *QUESTION]
        return complete(chat, {"model": "auto", "messages": messages}).json

    assert ask("Answer in French.")["spendrail"]["cached"] is False
    assert ask("Answer in German.")["spendrail"]["cached"] is False
    assert ask("Answer in French.")["spendrail"]["cached"] is True
    assert complete(chat, {"model": "auto", "messages": QUESTION}).json["spendrail"]["cached"] is False


def test_a_model_the_chatbot_names_answers_until_the_budget_degrades(chat: ChatHarness) -> None:
    chosen = complete(chat, {"model": GPT, "messages": QUESTION}).json
    assert (chosen["model"], chosen["spendrail"]["downgraded"]) == (GPT, False)
    assert asked(chat)[0]["model"] == GPT
    _spend(chat, 960_000_000)
    pressed = complete(chat, {"model": GPT, "messages": [{"role": "user", "content": "Do you ship to Canada?"}]})
    assert (pressed.json["model"], pressed.json["spendrail"]["downgraded"]) == (LLAMA, True)  # routing decides


def test_a_use_case_name_as_the_model_picks_its_route(chat: ChatHarness) -> None:
    assert complete(chat, {"model": "faq", "messages": QUESTION}).json["model"] == LLAMA


def test_a_stopped_budget_is_429_budget_exceeded_that_the_sdks_will_not_retry(chat: ChatHarness) -> None:
    _spend(chat, 999_990_000)
    reply = complete(chat, {"model": "auto", "messages": QUESTION})
    assert reply.status == 429
    error = reply.error
    assert (error["type"], error["code"]) == ("budget_exceeded", "budget_exceeded")
    assert error["fallbackMessage"] == FALLBACK
    assert 0 < int(reply.headers["Retry-After"]) == error["retryAfterSeconds"] <= 86_400
    assert reply.headers["x-should-retry"] == "false"  # both openai SDKs obey it before their 429 retries
    assert chat.sim.requests == []


@pytest.mark.parametrize(
    ("body", "param", "says"),
    [
        ({"model": "gpt-9", "messages": QUESTION}, "model", "'auto', a use case"),
        ({"model": "auto", "messages": QUESTION, "tools": []}, "tools", "tool calls are not supported"),
        ({"model": "auto", "messages": QUESTION, "n": 2}, "n", "n > 1"),
        ({"model": "auto", "messages": QUESTION, "top_p": 0.5}, "top_p", "not supported"),
        ({"model": "auto", "messages": [{"role": "assistant", "content": "Hi"}]}, "messages", "the user's"),
        ({"model": "auto", "messages": []}, "messages", "at least 1"),
        ({"model": "auto", "messages": QUESTION, "max_tokens": 9000}, "max_tokens", "at most 2048"),
        (
            {"model": "auto", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
            "messages.0.content",
            "",
        ),
        ({"model": "auto", "messages": [{"role": "user", "content": "   "}]}, "messages.0.content", "blank"),
        ({"model": "auto", "messages": [{"role": "user", "content": "hi\x00"}]}, "messages.0.content", "control"),
        ({"model": "auto", "messages": [{"role": "tool", "content": "x"}]}, "messages.0.role", ""),
    ],
)
def test_what_the_endpoint_does_not_take_is_a_400_naming_the_parameter(
    chat: ChatHarness, body: dict[str, Any], param: str, says: str
) -> None:
    reply = complete(chat, body)
    assert reply.status == 400
    error = reply.error
    assert (error["type"], error["code"]) == ("invalid_request_error", "invalid_request")
    assert error["param"].startswith(param), error
    assert says in error["message"] + json.dumps(error.get("details")), error
    assert spent(chat) == 0
    assert chat.sim.requests == []


def test_a_bad_key_and_a_body_that_is_not_json_answer_in_openais_shape(chat: ChatHarness) -> None:
    refused = complete(chat, {"model": "auto", "messages": QUESTION}, key="srk_nope")
    assert refused.status == 401
    assert (refused.error["type"], refused.error["code"]) == ("authentication_error", "unauthorized")
    broken = complete(chat, "{not json")
    assert (broken.status, broken.error["type"]) == (400, "invalid_request_error")
    assert "x-should-retry" not in refused.headers


def test_a_provider_outage_is_an_api_error_the_sdks_may_retry(chat: ChatHarness) -> None:
    chat.sim.inject(Fault.status(500), repeat=2)  # the embedding (answered without the cache), then the answer
    reply = complete(chat, {"model": "auto", "messages": QUESTION})
    assert reply.status == 502
    assert (reply.error["type"], reply.error["code"]) == ("api_error", "upstream_error")
    assert "x-should-retry" not in reply.headers


def test_a_retry_with_the_same_idempotency_key_is_answered_once_and_charged_once(chat: ChatHarness) -> None:
    body = {"model": "auto", "messages": QUESTION, "stream": True}
    first = complete(chat, body, headers={"idempotency-key": "retry-1"})
    charged = spent(chat)
    second = complete(chat, body, headers={"idempotency-key": "retry-1"})
    assert second.events() == first.events()  # the stored answer, replayed
    assert spent(chat) == charged > 0
    assert len(asked(chat)) == 1


def test_another_tenants_key_reaches_only_its_own_budget(chat: ChatHarness) -> None:
    other = chat.provision("other", BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="10"))
    reply = complete(chat, {"model": "auto", "messages": QUESTION}, key=other)
    assert reply.status == 200
    assert spent(chat, "other") > 0
    assert spent(chat) == 0
