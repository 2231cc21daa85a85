"""The chat service with its answer cache: what is served from cache, what it costs, what is never cached."""

from __future__ import annotations

from decimal import Decimal

import pytest

from spendrail.cache.memory import InMemoryCacheStore
from spendrail.cache.semantic import SemanticCache
from spendrail.cache.service import AnswerCache
from spendrail.chat.question import Answer, Question
from spendrail.chat.service import ChatService
from spendrail.deadline import Deadline
from spendrail.errors import BudgetExceededError, StoreUnavailableError, UpstreamError
from spendrail.ledger.memory import InMemoryLedger
from spendrail.llm.port import Completion, Usage
from spendrail.pricing import PricingCatalog
from spendrail.tenants.memory import InMemoryTenantDirectory
from spendrail.tenants.model import Tenant
from spendrail.tenants.profiles import Profiles
from tests.conftest import Clock
from tests.fakes.embedder import HashedEmbedder
from tests.fakes.llm import ScriptedLLM, answer

CATALOG = PricingCatalog.load()
SHOP = Tenant("shop")
EMBEDDING_MODEL = "openai/text-embedding-3-small"
EMBED_NANOS = 200  # HashedEmbedder bills $0.0000002 per embedding
ANSWER_NANOS = 150_000  # ScriptedLLM's default answer costs $0.00015


@pytest.fixture
def store() -> InMemoryCacheStore:
    return InMemoryCacheStore()


@pytest.fixture
def profiles() -> InMemoryTenantDirectory:
    return InMemoryTenantDirectory()


@pytest.fixture
def embedder() -> HashedEmbedder:
    return HashedEmbedder()


@pytest.fixture
def service(
    ledger: InMemoryLedger,
    llm: ScriptedLLM,
    store: InMemoryCacheStore,
    embedder: HashedEmbedder,
    profiles: InMemoryTenantDirectory,
    clock: Clock,
) -> ChatService:
    cache = AnswerCache(store, dimensions=512, ttl_seconds=3600, refresh_seconds=0, max_entries=100)
    return ChatService(
        ledger,
        llm,
        CATALOG,
        cache=semantic(cache, embedder),
        profiles=Profiles(profiles),
        clock=clock,
        sleep=lambda _: None,
    )


def semantic(cache: AnswerCache, embedder: HashedEmbedder) -> SemanticCache:
    return SemanticCache(cache, embedder, CATALOG, EMBEDDING_MODEL)


def ask(service: ChatService, prompt: str, request_id: str, **fields: object) -> Answer:
    question = Question(SHOP, request_id, "cust-1", prompt, **fields)  # type: ignore[arg-type]
    return service.answer(question, Deadline.after(29))


def test_a_repeated_question_is_served_from_cache_for_free(
    service: ChatService, ledger: InMemoryLedger, llm: ScriptedLLM
) -> None:
    first = ask(service, "How do I track my order?", "r1")
    assert (first.cached, first.cost_nanos) == (False, ANSWER_NANOS + EMBED_NANOS)  # the answer and its embedding
    second = ask(service, "how do I track my order", "r2")
    assert (second.cached, second.cost_nanos, second.saved_nanos) == (True, 0, ANSWER_NANOS)
    assert second.reply == first.reply
    assert second.cache_tier == "exact"
    assert len(llm.requests) == 1
    snapshot = ledger.snapshot("shop")
    assert (snapshot.daily.spent, snapshot.daily.saved) == (ANSWER_NANOS + EMBED_NANOS, ANSWER_NANOS)


def test_a_paraphrase_costs_only_its_embedding(
    service: ChatService, ledger: InMemoryLedger, llm: ScriptedLLM, embedder: HashedEmbedder
) -> None:
    ask(service, "How do I track my order?", "r1")
    outcome = ask(service, "How can I track my order", "r2")
    assert (outcome.cached, outcome.cache_tier) == (True, "semantic")
    assert outcome.cost_nanos == EMBED_NANOS
    assert len(llm.requests) == 1
    assert embedder.calls == ["How do I track my order?", "How can I track my order"]  # one embedding each
    snapshot = ledger.snapshot("shop")
    assert (snapshot.daily.spent, snapshot.daily.saved, snapshot.daily.held) == (
        ANSWER_NANOS + 2 * EMBED_NANOS,
        ANSWER_NANOS,
        0,
    )


def test_the_hold_covers_the_embedding_and_the_worst_case_answer(
    ledger: InMemoryLedger, llm: ScriptedLLM, store: InMemoryCacheStore, clock: Clock
) -> None:
    seen: list[int] = []

    class Watching(HashedEmbedder):
        def embed(self, text: str, request_id: str, deadline: Deadline):  # type: ignore[no-untyped-def]
            seen.append(ledger.snapshot("shop").daily.held)
            return super().embed(text, request_id, deadline)

    cache = AnswerCache(store, dimensions=512, ttl_seconds=60, refresh_seconds=0, max_entries=10)
    without = ChatService(ledger, ScriptedLLM(), CATALOG, clock=clock, sleep=lambda _: None)
    with_cache = ChatService(ledger, llm, CATALOG, cache=semantic(cache, Watching()), clock=clock)
    held_without: list[int] = []
    ledger_reserve = ledger.reserve

    def spy(tenant_id: str, amount: int, *, hold_id: str | None = None, claim_stop: bool = True):  # type: ignore[no-untyped-def]
        held_without.append(amount)
        return ledger_reserve(tenant_id, amount, hold_id=hold_id, claim_stop=claim_stop)

    ledger.reserve = spy  # type: ignore[method-assign]
    ask(without, "Do you ship to Canada?", "r1")
    ask(with_cache, "Do you ship to Canada?", "r2")
    embed_worst = CATALOG.price("openai/text-embedding-3-small").cost_nanos(22 + 16 + 32, 0)
    assert held_without[1] == held_without[0] + embed_worst
    assert seen == [held_without[1]]  # the embedding ran under the hold


@pytest.mark.parametrize(
    "prompt",
    [
        "My email is jane@example.com, where is my parcel?",
        "Where is order #88231?",
        "Call me at +1 415-555-0134 about my refund",
        "My name is Jane Doe and I need help",
    ],
)
def test_questions_with_personal_data_are_never_cached(
    service: ChatService, llm: ScriptedLLM, store: InMemoryCacheStore, embedder: HashedEmbedder, prompt: str
) -> None:
    for request_id in ("r1", "r2"):
        assert ask(service, prompt, request_id).cached is False
    assert len(llm.requests) == 2
    assert (store.calls, embedder.calls) == (0, [])  # not looked up, not embedded, not stored


def test_a_use_case_the_merchant_marked_uncacheable_is_never_cached(
    service: ChatService, llm: ScriptedLLM, profiles: InMemoryTenantDirectory, store: InMemoryCacheStore
) -> None:
    profiles.put_tenant(Tenant("shop", uncacheable_use_cases=frozenset({"sales"})))
    for request_id in ("r1", "r2"):
        ask(service, "Which jacket suits rain?", request_id, use_case="sales")
    assert len(llm.requests) == 2
    assert store.calls == 0
    ask(service, "Which jacket suits rain?", "r3")  # support is still cached
    assert ask(service, "Which jacket suits rain?", "r4").cached


def test_cut_off_and_failed_replies_are_never_cached(
    service: ChatService, llm: ScriptedLLM, store: InMemoryCacheStore
) -> None:
    cut = Completion(
        "Sure, first go to", "mistralai/mistral-small-latest", Usage(10, 5, Decimal("0.00001")), "length", dict
    )
    llm.then(cut, UpstreamError("down", status=502, kind="unavailable"))
    ask(service, "How do I reset my password?", "r1")
    with pytest.raises(UpstreamError):
        ask(service, "Do you ship to Canada?", "r2")
    assert sum(len(entries) for entries in store.entries.values()) == 0
    assert ask(service, "How do I reset my password?", "r3").cached is False


def test_a_tenants_threshold_decides_how_similar_is_similar_enough(
    service: ChatService, profiles: InMemoryTenantDirectory
) -> None:
    profiles.put_tenant(Tenant("shop", cache_threshold=0.95))
    ask(service, "How do I track my order?", "r1")
    assert ask(service, "How can I track my order", "r2").cached is False


def test_a_stopped_budget_still_serves_exact_hits_only(
    service: ChatService, ledger: InMemoryLedger, llm: ScriptedLLM
) -> None:
    ask(service, "How do I track my order?", "r1")
    room = ledger.snapshot("shop").daily.settled_room
    hold = ledger.reserve("shop", room).hold
    assert hold is not None
    ledger.settle(hold, room)
    exact = ask(service, "How do I track my order?", "r2")
    assert (exact.cached, exact.snapshot.state.value) == (True, "stopped")
    with pytest.raises(BudgetExceededError):  # a paraphrase needs a paid embedding
        ask(service, "How can I track my order", "r3")
    assert len(llm.requests) == 1


def test_a_failed_embedding_answers_without_the_cache_and_charges_nothing_for_it(
    service: ChatService, embedder: HashedEmbedder, ledger: InMemoryLedger, store: InMemoryCacheStore
) -> None:
    embedder.fail_next = UpstreamError("embedding down", status=502, kind="unavailable")
    response = ask(service, "Do you ship to Canada?", "r1")
    assert response.cached is False
    assert ledger.snapshot("shop").daily.spent == ANSWER_NANOS
    assert sum(len(entries) for entries in store.entries.values()) == 0


def test_an_embedding_that_may_have_been_billed_is_charged_its_hold_in_doubt(
    service: ChatService, embedder: HashedEmbedder, ledger: InMemoryLedger
) -> None:
    embedder.fail_next = UpstreamError("no usage", status=502, kind="malformed", in_doubt=True)
    response = ask(service, "Do you ship to Canada?", "r1")
    embed_worst = CATALOG.price(EMBEDDING_MODEL).cost_nanos(22 + 16 + 32, 0)
    assert (response.cached, response.cost_nanos, response.in_doubt_nanos) == (
        False,
        ANSWER_NANOS + embed_worst,
        embed_worst,
    )
    daily = ledger.snapshot("shop").daily
    assert (daily.spent, daily.in_doubt, daily.held) == (ANSWER_NANOS + embed_worst, embed_worst, 0)


def test_an_embedding_without_a_reported_cost_is_priced_from_the_catalog(
    ledger: InMemoryLedger, llm: ScriptedLLM, store: InMemoryCacheStore, clock: Clock
) -> None:
    cache = AnswerCache(store, dimensions=512, ttl_seconds=60, refresh_seconds=0, max_entries=10)
    service = ChatService(ledger, llm, CATALOG, cache=semantic(cache, HashedEmbedder(cost=None)), clock=clock)
    llm.then(answer("mistralai/mistral-small-latest"))
    ask(service, "Do you ship to Canada?", "r1")
    embed = CATALOG.price("openai/text-embedding-3-small").cost_nanos(10, 0)
    assert ledger.snapshot("shop").daily.spent == ANSWER_NANOS + embed


def test_an_unavailable_cache_table_never_fails_a_reply(
    ledger: InMemoryLedger, llm: ScriptedLLM, embedder: HashedEmbedder, clock: Clock
) -> None:
    class Down(InMemoryCacheStore):
        def get(self, scope, key):  # type: ignore[no-untyped-def]
            raise StoreUnavailableError("throttled")

        def put(self, scope, answer):  # type: ignore[no-untyped-def]
            raise StoreUnavailableError("throttled")

        def newest(self, scope, limit):  # type: ignore[no-untyped-def]
            raise StoreUnavailableError("throttled")

    cache = AnswerCache(Down(), dimensions=512, ttl_seconds=60, refresh_seconds=0, max_entries=10)
    service = ChatService(ledger, llm, CATALOG, cache=semantic(cache, embedder), clock=clock, sleep=lambda _: None)
    for request_id in ("r1", "r2"):
        assert ask(service, "Do you ship to Canada?", request_id).cached is False
    assert ledger.snapshot("shop").daily.spent == 2 * (ANSWER_NANOS + EMBED_NANOS)


def test_the_embedding_and_the_answer_share_one_llm_deadline(
    ledger: InMemoryLedger, llm: ScriptedLLM, store: InMemoryCacheStore, embedder: HashedEmbedder, clock: Clock
) -> None:
    cache = AnswerCache(store, dimensions=512, ttl_seconds=60, refresh_seconds=0, max_entries=10)
    service = ChatService(ledger, llm, CATALOG, cache=semantic(cache, embedder), clock=clock, llm_timeout_seconds=12)
    request_deadline = Deadline.after(29)
    service.answer(Question(SHOP, "r1", "cust-1", "Do you ship to Canada?"), request_deadline)
    [embedding_deadline], [answer_deadline] = embedder.deadlines, llm.deadlines
    assert embedding_deadline is answer_deadline  # time the embedding took is gone for the answer
    assert answer_deadline.at <= request_deadline.at - 3  # and the settle after it keeps its share
    assert answer_deadline.remaining() <= 12


@pytest.mark.parametrize(("vocabulary", "served"), [((), True), (("Ridgeback", "Kestrel"), False)])
def test_a_question_about_another_of_the_merchants_products_gets_its_own_answer(
    service: ChatService, profiles: InMemoryTenantDirectory, vocabulary: tuple[str, ...], served: bool
) -> None:
    profiles.put_tenant(Tenant("shop", cache_threshold=0.7, cache_vocabulary=vocabulary))
    ask(service, "How long is the warranty on the Ridgeback hiking boots?", "r1")
    assert ask(service, "How long is the warranty on the Kestrel hiking boots?", "r2").cached is served
    assert ask(service, "How long is the warranty on Ridgeback hiking boots?", "r3").cached  # the same product
