"""The answer cache of one instance: exact and similar lookups, guards, TTL, eviction, incremental refresh."""

from __future__ import annotations

import numpy as np
import pytest

from spendrail.cache.memory import InMemoryCacheStore
from spendrail.cache.model import CacheScope
from spendrail.cache.service import AnswerCache
from spendrail.deadline import Deadline
from tests.fakes.embedder import HashedEmbedder

SHOP = CacheScope("shop", "support")
EMBED = HashedEmbedder()


class Clocks:
    def __init__(self) -> None:
        self.ms = 1_800_000_000_000
        self.mono = 0.0


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


def make(store: InMemoryCacheStore, clocks: Clocks, *, max_entries: int = 100, ttl: int = 3600) -> AnswerCache:
    return AnswerCache(
        store,
        dimensions=512,
        ttl_seconds=ttl,
        refresh_seconds=5,
        max_entries=max_entries,
        wall_ms=lambda: clocks.ms,
        monotonic=lambda: clocks.mono,
    )


def vec(text: str) -> np.ndarray:
    return EMBED.embed(text, "r", Deadline.after(5)).vector


def remember(cache: AnswerCache, prompt: str, reply: str = "Use the tracking link in your email.") -> None:
    cache.store(SHOP, prompt, reply, "m", 1234, vec(prompt))


def test_an_exact_question_is_found_whatever_its_case_spacing_and_punctuation(clocks: Clocks) -> None:
    cache = make(InMemoryCacheStore(), clocks)
    remember(cache, "How do I track my order?")
    hit = cache.exact(SHOP, "  how do i TRACK my order ")
    assert hit is not None
    assert (hit.reply, hit.cost_nanos) == ("Use the tracking link in your email.", 1234)
    assert cache.exact(SHOP, "How do I track my orders?") is None


def test_a_paraphrase_is_found_by_similarity(clocks: Clocks) -> None:
    cache = make(InMemoryCacheStore(), clocks)
    remember(cache, "How do I track my order?")
    found = cache.similar(SHOP, "How can I track my order", vec("How can I track my order"), 0.85)
    assert found is not None
    assert found.score >= 0.85
    assert cache.similar(SHOP, "Do you ship to Canada?", vec("Do you ship to Canada?"), 0.85) is None


def test_a_guard_turns_a_similar_question_into_a_miss(clocks: Clocks) -> None:
    cache = make(InMemoryCacheStore(), clocks)
    remember(cache, "Can I return opened items?", "Yes, within 30 days.")
    question = "Can I not return opened items?"
    assert cache.similar(SHOP, question, vec(question), 0.70) is None  # similar enough, but negated
    assert cache.similar(SHOP, "Can I return opened items", vec("Can I return opened items"), 0.70) is not None


def test_entries_never_cross_tenants_or_use_cases(clocks: Clocks) -> None:
    store = InMemoryCacheStore()
    cache = make(store, clocks)
    remember(cache, "How do I track my order?")
    for scope in (CacheScope("other-shop", "support"), CacheScope("shop", "sales")):
        assert cache.exact(scope, "How do I track my order?") is None
        assert cache.similar(scope, "How do I track my order?", vec("How do I track my order?"), 0.5) is None


def test_expired_entries_are_misses_before_dynamodb_deletes_them(clocks: Clocks) -> None:
    cache = make(InMemoryCacheStore(), clocks, ttl=60)
    remember(cache, "How do I track my order?")
    clocks.ms += 61_000
    assert cache.exact(SHOP, "How do I track my order?") is None
    assert cache.similar(SHOP, "How do I track my order", vec("How do I track my order"), 0.5) is None


def test_the_index_is_bounded_and_evicts_the_oldest(clocks: Clocks) -> None:
    cache = make(InMemoryCacheStore(), clocks, max_entries=2)
    cache.similar(SHOP, "warm up", vec("warm up"), 0.99)  # load the (empty) index
    for question in ("How do I track my order?", "Do you ship to Canada?", "How do I reset my password?"):
        clocks.ms += 1
        remember(cache, question)
    assert cache.similar(SHOP, "How do I track my order?", vec("How do I track my order?"), 0.95) is None
    assert cache.similar(SHOP, "Do you ship to Canada?", vec("Do you ship to Canada?"), 0.95) is not None


def test_an_answer_stored_by_another_instance_is_found_after_the_refresh_interval(clocks: Clocks) -> None:
    store = InMemoryCacheStore()
    mine, theirs = make(store, clocks), make(store, clocks)
    question = "Do you ship to Canada?"
    assert mine.similar(SHOP, question, vec(question), 0.9) is None  # index loaded, empty
    clocks.ms += 10
    remember(theirs, question, "Yes, in 5-7 days.")
    assert mine.similar(SHOP, question, vec(question), 0.9) is None  # not refreshed yet
    calls = store.calls
    clocks.mono += 5
    found = mine.similar(SHOP, question, vec(question), 0.9)
    assert found is not None
    assert found.entry.reply == "Yes, in 5-7 days."
    assert store.calls == calls + 1  # one query for what is new since the last sync


def test_the_number_of_indexes_is_bounded(clocks: Clocks) -> None:
    store = InMemoryCacheStore()
    cache = AnswerCache(store, dimensions=512, ttl_seconds=60, refresh_seconds=60, max_entries=10, max_indexes=2)
    for tenant in ("a", "b", "c", "a"):
        cache.similar(CacheScope(tenant, "support"), "hi", vec("hi"), 0.9)
    assert store.calls == 4  # "a" was dropped when "c" came, and loaded again
