"""Entries embedded by another model are never compared: switching EMBEDDER (local <-> openrouter) or the
dimensions leaves the other's entries in the table, and the semantic tier must neither match them nor fail on them."""

from __future__ import annotations

import numpy as np
import pytest

from spendrail.cache.index import encode_vector
from spendrail.cache.memory import InMemoryCacheStore
from spendrail.cache.model import CacheScope, StoredAnswer
from spendrail.cache.service import SETTLE_MS, AnswerCache

SHOP = CacheScope("shop", "support")
NOW_MS = 1_800_000_000_000
QUESTION = "How do I track my order?"


class Clocks:
    ms = NOW_MS
    mono = 0.0


class CountingStore(InMemoryCacheStore):
    def __init__(self) -> None:
        super().__init__()
        self.since_asked: list[int] = []

    def since(self, scope: CacheScope, created_at: int, limit: int) -> list[StoredAnswer]:
        self.since_asked.append(created_at)
        return super().since(scope, created_at, limit)


def cache(store: InMemoryCacheStore, clocks: Clocks, *, embedder: str, dimensions: int) -> AnswerCache:
    return AnswerCache(
        store,
        dimensions=dimensions,
        ttl_seconds=3600,
        refresh_seconds=5,
        max_entries=100,
        embedder=embedder,
        executor=lambda task: task(),  # the background refresh, run inline
        wall_ms=lambda: clocks.ms,
        monotonic=lambda: clocks.mono,
    )


def unit(dimensions: int, seed: int = 0) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(dimensions).astype(np.float32)
    return vector / np.linalg.norm(vector)


def test_an_entry_of_another_embedder_is_never_a_similar_hit_but_still_an_exact_one() -> None:
    store, clocks = InMemoryCacheStore(), Clocks()
    openrouter = cache(store, clocks, embedder="openai/text-embedding-3-small", dimensions=384)
    vector = unit(384)
    openrouter.store(SHOP, QUESTION, "Use the tracking link.", "m", 1000, vector)
    local = cache(store, clocks, embedder="local/all-minilm-l6-v2", dimensions=384)
    # The very same vector, the same length: still another model's space, so no cosine is taken.
    assert local.similar(SHOP, "How can I track my order", vector, 0.5) is None
    exact = local.exact(SHOP, QUESTION)
    assert exact is not None
    assert exact.reply == "Use the tracking link."  # the question itself needs no vector
    assert openrouter.similar(SHOP, "How can I track my order", vector, 0.5) is not None


def test_entries_of_another_length_or_from_before_embedders_were_recorded_load_without_failing() -> None:
    store, clocks = InMemoryCacheStore(), Clocks()
    legacy = StoredAnswer("k1", "Do you ship to Canada?", "Yes.", "m", 5, NOW_MS - 10, 4_000_000_000, b"\0" * 1024)
    store.put(SHOP, legacy)  # 512 float16 dimensions, no embedder: what the table held before EMBEDDER existed
    local = cache(store, clocks, embedder="local/all-minilm-l6-v2", dimensions=384)
    vector = unit(384, seed=1)
    assert local.similar(SHOP, "Do you ship to Canada", vector, 0.0) is None
    local.store(SHOP, QUESTION, "Use the tracking link.", "m", 1000, vector)
    found = local.similar(SHOP, "How can I track my order", vector, 0.9)
    assert found is not None
    assert found.entry.reply == "Use the tracking link."
    # An unlabelled entry of the right length is kept: it can only be the deployment's own embedder's.
    same_length = StoredAnswer(
        "k2", "Is it free?", "Yes.", "m", 5, NOW_MS + 1, 4_000_000_000, encode_vector(unit(384, 2))
    )
    store.put(SHOP, same_length)
    fresh = cache(store, clocks, embedder="local/all-minilm-l6-v2", dimensions=384)
    assert fresh.similar(SHOP, "Is it free", unit(384, 2), 0.99) is not None


def test_another_embedders_entries_are_read_once_not_at_every_refresh() -> None:
    store, clocks = CountingStore(), Clocks()
    other = cache(store, clocks, embedder="openai/text-embedding-3-small", dimensions=512)
    for i in range(3):
        clocks.ms += 1
        other.store(SHOP, f"Question {i}?", "A reply.", "m", 1, unit(512, i))
    newest = clocks.ms
    local = cache(store, clocks, embedder="local/all-minilm-l6-v2", dimensions=384)
    assert local.similar(SHOP, "q", unit(384), 0.5) is None  # first load: none comparable
    for _ in range(3):
        clocks.mono += 10
        clocks.ms += 10_000
        assert local.similar(SHOP, "q", unit(384), 0.5) is None  # a refresh
    # The first refresh reads again what was younger than SETTLE_MS at the first load (it may have been joined by
    # late writes); then from past the skipped entries, not from the start
    assert store.since_asked == [newest - SETTLE_MS, newest, newest]


@pytest.mark.parametrize(("embedder", "dimensions", "usable"), [("a", 4, True), ("b", 4, False), ("a", 8, False)])
def test_comparable_means_same_embedder_and_length(embedder: str, dimensions: int, usable: bool) -> None:
    answer = StoredAnswer("k", "q", "r", "m", 1, 1, 2, encode_vector(unit(4)), embedder="a")
    assert answer.comparable(embedder, dimensions) is usable
