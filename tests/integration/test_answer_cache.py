"""The answer cache through the real handler: moto's cache table, the simulator's embeddings over HTTP."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from local.openrouter_sim import Fault
from spendrail.cache.dynamodb import DynamoDBCacheStore
from spendrail.cache.model import CacheScope, StoredAnswer
from spendrail.money import usd_to_nanos
from spendrail.policy import BudgetPolicy
from tests.handlers import load_function
from tests.integration.conftest import ChatHarness


@pytest.fixture
def cached(chat: ChatHarness, monkeypatch: pytest.MonkeyPatch) -> ChatHarness:
    monkeypatch.setenv("CACHE_ENABLED", "true")
    chat.module = load_function("chat")
    return chat


def nanos(usd: float) -> int:
    return usd_to_nanos(Decimal(repr(usd)))


def test_the_recipes_check_exact_repeat_and_paraphrase(cached: ChatHarness) -> None:
    first = cached.ask("How do I track my order?").body
    second = cached.ask("How do I track my order?").body
    paraphrase = cached.ask("How can I track my order").body
    assert (first["cached"], second["cached"], paraphrase["cached"]) == (False, True, True)
    assert second["costUsd"] == 0
    assert second["savedUsd"] == paraphrase["savedUsd"] > 0
    assert second["reply"] == paraphrase["reply"] == first["reply"]
    # The ledger holds exactly what was billed: the first answer with its embedding, then one more embedding.
    spent = cached.ledger.snapshot("shop").daily
    assert spent.spent == nanos(first["costUsd"]) + nanos(paraphrase["costUsd"])
    assert spent.saved == 2 * nanos(second["savedUsd"])
    embeddings = [r for r in cached.sim.requests if r["path"].endswith("/embeddings")]
    assert [r["json"]["dimensions"] for r in embeddings] == [512, 512]


def test_order_numbers_are_neither_cached_nor_confused(cached: ChatHarness) -> None:
    assert cached.ask("Where is order 1233?").body["cached"] is False
    assert cached.ask("Where is order 1234?").body["cached"] is False
    assert cached.ask("Where is order 1233?").body["cached"] is False


def test_the_same_question_in_another_tenant_or_use_case_is_a_miss(cached: ChatHarness) -> None:
    other = cached.provision("other-shop", BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="10"))
    assert cached.ask("Do you ship to Canada?").body["cached"] is False
    assert cached.post({"prompt": "Do you ship to Canada?", "customerId": "c"}, key=other).body["cached"] is False
    assert cached.ask("Do you ship to Canada?", useCase="faq").body["cached"] is False
    assert cached.ask("Do you ship to Canada?").body["cached"] is True


def test_a_stopped_budget_serves_exact_hits_and_refuses_the_rest(cached: ChatHarness) -> None:
    cached.ask("How do I track my order?")
    room = cached.ledger.snapshot("shop").daily.settled_room
    hold = cached.ledger.reserve("shop", room).hold
    assert hold is not None
    cached.ledger.settle(hold, room)
    hit = cached.ask("How do I track my order?")
    assert (hit.status, hit.body["cached"], hit.headers["x-budget-state"]) == (200, True, "stopped")
    assert cached.ask("How can I track my order").status == 429


def test_the_cache_store_on_dynamodb(cached: ChatHarness) -> None:
    store = DynamoDBCacheStore(cached.client, "cache")
    scope = CacheScope("shop", "support")
    vector = np.ones(512, dtype=np.float16).tobytes()
    answers = [StoredAnswer(f"k{i}", f"q{i}", f"a{i}", "m", i, 1000 + i, 4_000_000_000, vector) for i in range(5)]
    for answer in answers:
        store.put(scope, answer)
    store.put(scope, StoredAnswer("k0", "other", "other", "m", 9, 9999, 4_000_000_000, vector))  # first one stays
    assert store.get(scope, "k0") == answers[0]
    assert store.get(CacheScope("shop", "sales"), "k0") is None
    assert [a.key for a in store.since(scope, 1002, 10)] == ["k3", "k4"]  # created after 1002: not the one at it
    assert [a.key for a in store.newest(scope, 2)] == ["k3", "k4"]
    assert [a.key for a in store.since(scope, 0, 3)] == ["k0", "k1", "k2"]
    assert [a.key for a in store.older(scope, 1003, 2)] == ["k3", "k2"]  # at or before 1003, newest first
    assert [a.key for a in store.older(scope, 1001, 10)] == ["k1", "k0"]


@pytest.mark.parametrize("fault", [Fault.status(502), Fault.status(429, retry_after=3), Fault.malformed()])
def test_a_failed_embedding_answers_without_the_cache_and_is_not_charged(cached: ChatHarness, fault: Fault) -> None:
    cached.sim.inject(fault)  # taken by the embedding request, which comes first
    reply = cached.ask("Do you ship to Canada?")
    assert (reply.status, reply.body["cached"]) == (200, False)
    assert cached.ledger.snapshot("shop").daily.spent == nanos(reply.body["costUsd"])
    assert cached.ask("Do you ship to Canada?").body["cached"] is False  # nothing was stored without a vector


def test_an_embedding_answer_without_usage_is_answered_without_the_cache_and_leaks_no_hold(
    cached: ChatHarness,
) -> None:
    cached.sim.inject(Fault.no_usage())  # taken by the embedding call, which comes first
    reply = cached.ask("Do you ship to Canada?")
    assert reply.status == 200, reply.body
    assert reply.body["cached"] is False
    snapshot = cached.ledger.snapshot("shop")
    assert (snapshot.daily.held, snapshot.open_holds) == (0, 0)
    # The embedding may have been billed without saying what: its share of the hold is charged, in doubt.
    assert 0 < snapshot.daily.in_doubt < snapshot.daily.spent
