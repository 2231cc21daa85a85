"""As a merchant's chatbot calls it: HTTP to the local stack (API Gateway stand-in, functions, dynalite, simulator)."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from spendrail.money import usd_to_nanos
from spendrail.policy import BudgetPolicy
from spendrail.pricing import PricingCatalog
from tests.e2e.conftest import HttpReply, Stack, post

MISTRAL, LLAMA = "mistralai/mistral-small-latest", "meta-llama/llama-3.3-70b-instruct"


def question(n: int) -> dict[str, object]:
    """Distinct questions (the number keeps each from the cache: the numbers guard), small answers."""
    return {"prompt": f"How do I track my order? Question {n}", "customerId": "cust-1", "maxTokens": 32}


def nanos(reply: HttpReply) -> int:
    return usd_to_nanos(Decimal(repr(reply.body["costUsd"])))


def test_the_readme_curl_is_answered(local_stack: Stack) -> None:
    reply = post(
        local_stack.url, local_stack.stack.tenant_key, {"prompt": "How do I track my order?", "customerId": "c"}
    )
    assert reply.status == 200, reply.body
    assert reply.body["cached"] is False
    assert reply.headers["x-budget-state"] == "active"


def test_a_budget_walks_from_active_to_stopped(local_stack: Stack) -> None:
    key = local_stack.tenant("walker", BudgetPolicy(daily_cap_usd="0.001", monthly_cap_usd="1"), "Chat is paused.")
    seen: list[tuple[str, str]] = []
    total = 0
    for n in range(100):
        reply = post(local_stack.url, key, question(n))
        if reply.status != 200:
            break
        seen.append((reply.body["budget"]["state"], reply.body["model"]))
        total += nanos(reply)
    walk = [state for state, _ in itertools.groupby(seen, key=lambda s: s)]
    assert [state for state, _ in walk] == ["active", "warned", "degraded"]
    assert walk[0][1] == walk[1][1] == MISTRAL
    assert walk[2][1] == LLAMA  # degraded: the cheapest model
    assert (reply.status, reply.body["error"]["code"]) == (429, "budget_exceeded")
    assert reply.body["error"]["fallbackMessage"] == "Chat is paused."
    assert int(reply.headers["Retry-After"]) > 0
    snapshot = local_stack.stack.ledger().snapshot("walker")
    assert snapshot.daily.spent == total <= 1_000_000
    assert snapshot.state.value in {"degraded", "stopped"}


def test_a_concurrent_burst_never_exceeds_the_cap_and_spend_matches_what_was_reported(local_stack: Stack) -> None:
    cap = 2_000_000  # $0.002: room for about 90 of the 240 questions
    key = local_stack.tenant("flash-sale", BudgetPolicy(daily_cap_usd="0.002", monthly_cap_usd="1"))
    with ThreadPoolExecutor(16) as pool:
        replies = list(pool.map(lambda n: post(local_stack.url, key, question(n)), range(240)))
    statuses = {r.status for r in replies}
    assert statuses <= {200, 429, 503}, statuses
    answered = [r for r in replies if r.status == 200]
    snapshot = local_stack.stack.ledger().snapshot("flash-sale")
    assert snapshot.daily.spent == sum(nanos(r) for r in answered)
    assert snapshot.daily.spent <= cap
    assert snapshot.daily.spent >= 0.9 * cap  # no false stops: the burst used the budget
    assert (snapshot.daily.held, snapshot.open_holds) == (0, 0)
    print(
        f"\nburst: 240 requests, {len(answered)} answered, statuses {sorted(statuses)}, "
        f"spent {snapshot.daily.spent} of {cap} nano-USD ({snapshot.daily.spent / cap:.1%})"
    )


def test_the_recipes_cache_check(local_stack: Stack) -> None:
    key = local_stack.tenant("cache-check", BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="10"))

    def ask(prompt: str) -> dict[str, object]:
        reply = post(local_stack.url, key, {"prompt": prompt, "customerId": "cust-1"})
        assert reply.status == 200, reply.body
        return reply.body

    first, second = ask("How do I track my order?"), ask("How do I track my order?")
    assert (first["cached"], second["cached"], second["costUsd"]) == (False, True, 0)
    # The first answer's cost included its embedding; what a hit saves is the answer alone.
    assert as_nanos(first["costUsd"]) - as_nanos(second["savedUsd"]) == embedding_nanos("How do I track my order?")
    assert ask("How can I track my order")["cached"] is True  # a paraphrase
    ask("Where is order 1233?")
    assert ask("Where is order 1234?")["cached"] is False


def as_nanos(usd: object) -> int:
    return usd_to_nanos(Decimal(repr(usd)))


def embedding_nanos(prompt: str) -> int:
    """An embedding's price in the catalog, for the simulator's token count (a token per 4 UTF-8 bytes)."""
    tokens = -(-len(prompt.encode()) // 4)
    return PricingCatalog.load().price("openai/text-embedding-3-small").cost_nanos(tokens, 0)
