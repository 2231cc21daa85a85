"""The OpenAI-format endpoint's translation (body -> Question, Answer -> completion and stream), the routing of a model
the chatbot names, and what a conversation holds. (The route itself: tests/integration/test_chat_completions.py.)"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from spendrail.api import completions
from spendrail.api.completions import CompletionsRequest
from spendrail.api.errors import openai_error
from spendrail.chat.question import Question
from spendrail.chat.service import ChatService
from spendrail.deadline import Deadline
from spendrail.errors import BadRequestError, BudgetBusyError, InvalidInputError, StoreUnavailableError
from spendrail.ledger.memory import InMemoryLedger
from spendrail.ledger.model import ReserveResult
from spendrail.pricing import PricingCatalog
from spendrail.routing import route
from spendrail.state import BudgetState
from spendrail.tenants.model import Tenant
from tests.conftest import Clock
from tests.fakes.llm import ScriptedLLM

CATALOG = PricingCatalog.load()
SHOP = Tenant("shop")
MISTRAL, GPT, LLAMA = "mistralai/mistral-small-latest", "openai/gpt-5.2-mini", "meta-llama/llama-3.3-70b-instruct"


def translate(**body: Any) -> Question:
    request = CompletionsRequest.model_validate({"model": "auto", **body})
    return completions.question(request, SHOP, "req-1", CATALOG)


def field_of(error: BadRequestError) -> str:
    return error.details[0]["field"]


def test_leading_system_and_developer_messages_are_the_system_prompt_and_the_rest_the_history() -> None:
    question = translate(
        messages=[
            {"role": "system", "content": "You are Shopbot."},
            {"role": "developer", "content": [{"type": "text", "text": "Be "}, {"type": "text", "text": "brief."}]},
            {"role": "user", "content": "Hi", "name": "ana"},
            {"role": "developer", "content": "The shopper is logged in."},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "Where is my parcel?"},
        ],
        user="cust-7",
        temperature=0.2,
    )
    assert question.system == "You are Shopbot.\n\nBe brief."
    assert [(m.role, m.content) for m in question.history] == [
        ("user", "Hi"),
        ("system", "The shopper is logged in."),
        ("assistant", "Hello!"),
    ]
    assert (question.prompt, question.customer_id, question.temperature) == ("Where is my parcel?", "cust-7", 0.2)
    assert (question.use_case, question.model) == ("support", None)


def test_a_single_question_has_no_system_prompt_of_its_own_and_an_anonymous_shopper() -> None:
    question = translate(messages=[{"role": "user", "content": "Hi"}])
    assert (question.system, question.history, question.customer_id) == (None, (), completions.ANONYMOUS)


@pytest.mark.parametrize(
    ("model", "use_case", "asked"),
    [("auto", "support", None), ("faq", "faq", None), ("sales", "sales", None), (GPT, "support", GPT)],
)
def test_the_model_names_auto_a_use_case_or_a_catalog_model(model: str, use_case: str, asked: str | None) -> None:
    assert completions.model_choice(CATALOG, model) == (use_case, asked)


def test_max_completion_tokens_wins_and_its_limit_is_named_by_the_field_given() -> None:
    question = translate(messages=[{"role": "user", "content": "Hi"}], max_tokens=100, max_completion_tokens=50)
    assert question.max_tokens == 50
    with pytest.raises(BadRequestError) as refused:
        translate(messages=[{"role": "user", "content": "Hi"}], max_completion_tokens=5000)
    assert field_of(refused.value) == "max_completion_tokens"


@pytest.mark.parametrize(
    ("messages", "field"),
    [
        ([{"role": "system", "content": "Only a system prompt"}], "messages"),
        ([{"role": "user", "content": "x" * 4001}], "messages.0.content"),
        ([{"role": "assistant", "content": "y" * 30_000}, {"role": "user", "content": "z" * 20_000}], "messages"),
    ],
)
def test_conversations_that_cannot_be_answered_are_refused_naming_where(messages: list[Any], field: str) -> None:
    with pytest.raises(BadRequestError) as refused:
        translate(messages=messages)
    assert field_of(refused.value) == field


def test_every_unsupported_parameter_is_named_not_dropped() -> None:
    with pytest.raises(BadRequestError) as refused:
        completions.check_parameters({"model": "auto", "messages": [], "tools": [], "logprobs": True})
    assert [d["field"] for d in refused.value.details] == ["logprobs", "tools"]
    assert "tool calls are not supported" in str(refused.value)
    completions.check_parameters({"model": "auto", "messages": [], "n": 1, "stream": False})  # all supported


def _completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-r1",
        "created": 1_800_000_000,
        "model": MISTRAL,
        "choices": [{"message": {"content": content}, "finish_reason": "length"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7, "cost": 0.0001},
        "spendrail": {"costUsd": 0.0001},
    }


def test_a_long_answer_streams_in_pieces_that_join_to_the_whole_text() -> None:
    text = "Your parcel left our warehouse this morning and should reach you within two to three days. " * 4
    events = completions.event_stream(_completion(text), include_usage=False).split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    chunks = [json.loads(e.removeprefix("data: ")) for e in events[:-2]]
    contents = [c["choices"][0]["delta"].get("content") for c in chunks[1:-1]]
    assert len(contents) > 3
    assert "".join(contents) == text
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"
    assert chunks[-1]["usage"]["cost"] == 0.0001


def test_a_chatbots_model_answers_while_healthy_and_routing_decides_once_degraded() -> None:
    for state in (BudgetState.ACTIVE, BudgetState.WARNED):
        pinned = route(CATALOG, "support", state, GPT)
        assert (pinned.primary, pinned.downgraded) == (GPT, False)
        assert GPT not in pinned.fallbacks
    degraded = route(CATALOG, "support", BudgetState.DEGRADED, GPT)
    assert (degraded.primary, degraded.downgraded) == (LLAMA, True)
    with pytest.raises(InvalidInputError, match="catalog's chat models"):
        route(CATALOG, "support", BudgetState.ACTIVE, "openai/text-embedding-3-small")


def test_every_turn_of_a_conversation_is_in_the_worst_case_held(
    ledger: InMemoryLedger, llm: ScriptedLLM, clock: Clock
) -> None:
    held: list[int] = []
    reserve = ledger.reserve

    def recorded(tenant_id: str, amount: int, **fields: Any) -> ReserveResult:
        held.append(amount)
        return reserve(tenant_id, amount, **fields)

    ledger.reserve = recorded  # type: ignore[method-assign]
    service = ChatService(ledger, llm, CATALOG, clock=clock, sleep=lambda _: None)
    alone = translate(messages=[{"role": "user", "content": "Where is my parcel?"}])
    earlier = [{"role": "user", "content": "I ordered boots. " * 200}, {"role": "assistant", "content": "Thanks!"}]
    talk = translate(messages=[*earlier, {"role": "user", "content": "Where is my parcel?"}])
    service.answer(alone, Deadline.after(29))
    service.answer(replace(talk, request_id="req-2"), Deadline.after(29))
    assert held[1] > held[0]  # 3,400 more characters of input at the route's input prices
    assert [m.content for m in llm.requests[1].messages][1] == earlier[0]["content"]


def test_a_named_model_outside_the_catalog_never_reaches_the_provider(
    ledger: InMemoryLedger, llm: ScriptedLLM, clock: Clock
) -> None:
    service = ChatService(ledger, llm, CATALOG, clock=clock, sleep=lambda _: None)
    with pytest.raises(InvalidInputError):
        service.answer(Question(SHOP, "r1", "c1", "Hi", model="acme/gpt-99"), Deadline.after(29))
    assert llm.requests == []


@pytest.mark.parametrize(
    ("exc", "status", "kind", "retried"),
    [
        (BudgetBusyError(retry_after=1), 503, "api_error", None),
        (StoreUnavailableError("stalled"), 503, "api_error", None),
        (BadRequestError("no"), 400, "invalid_request_error", None),
    ],
)
def test_errors_keep_their_status_in_openais_shape(exc: Exception, status: int, kind: str, retried: str | None) -> None:
    answer = openai_error(exc)
    body = json.loads(answer.body or "{}")["error"]
    assert (answer.status_code, body["type"], answer.headers.get("x-should-retry")) == (status, kind, retried)
    assert set(body) >= {"message", "type", "code", "param"}
