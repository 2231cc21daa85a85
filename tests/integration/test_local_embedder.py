"""EMBEDDER=local through the real chat handler (moto's cache table, the OpenRouter simulator for answers): a reworded
question is served from the cache, free, and cached answers keep being served when OpenRouter's embeddings fail."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from local.openrouter_sim import ApiError
from spendrail.cache.dynamodb import DynamoDBCacheStore
from spendrail.cache.model import CacheScope
from spendrail.cache.rules import exact_key
from spendrail.deadline import Deadline
from spendrail.embed.local import MODEL
from spendrail.errors import UpstreamError
from spendrail.llm.openrouter import OpenRouterClient
from spendrail.money import usd_to_nanos
from tests.handlers import load_function
from tests.integration.conftest import ChatHarness

QUESTION = "How do I track my order?"
# MiniLM scores it 0.97 against QUESTION, the simulator's hashed n-grams 0.68: they could not serve it at any usual
# threshold. (0.97 is also above the score from which a cache judge, if one is configured, is not asked.)
REWORDED = "What do I do to track my order?"


def nanos(usd: float) -> int:
    return usd_to_nanos(Decimal(repr(usd)))


def embedding_requests(chat: ChatHarness) -> list[dict[str, Any]]:
    return [r for r in chat.sim.requests if r["path"].endswith("/embeddings")]


def with_embedder(chat: ChatHarness, monkeypatch: pytest.MonkeyPatch, embedder: str) -> ChatHarness:
    monkeypatch.setenv("CACHE_ENABLED", "true")
    monkeypatch.setenv("EMBEDDER", embedder)
    chat.module = load_function("chat")  # a new instance, built from the environment as set now
    return chat


@pytest.fixture
def local(chat: ChatHarness, monkeypatch: pytest.MonkeyPatch) -> ChatHarness:
    return with_embedder(chat, monkeypatch, "local")


def test_a_reworded_question_is_served_from_the_cache_and_the_embedding_costs_nothing(local: ChatHarness) -> None:
    first = local.ask(QUESTION)
    reworded = local.ask(REWORDED)
    assert (first.status, first.body["cached"], reworded.status, reworded.body["cached"]) == (200, False, 200, True)
    assert reworded.body["reply"] == first.body["reply"]
    assert reworded.body["costUsd"] == 0  # a local embedding is free: a semantic hit costs nothing at all
    assert reworded.body["savedUsd"] == first.body["costUsd"] > 0  # the first cost was its answer alone
    daily = local.ledger.snapshot("shop").daily
    assert (daily.spent, daily.saved, daily.held) == (nanos(first.body["costUsd"]), daily.spent, 0)
    assert embedding_requests(local) == []  # nothing went to OpenRouter for the embeddings


def test_cached_answers_are_served_while_openrouters_embeddings_fail(
    local: ChatHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(body: Any, kind: Any) -> dict[str, Any]:
        raise ApiError(503, "embeddings are down")

    monkeypatch.setattr(local.sim, "embeddings", down)
    openrouter = OpenRouterClient(api_key=lambda: "sk-or-test", base_url=local.sim.base_url)
    with pytest.raises(UpstreamError):  # the outage is real: OpenRouter's embeddings answer 503
        openrouter.embed(QUESTION, "probe", Deadline.after(5))
    local.sim.clear()
    first = local.ask(QUESTION)
    assert (first.status, first.body["cached"]) == (200, False)  # answered by the model, and stored
    exact, reworded = local.ask(QUESTION), local.ask(REWORDED)
    assert (exact.body["cached"], reworded.body["cached"]) == (True, True)
    assert exact.body["reply"] == reworded.body["reply"] == first.body["reply"]
    assert embedding_requests(local) == []  # the outage never reached a request


def test_an_entry_another_embedder_stored_is_an_exact_hit_but_never_compared(
    chat: ChatHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = with_embedder(chat, monkeypatch, "openrouter").ask(QUESTION)  # 512 dimensions, OpenRouter's model
    after = with_embedder(chat, monkeypatch, "local")
    assert after.ask(QUESTION).body["cached"] is True  # the same question: no vector needed
    reworded = after.ask(REWORDED)
    assert (reworded.status, reworded.body["cached"]) == (200, False)  # the 512-d entry is skipped, not a failure
    store = DynamoDBCacheStore(chat.client, "cache")
    stored = store.get(CacheScope("shop", "support"), exact_key(REWORDED))
    old = store.get(CacheScope("shop", "support"), exact_key(QUESTION))
    assert stored is not None
    assert old is not None
    assert (stored.embedder, len(stored.vector)) == (MODEL, 2 * 384)
    assert (old.embedder, len(old.vector), old.reply) == (
        "openai/text-embedding-3-small",
        2 * 512,
        before.body["reply"],
    )
