"""The openai Python SDK against POST /v1/chat/completions on the local stack, as a merchant's existing chatbot uses it:
only `base_url` and `api_key` change. Every answer and every refusal comes back as the SDK's documented types."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

import httpx2
import openai
import pytest
from openai import OpenAI
from openai.types import CompletionUsage
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessageParam,
    ChatCompletionStreamOptionsParam,
)

from spendrail.money import usd_to_nanos
from spendrail.policy import BudgetPolicy
from spendrail.pricing import PricingCatalog
from tests.e2e.conftest import Stack

ROOMY = BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="10")
TRACK: list[ChatCompletionMessageParam] = [{"role": "user", "content": "How do I track my order?"}]


def client(stack: Stack, key: str, attempts: list[str] | None = None, retry_after: str | None = None) -> OpenAI:
    """The SDK as a chatbot builds it (default max_retries=2); `attempts` collects every HTTP request it sends;
    `retry_after` replaces the Retry-After header of every response before the SDK reads it."""
    hooks: dict[str, list[Callable[[Any], None]]] = {}
    if attempts is not None:
        hooks["request"] = [lambda request: attempts.append(f"{request.method} {request.url}")]
    if retry_after is not None:
        hooks["response"] = [lambda response: response.headers.update({"Retry-After": retry_after})]
    return OpenAI(
        base_url=f"{stack.url}/v1", api_key=key, timeout=30, http_client=httpx2.Client(event_hooks=hooks, timeout=30)
    )


def extra(obj: Any, name: str) -> Any:
    """A field the SDK's models do not declare (`usage.cost`, `spendrail`): kept in `model_extra`."""
    fields: Mapping[str, Any] = obj.model_extra or {}
    assert name in fields, f"{name!r} missing from {obj!r}"
    return fields[name]


def cost(usage: CompletionUsage | None) -> Decimal:
    assert usage is not None
    value = extra(usage, "cost")
    assert isinstance(value, int | float) and not isinstance(value, bool), value
    return Decimal(repr(value))


def spent_nanos(stack: Stack, tenant_id: str) -> int:
    return stack.stack.ledger().snapshot(tenant_id).daily.spent


def error_body(error: openai.APIStatusError) -> dict[str, Any]:
    """The `error` object of the response (the SDK keeps it in `e.body`)."""
    body = error.body
    assert isinstance(body, dict), body
    inner = body.get("error", body)
    assert isinstance(inner, dict), body
    return inner


def joined(chunks: Iterable[ChatCompletionChunk]) -> str:
    return "".join(choice.delta.content or "" for chunk in chunks for choice in chunk.choices)


def test_a_plain_answer_is_a_chat_completion_and_costs_what_the_budget_spent(local_stack: Stack) -> None:
    key = local_stack.tenant("sdk-plain", ROOMY)

    answer = client(local_stack, key).chat.completions.create(model="auto", messages=TRACK, user="cust-1")

    assert isinstance(answer, ChatCompletion)
    assert answer.id.startswith("chatcmpl-")
    assert answer.object == "chat.completion"
    assert answer.model in {m.id for m in PricingCatalog.load().chat_models}
    message = answer.choices[0].message
    assert message.role == "assistant"
    assert message.content
    assert answer.choices[0].finish_reason == "stop"
    usage = answer.usage
    assert usage is not None
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    info = extra(answer, "spendrail")
    assert cost(usage) > 0
    assert Decimal(repr(info["costUsd"])) == cost(usage)
    assert info["cached"] is False
    assert info["budget"]["state"] == "active"
    assert spent_nanos(local_stack, "sdk-plain") == usd_to_nanos(cost(usage))


@pytest.mark.parametrize("model", ["support", "sales", "faq", "mistralai/mistral-small-latest"])
def test_a_use_case_or_a_catalog_model_is_answered(local_stack: Stack, model: str) -> None:
    key = local_stack.tenant(f"sdk-model-{model.split('/', maxsplit=1)[0]}", ROOMY)

    answer = client(local_stack, key).chat.completions.create(model=model, messages=TRACK)

    assert answer.choices[0].message.content
    if "/" in model:
        assert answer.model == model  # an active budget lets the tenant have the model it asked for


@pytest.mark.parametrize("include_usage", [True, False])
def test_a_streamed_answer_says_what_the_plain_one_says_and_ends_with_its_cost(
    local_stack: Stack, include_usage: bool
) -> None:
    tenant = f"sdk-stream-{'usage' if include_usage else 'plain'}"
    # Another tenant asks it plainly, so neither answer comes from the cache (each tenant's cache is its own).
    plain = client(local_stack, local_stack.tenant(f"{tenant}-ref", ROOMY)).chat.completions.create(
        model="auto", messages=TRACK
    )
    key = local_stack.tenant(tenant, ROOMY)
    options = ChatCompletionStreamOptionsParam(include_usage=True) if include_usage else openai.omit

    stream = client(local_stack, key).chat.completions.create(
        model="auto", messages=TRACK, stream=True, stream_options=options
    )

    assert isinstance(stream, openai.Stream)
    chunks = list(stream)
    assert all(isinstance(chunk, ChatCompletionChunk) for chunk in chunks)
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert joined(chunks) == plain.choices[0].message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    last = chunks[-1]
    if include_usage:
        assert last.choices == []  # OpenAI's usage chunk
    else:
        assert last.choices[0].finish_reason == "stop"
    assert all(chunk.usage is None for chunk in chunks[:-1])
    assert cost(last.usage) > 0
    assert Decimal(repr(extra(last, "spendrail")["costUsd"])) == cost(last.usage)
    assert spent_nanos(local_stack, tenant) == usd_to_nanos(cost(last.usage))


def test_a_conversation_with_history_is_answered_and_never_from_the_cache(local_stack: Stack) -> None:
    key = local_stack.tenant("sdk-history", ROOMY)
    conversation: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": "You are the helpful assistant of Demo Store."},
        {"role": "user", "content": "How do I track my order?"},
        {"role": "assistant", "content": "Open the link in your shipping e-mail."},
        {"role": "user", "content": "I cannot find that e-mail, what now?"},
    ]
    sdk = client(local_stack, key)
    sdk.chat.completions.create(model="auto", messages=TRACK)  # the conversation's first question, now cached
    alone = sdk.chat.completions.create(model="auto", messages=[conversation[0], conversation[-1]])

    first = sdk.chat.completions.create(model="auto", messages=conversation)
    again = sdk.chat.completions.create(model="auto", messages=conversation)

    for answer in (first, again):
        assert answer.choices[0].message.content
        assert extra(answer, "spendrail")["cached"] is False
        assert cost(answer.usage) > 0
    assert first.usage is not None and alone.usage is not None
    assert first.usage.prompt_tokens > alone.usage.prompt_tokens  # the earlier turns went to the model too


def test_the_same_question_twice_is_answered_from_the_cache_for_nothing(local_stack: Stack) -> None:
    key = local_stack.tenant("sdk-cache", ROOMY)
    sdk = client(local_stack, key)

    first = sdk.chat.completions.create(model="auto", messages=TRACK)
    second = sdk.chat.completions.create(model="auto", messages=TRACK)

    info = extra(second, "spendrail")
    assert extra(first, "spendrail")["cached"] is False
    assert info["cached"] is True
    assert cost(second.usage) == 0 == info["costUsd"]
    assert info["savedUsd"] > 0
    assert second.choices[0].message.content == first.choices[0].message.content
    assert spent_nanos(local_stack, "sdk-cache") == usd_to_nanos(cost(first.usage))


def test_the_raw_response_carries_the_budget_headers(local_stack: Stack) -> None:
    key = local_stack.tenant("sdk-raw", ROOMY)

    raw = client(local_stack, key).chat.completions.with_raw_response.create(model="auto", messages=TRACK)

    answer = raw.parse()
    assert isinstance(answer, ChatCompletion)
    info = extra(answer, "spendrail")
    assert raw.status_code == 200
    assert raw.headers["x-budget-state"] == info["budget"]["state"] == "active"
    remaining = Decimal(raw.headers["x-budget-remaining-usd"])
    budget = info["budget"]
    tighter = min(Decimal(repr(budget["dailyRemainingUsd"])), Decimal(repr(budget["monthlyRemainingUsd"])))
    assert 0 < remaining == tighter < 1
    assert raw.headers["x-request-id"] == info["requestId"]


@pytest.mark.parametrize("retry_after", [None, "1"], ids=["as-sent", "one-second-before-the-reset"])
def test_a_budget_stop_is_a_rate_limit_error_the_sdk_does_not_retry(
    local_stack: Stack, retry_after: str | None
) -> None:
    # The Python SDK never retries when Retry-After exceeds 60 s, which a daily window's stop mostly does; seen a
    # second before the reset (Retry-After: 1), only `x-should-retry: false` keeps it from sending the request again.
    tenant = f"sdk-stopped-{'late' if retry_after else 'now'}"
    key = local_stack.tenant(tenant, BudgetPolicy(daily_cap_usd="0.000001", monthly_cap_usd="1"), "Back tomorrow.")
    attempts: list[str] = []
    sdk = client(local_stack, key, attempts, retry_after)
    assert sdk.max_retries == 2  # the SDK's default: it would retry a 429 twice unless told not to

    with pytest.raises(openai.RateLimitError) as caught:
        sdk.chat.completions.create(model="auto", messages=TRACK)

    error = caught.value
    assert error.status_code == 429
    assert len(attempts) == 1, attempts
    body = error_body(error)
    assert (body["type"], body["code"]) == ("budget_exceeded", "budget_exceeded")
    assert (error.type, error.code) == ("budget_exceeded", "budget_exceeded")
    assert body["fallbackMessage"] == "Back tomorrow."
    assert int(error.response.headers["Retry-After"]) > 0
    assert error.response.headers["x-should-retry"] == "false"
    assert spent_nanos(local_stack, tenant) <= 1_000  # never past the cap


def test_a_bad_key_is_an_authentication_error(local_stack: Stack) -> None:
    attempts: list[str] = []

    with pytest.raises(openai.AuthenticationError) as caught:
        client(local_stack, "sk-not-a-spendrail-key", attempts).chat.completions.create(model="auto", messages=TRACK)

    error = caught.value
    assert error.status_code == 401
    assert (error.type, error.code) == ("authentication_error", "unauthorized")
    assert len(attempts) == 1


def test_an_unknown_model_is_a_bad_request_naming_the_allowed_ones(local_stack: Stack) -> None:
    key = local_stack.tenant("sdk-bad-model", ROOMY)

    with pytest.raises(openai.BadRequestError) as caught:
        client(local_stack, key).chat.completions.create(model="gpt-4o", messages=TRACK)

    error = caught.value
    assert error.status_code == 400
    assert (error.type, error.code, error.param) == ("invalid_request_error", "invalid_request", "model")
    for allowed in ("auto", "support", "sales", "faq", "mistralai/mistral-small-latest"):
        assert allowed in error.message
    assert spent_nanos(local_stack, "sdk-bad-model") == 0


@pytest.mark.parametrize(
    ("param", "extra_args"),
    [
        (
            "tools",
            {
                "tools": [
                    {
                        "type": "function",
                        "function": {
                            "name": "track_order",
                            "parameters": {"type": "object", "properties": {"order": {"type": "string"}}},
                        },
                    }
                ]
            },
        ),
        ("n", {"n": 2}),
    ],
)
def test_an_unsupported_parameter_is_a_bad_request_naming_it(
    local_stack: Stack, param: str, extra_args: dict[str, Any]
) -> None:
    key = local_stack.tenant(f"sdk-unsupported-{param}", ROOMY)

    with pytest.raises(openai.BadRequestError) as caught:
        client(local_stack, key).chat.completions.create(model="auto", messages=TRACK, **extra_args)

    error = caught.value
    assert error.status_code == 400
    assert error.param == param
    assert param in error.message
    assert spent_nanos(local_stack, f"sdk-unsupported-{param}") == 0
