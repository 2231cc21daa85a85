"""The answer cache of one instance: exact and similar lookups, guards, TTL, eviction, incremental refresh."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from spendrail.cache.memory import InMemoryCacheStore
from spendrail.cache.model import CacheScope, Expected, StoredAnswer
from spendrail.cache.service import AnswerCache
from spendrail.deadline import Deadline
from spendrail.errors import StoreUnavailableError
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


class Background:
    """The executor of background updates: holds them until the test runs them, as a worker thread would."""

    def __init__(self) -> None:
        self.tasks: list[Callable[[], None]] = []

    def __call__(self, task: Callable[[], None]) -> None:
        self.tasks.append(task)

    def run(self) -> int:
        done = 0
        while self.tasks:
            self.tasks.pop(0)()
            done += 1
        return done


def make(
    store: InMemoryCacheStore,
    clocks: Clocks,
    *,
    max_entries: int = 100,
    ttl: int = 3600,
    first_load: int = 1000,
    background: Background | None = None,
) -> AnswerCache:
    return AnswerCache(
        store,
        dimensions=512,
        ttl_seconds=ttl,
        refresh_seconds=5,
        max_entries=max_entries,
        first_load=first_load,
        executor=background if background is not None else (lambda task: task()),
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


def test_an_answer_stored_by_another_instance_is_found_after_a_background_refresh(clocks: Clocks) -> None:
    store, background = InMemoryCacheStore(), Background()
    mine, theirs = make(store, clocks, background=background), make(store, clocks)
    question = "Do you ship to Canada?"
    assert mine.similar(SHOP, question, vec(question), 0.9) is None  # index loaded, empty
    clocks.ms += 10
    remember(theirs, question, "Yes, in 5-7 days.")
    assert mine.similar(SHOP, question, vec(question), 0.9) is None  # not refreshed yet
    assert background.tasks == []
    calls = store.calls
    clocks.mono += 5
    assert mine.similar(SHOP, question, vec(question), 0.9) is None  # stale: answered from the index as it is
    assert store.calls == calls  # no call on the request's path
    clocks.mono += 1
    assert mine.similar(SHOP, question, vec(question), 0.9) is None
    assert background.run() == 1  # one refresh in flight at a time
    assert store.calls == calls + 1  # one query for what is new since the last sync
    found = mine.similar(SHOP, question, vec(question), 0.9)
    assert found is not None
    assert found.entry.reply == "Yes, in 5-7 days."


def test_a_due_refresh_is_the_exact_lookup_of_a_question_the_index_does_not_hold(clocks: Clocks) -> None:
    store, background = InMemoryCacheStore(), Background()
    mine, theirs = make(store, clocks, background=background), make(store, clocks)
    question = "Do you ship to Canada?"
    assert mine.expected(SHOP, question) is Expected.UNSURE  # no index yet: nothing is known
    assert mine.similar(SHOP, "hi", vec("hi"), 0.9) is None  # loads the index: it holds all of the shop's entries
    assert mine.expected(SHOP, question) is Expected.MISS
    clocks.ms += 10
    remember(theirs, question, "Yes, in 5-7 days.")
    clocks.mono += 5
    calls = store.calls
    found = mine.exact(SHOP, "do you ship to canada")
    assert found is not None
    assert found.reply == "Yes, in 5-7 days."
    assert store.calls == calls + 1  # one Query: the due refresh, and the lookup
    hit = mine.similar(SHOP, question, vec(question), 0.9)
    assert hit is not None  # the refresh put it in the index
    assert (background.tasks, store.calls) == ([], calls + 1)  # and no second refresh was started
    assert mine.expected(SHOP, question) is Expected.HIT  # held now: its next lookup is a GetItem, before any hold
    clocks.mono += 5
    assert mine.exact(SHOP, question) is not None
    assert store.calls == calls + 2


def test_an_index_missing_entries_never_says_a_question_is_new(clocks: Clocks) -> None:
    store = InMemoryCacheStore()
    theirs = make(store, clocks)
    for i in range(3):
        clocks.ms += 1
        remember(theirs, f"Do you ship to region {i}?")
    loading = make(store, clocks, first_load=1, background=Background())
    loading.similar(SHOP, "hi", vec("hi"), 0.9)  # the newest entry only, the rest still to load
    full = make(store, clocks, max_entries=2)
    full.similar(SHOP, "hi", vec("hi"), 0.9)  # two of three: the oldest left out
    for cache in (loading, full):
        assert cache.expected(SHOP, "Do you ship to region 0?") is Expected.UNSURE
        clocks.mono += 5
        calls = store.calls
        assert cache.exact(SHOP, "Do you ship to region 0?") is not None  # a GetItem finds what the index lacks
        assert store.calls == calls + 1


def test_a_quiet_tenants_refreshes_read_no_entry_again(clocks: Clocks) -> None:
    store = InMemoryCacheStore()
    mine, theirs = make(store, clocks), make(store, clocks)
    remember(theirs, "Do you ship to Canada?")
    mine.similar(SHOP, "hi", vec("hi"), 0.9)
    read = store.read
    for _ in range(12):  # a minute of refreshes, 5 s apart
        clocks.mono += 5
        clocks.ms += 5000
        mine.similar(SHOP, "hi", vec("hi"), 0.9)
    assert store.read - read <= 1  # the entry younger than SETTLE_MS at the first load, read once more at most


def test_an_entry_in_the_same_millisecond_as_the_newest_one_seen_is_found(clocks: Clocks) -> None:
    store = InMemoryCacheStore()
    mine, theirs = make(store, clocks), make(store, clocks)
    mine.similar(SHOP, "hi", vec("hi"), 0.9)
    clocks.ms += 60_000
    clocks.mono += 5
    remember(theirs, "Do you ship to Canada?")
    mine.similar(SHOP, "hi", vec("hi"), 0.9)  # its refresh reads the entry above
    remember(theirs, "How do I track my order?")  # written in the same millisecond, seen by the refresh after
    clocks.mono += 5
    mine.similar(SHOP, "hi", vec("hi"), 0.9)
    clocks.mono += 5
    question = "How do I track my order?"
    found = mine.similar(SHOP, question, vec(question), 0.95)
    assert found is not None
    assert found.entry.prompt == question


def test_the_first_load_is_bounded_and_the_rest_is_loaded_in_the_background(clocks: Clocks) -> None:
    store, background = InMemoryCacheStore(), Background()
    writer = make(store, clocks)
    questions = [f"Do you ship parcel number {i} to Canada?" for i in range(25)]
    for question in questions:
        clocks.ms += 1
        remember(writer, question)
    for _ in range(3):  # three entries in one millisecond, across a part's boundary
        remember(writer, f"Is there a sale on hats number {_}?")
    mine = make(store, clocks, max_entries=24, first_load=10, background=background)
    oldest = questions[4]  # the 24 newest are kept: 21 parcels and 3 hats
    assert mine.similar(SHOP, oldest, vec(oldest), 0.99) is None
    assert store.read == 10  # the request itself read only the newest part
    for _ in range(5):
        background.run()
        mine.similar(SHOP, "hi", vec("hi"), 0.99)  # each request starts one more part
    assert background.tasks == []  # full: nothing more is read
    found = mine.similar(SHOP, oldest, vec(oldest), 0.99)
    assert found is not None
    assert found.entry.prompt == oldest
    assert mine.similar(SHOP, questions[3], vec(questions[3]), 0.99) is None  # past the bound


def test_a_failed_background_refresh_keeps_the_index_and_is_tried_again(clocks: Clocks) -> None:
    class Flaky(InMemoryCacheStore):
        fail = True

        def since(self, scope: CacheScope, created_at: int, limit: int) -> list[StoredAnswer]:
            if self.fail:
                raise StoreUnavailableError("stalled")
            return super().since(scope, created_at, limit)

    store = Flaky()
    mine, theirs = make(store, clocks), make(store, clocks)
    remember(mine, "How do I track my order?")
    mine.similar(SHOP, "hi", vec("hi"), 0.9)
    remember(theirs, "Do you ship to Canada?")
    clocks.mono += 5
    assert mine.similar(SHOP, "How do I track my order", vec("How do I track my order"), 0.9) is not None
    store.fail = False
    clocks.mono += 5
    mine.similar(SHOP, "hi", vec("hi"), 0.9)
    assert mine.similar(SHOP, "Do you ship to Canada?", vec("Do you ship to Canada?"), 0.95) is not None


def test_the_number_of_indexes_is_bounded(clocks: Clocks) -> None:
    store = InMemoryCacheStore()
    cache = AnswerCache(
        store, dimensions=512, ttl_seconds=60, refresh_seconds=60, max_entries=10, max_indexes=2, first_load=10
    )
    for tenant in ("a", "b", "c", "a"):
        cache.similar(CacheScope(tenant, "support"), "hi", vec("hi"), 0.9)
    assert store.calls == 4  # "a" was dropped when "c" came, and loaded again


def test_the_indexes_memory_together_is_bounded_and_the_least_recently_used_go_first(clocks: Clocks) -> None:
    store = InMemoryCacheStore()
    writer = make(store, clocks)
    for tenant in ("a", "b", "c"):
        for i in range(20):
            clocks.ms += 1
            writer.store(
                CacheScope(tenant, "support"), f"Question {i} for {tenant}?", "An answer.", "m", 1, vec(str(i))
            )
    one = make(store, clocks)
    one.similar(CacheScope("a", "support"), "hi", vec("hi"), 0.9)
    size = one.memory_bytes()  # one tenant's index of 20 entries
    cache = AnswerCache(
        store, dimensions=512, ttl_seconds=3600, refresh_seconds=60, max_entries=100, max_bytes=int(2.5 * size)
    )
    for tenant in ("a", "b", "a", "c"):  # "b" is the least recently used when "c" comes
        cache.similar(CacheScope(tenant, "support"), "hi", vec("hi"), 0.9)
    assert cache.index_count == 2
    assert cache.memory_bytes() <= 2.5 * size
    calls = store.calls
    cache.similar(CacheScope("a", "support"), "hi", vec("hi"), 0.9)
    assert store.calls == calls  # "a" was kept
    cache.similar(CacheScope("b", "support"), "hi", vec("hi"), 0.9)
    assert store.calls == calls + 1  # "b" was dropped: loaded again
    lone = AnswerCache(store, dimensions=512, ttl_seconds=3600, refresh_seconds=60, max_entries=100, max_bytes=1)
    assert lone.similar(CacheScope("a", "support"), "Question 3 for a?", vec("3"), 0.9) is not None
    assert lone.index_count == 1  # the index in use always stays, even past the cap
