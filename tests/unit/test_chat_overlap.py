"""What overlaps on a request's way through the chat service, and that the money stays exact on every path.

Concurrency is shown with barriers: two steps that must run at the same time each wait at a two-party barrier, so
run one after the other the first would time out (BrokenBarrierError) instead of passing.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from spendrail.cache import semantic as semantic_module
from spendrail.cache.memory import InMemoryCacheStore
from spendrail.cache.model import CacheScope, StoredAnswer
from spendrail.cache.semantic import SemanticCache
from spendrail.cache.service import AnswerCache
from spendrail.chat.overlap import Runnable, Sequential
from spendrail.chat.question import Answer, Question
from spendrail.chat.service import ChatService
from spendrail.deadline import Deadline, current
from spendrail.errors import BudgetExceededError, UpstreamError
from spendrail.ledger.memory import InMemoryLedger
from spendrail.ledger.model import Hold, SettleResult
from spendrail.llm.port import Embedding
from spendrail.policy import BudgetPolicy
from spendrail.pricing import PricingCatalog
from spendrail.tenants.model import Tenant
from tests.conftest import Clock
from tests.fakes.embedder import HashedEmbedder
from tests.fakes.llm import ScriptedLLM

CATALOG = PricingCatalog.load()
SHOP = Tenant("shop")
FREE_MODEL = "local/all-minilm-l6-v2"  # the default embedder: $0, so it may start before the hold
PAID_MODEL = "openai/text-embedding-3-small"
ANSWER_NANOS = 150_000  # ScriptedLLM's default answer costs $0.00015
WAIT = 5.0  # a barrier's patience: only a broken test ever waits this long


class FreeEmbedder(HashedEmbedder):
    """The local model's terms ($0) with the simulator's vectors; records the thread it ran on."""

    def __init__(self) -> None:
        super().__init__(cost="0")
        self.threads: list[str] = []
        self.gate: threading.Barrier | None = None
        self.raise_next: BaseException | None = None

    def embed(self, text: str, request_id: str, deadline: Deadline) -> Embedding:
        self.threads.append(threading.current_thread().name)
        if self.gate is not None:
            self.gate.wait()
        if self.raise_next is not None:
            failure, self.raise_next = self.raise_next, None
            raise failure
        embedding = super().embed(text, request_id, deadline)
        return Embedding(embedding.vector, FREE_MODEL, embedding.input_tokens, Decimal(0))


class GatedStore(InMemoryCacheStore):
    """The cache table, with a barrier each on the exact lookup and the write when a test sets one."""

    def __init__(self) -> None:
        super().__init__()
        self.get_gate: threading.Barrier | None = None
        self.put_gate: threading.Barrier | None = None
        self.put_deadlines: list[Deadline | None] = []

    def get(self, scope: CacheScope, key: str) -> StoredAnswer | None:
        if self.get_gate is not None:
            self.get_gate.wait()
        return super().get(scope, key)

    def put(self, scope: CacheScope, answer: StoredAnswer) -> None:
        self.put_deadlines.append(current())
        if self.put_gate is not None:
            self.put_gate.wait()
        super().put(scope, answer)


@pytest.fixture
def store() -> GatedStore:
    return GatedStore()


@pytest.fixture
def embedder() -> FreeEmbedder:
    return FreeEmbedder()


def build(
    ledger: InMemoryLedger,
    llm: ScriptedLLM,
    store: InMemoryCacheStore,
    embedder: HashedEmbedder,
    clock: Clock,
    *,
    model: str = FREE_MODEL,
    refresh_seconds: float = 0,
) -> ChatService:
    answers = AnswerCache(store, dimensions=512, ttl_seconds=3600, refresh_seconds=refresh_seconds, max_entries=100)
    cache = SemanticCache(answers, embedder, CATALOG, model)
    return ChatService(ledger, llm, CATALOG, cache=cache, clock=clock, sleep=lambda _: None)


@pytest.fixture
def service(
    ledger: InMemoryLedger, llm: ScriptedLLM, store: GatedStore, embedder: FreeEmbedder, clock: Clock
) -> ChatService:
    return build(ledger, llm, store, embedder, clock)


def ask(service: ChatService, prompt: str, request_id: str, deadline: Deadline | None = None) -> Answer:
    return service.answer(Question(SHOP, request_id, "cust-1", prompt), deadline or Deadline.after(29))


def money(ledger: InMemoryLedger) -> tuple[int, int, int]:
    """Spent, held and saved today."""
    day = ledger.snapshot("shop").daily
    return day.spent, day.held, day.saved


def test_the_embedding_runs_beside_the_exact_lookup(
    service: ChatService, store: GatedStore, embedder: FreeEmbedder
) -> None:
    store.get_gate = embedder.gate = threading.Barrier(2, timeout=WAIT)
    outcome = ask(service, "Do you ship to Canada?", "r1")
    assert (outcome.cached, outcome.cost_nanos) == (False, ANSWER_NANOS)
    assert embedder.threads[0] != threading.current_thread().name  # on the pool, not the request's thread


def stored_elsewhere(store: InMemoryCacheStore, prompt: str, reply: str = "Yes, in 5-7 days.") -> None:
    """An answer another instance kept: in the table, not in this instance's index."""
    theirs = AnswerCache(store, dimensions=512, ttl_seconds=3600, refresh_seconds=0, max_entries=100)
    vector = FreeEmbedder().embed(prompt, "elsewhere", Deadline.after(5)).vector
    theirs.store(CacheScope("shop", "support"), prompt, reply, FREE_MODEL, ANSWER_NANOS, vector)


def test_the_reserve_runs_beside_the_exact_lookup_once_the_index_knows_the_question_is_new(
    ledger: InMemoryLedger, llm: ScriptedLLM, store: GatedStore, embedder: FreeEmbedder, clock: Clock
) -> None:
    service = build(ledger, llm, store, embedder, clock, refresh_seconds=3600)  # the lookup: a GetItem
    ask(service, "Do you ship to Canada?", "r1")  # loads this instance's index: it holds every entry of the shop
    together = store.get_gate = threading.Barrier(2, timeout=WAIT)
    reserve = ledger.reserve

    def gated(*args: Any, **fields: Any) -> Any:
        together.wait()
        return reserve(*args, **fields)

    ledger.reserve = gated  # type: ignore[method-assign]
    outcome = ask(service, "Do you ship to Mexico?", "r2")
    assert (outcome.cached, outcome.cost_nanos) == (False, ANSWER_NANOS)
    assert money(ledger) == (2 * ANSWER_NANOS, 0, 0)


def test_a_question_this_instance_holds_is_looked_up_before_any_hold(
    service: ChatService, ledger: InMemoryLedger
) -> None:
    ask(service, "Do you ship to Canada?", "r1")
    reserve, reserved = ledger.reserve, []

    def counted(*args: Any, **fields: Any) -> Any:
        reserved.append(args)
        return reserve(*args, **fields)

    ledger.reserve = counted  # type: ignore[method-assign]
    hit = ask(service, "do you ship to canada", "r2")
    assert (hit.cache_tier, reserved) == ("exact", [])  # its one write is its savings


class Recording(Sequential):
    """No workers (each task runs when its outcome is asked for), and a count of the tasks handed over."""

    def __init__(self) -> None:
        self.handed = 0

    def hand(self, started: Runnable) -> None:
        self.handed += 1


def test_an_exact_hit_this_instance_holds_makes_no_embedding(
    ledger: InMemoryLedger, llm: ScriptedLLM, store: GatedStore, embedder: FreeEmbedder, clock: Clock
) -> None:
    workers = Recording()
    answers = AnswerCache(store, dimensions=512, ttl_seconds=3600, refresh_seconds=0, max_entries=100)
    cache = SemanticCache(answers, embedder, CATALOG, FREE_MODEL)
    service = ChatService(ledger, llm, CATALOG, cache=cache, clock=clock, workers=workers)
    ask(service, "Do you ship to Canada?", "r1")
    handed, embedded = workers.handed, len(embedder.threads)
    hit = ask(service, "do you ship to canada", "r2")
    assert hit.cache_tier == "exact"
    # Nothing handed to a worker: in Lambda one would have begun the embedding while the lookup waited on DynamoDB.
    assert (workers.handed, len(embedder.threads)) == (handed, embedded)


@pytest.mark.parametrize("refresh_seconds", [0, 3600], ids=["lookup-is-the-refresh", "lookup-is-a-getitem"])
def test_an_exact_answer_stored_elsewhere_since_the_last_refresh_gives_its_hold_back(
    ledger: InMemoryLedger,
    llm: ScriptedLLM,
    store: GatedStore,
    embedder: FreeEmbedder,
    clock: Clock,
    refresh_seconds: float,
) -> None:
    service = build(ledger, llm, store, embedder, clock, refresh_seconds=refresh_seconds)
    ask(service, "Do you ship to Canada?", "r1")
    stored_elsewhere(store, "Do you ship to Mexico?")
    hit = ask(service, "do you ship to mexico", "r2")  # reserved beside the lookup that found it
    assert (hit.cached, hit.cache_tier, hit.reply, hit.cost_nanos) == (True, "exact", "Yes, in 5-7 days.", 0)
    assert len(llm.requests) == 1
    assert money(ledger) == (ANSWER_NANOS, 0, ANSWER_NANOS)  # its hold given back, its savings counted


def test_a_stopped_shop_still_gets_an_exact_answer_found_beside_its_refused_reserve(
    service: ChatService, store: GatedStore, ledger: InMemoryLedger
) -> None:
    ask(service, "Do you ship to Canada?", "r1")
    stored_elsewhere(store, "Do you ship to Mexico?")
    ledger.put_policy("shop", BudgetPolicy(daily_cap_usd="0.000001", monthly_cap_usd="10"))
    hit = ask(service, "Do you ship to Mexico?", "r2")
    assert (hit.cache_tier, hit.reply) == ("exact", "Yes, in 5-7 days.")
    with pytest.raises(BudgetExceededError):
        ask(service, "Do you ship to Peru?", "r3")
    assert money(ledger) == (ANSWER_NANOS, 0, ANSWER_NANOS)


def test_an_exact_lookup_bug_beside_the_reserve_fails_the_request_and_returns_the_hold(
    ledger: InMemoryLedger, llm: ScriptedLLM, store: GatedStore, embedder: FreeEmbedder, clock: Clock
) -> None:
    service = build(ledger, llm, store, embedder, clock, refresh_seconds=3600)
    ask(service, "Do you ship to Canada?", "r1")

    def broken(scope: CacheScope, key: str) -> StoredAnswer | None:
        raise RuntimeError("a bug in the lookup")

    store.get = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="a bug in the lookup"):
        ask(service, "Do you ship to Mexico?", "r2")
    assert money(ledger) == (ANSWER_NANOS, 0, 0)  # nothing held, nothing more spent


def test_the_settle_and_the_cache_write_run_together(
    service: ChatService, store: GatedStore, ledger: InMemoryLedger
) -> None:
    together = store.put_gate = threading.Barrier(2, timeout=WAIT)
    ledger_settle = ledger.settle

    def settle(hold: Hold, actual: int, **fields: Any) -> SettleResult:
        together.wait()
        return ledger_settle(hold, actual, **fields)

    ledger.settle = settle  # type: ignore[method-assign]
    ask(service, "Do you ship to Canada?", "r1")
    ledger.settle, store.put_gate = ledger_settle, None  # type: ignore[method-assign]
    again = ask(service, "Do you ship to Canada?", "r2")
    assert (again.cached, again.cache_tier) == (True, "exact")  # the write that overlapped the settle was kept
    assert money(ledger) == (ANSWER_NANOS, 0, ANSWER_NANOS)


def test_the_cache_write_on_a_worker_keeps_the_requests_deadline(service: ChatService, store: GatedStore) -> None:
    deadline = Deadline.after(29)
    with deadline.applied():
        ask(service, "Do you ship to Canada?", "r1", deadline)
    assert store.put_deadlines == [deadline]  # DynamoDB calls on the worker give up with the request


def test_the_early_embedding_fits_the_llms_share_of_the_deadline(service: ChatService, embedder: FreeEmbedder) -> None:
    deadline = Deadline.after(29)
    ask(service, "Do you ship to Canada?", "r1", deadline)
    [embedding_deadline] = embedder.deadlines
    assert embedding_deadline.at <= deadline.at - 3  # the settle and the cache write keep their share
    assert embedding_deadline.remaining() <= 12


HITS = [("how do I track my order", "exact"), ("How can I track my order", "semantic")]


@pytest.mark.parametrize(("prompt", "tier"), HITS)
def test_a_hit_holds_nothing_and_costs_nothing(
    service: ChatService, ledger: InMemoryLedger, llm: ScriptedLLM, prompt: str, tier: str
) -> None:
    ask(service, "How do I track my order?", "r1")
    hit = ask(service, prompt, "r2")
    assert (hit.cached, hit.cache_tier, hit.cost_nanos, hit.saved_nanos) == (True, tier, 0, ANSWER_NANOS)
    assert len(llm.requests) == 1
    assert money(ledger) == (ANSWER_NANOS, 0, ANSWER_NANOS)  # nothing held after either: no hold left behind


@pytest.mark.parametrize("paid", [False, True])
def test_a_refused_request_spends_nothing_on_its_embedding(
    ledger: InMemoryLedger, llm: ScriptedLLM, store: GatedStore, clock: Clock, paid: bool
) -> None:
    embedder = HashedEmbedder() if paid else FreeEmbedder()  # the free one may have run: it cost $0
    service = build(ledger, llm, store, embedder, clock, model=PAID_MODEL if paid else FREE_MODEL)
    ledger.put_policy("shop", BudgetPolicy(daily_cap_usd="0.000001", monthly_cap_usd="10"))
    with pytest.raises(BudgetExceededError):
        ask(service, "Do you ship to Canada?", "r1")
    assert money(ledger) == (0, 0, 0)
    if paid:  # never started before the hold: no money spent that no hold covered
        assert embedder.calls == []


def test_a_failed_embedding_answers_without_the_cache_for_the_answer_alone(
    service: ChatService, ledger: InMemoryLedger, embedder: FreeEmbedder
) -> None:
    embedder.raise_next = UpstreamError("embedding timed out", status=504, kind="timeout", in_doubt=True)
    outcome = ask(service, "Do you ship to Canada?", "r1")
    assert (outcome.cached, outcome.cost_nanos, outcome.in_doubt_nanos) == (False, ANSWER_NANOS, 0)
    assert money(ledger) == (ANSWER_NANOS, 0, 0)
    assert ask(service, "Do you ship to Canada?", "r2").cached is False  # nothing was kept without a vector


def test_an_embedder_bug_fails_the_request_as_before_and_returns_the_hold(
    service: ChatService, ledger: InMemoryLedger, llm: ScriptedLLM, embedder: FreeEmbedder
) -> None:
    embedder.raise_next = RuntimeError("model file missing")
    with pytest.raises(RuntimeError, match="model file missing"):
        ask(service, "Do you ship to Canada?", "r1")
    assert llm.requests == []
    assert money(ledger) == (0, 0, 0)


def test_a_failed_answer_is_charged_as_before_and_never_cached(
    service: ChatService, ledger: InMemoryLedger, llm: ScriptedLLM
) -> None:
    llm.then(UpstreamError("provider down", status=502, kind="unavailable"))
    with pytest.raises(UpstreamError):
        ask(service, "Do you ship to Canada?", "r1")
    assert money(ledger) == (0, 0, 0)
    again = ask(service, "Do you ship to Canada?", "r2")
    assert (again.cached, again.cost_nanos) == (False, ANSWER_NANOS)
    assert money(ledger) == (ANSWER_NANOS, 0, 0)


def test_the_sequential_order_gives_the_same_money(
    ledger: InMemoryLedger, llm: ScriptedLLM, store: GatedStore, embedder: FreeEmbedder, clock: Clock
) -> None:
    answers = AnswerCache(store, dimensions=512, ttl_seconds=3600, refresh_seconds=0, max_entries=100)
    cache = SemanticCache(answers, embedder, CATALOG, FREE_MODEL)
    service = ChatService(ledger, llm, CATALOG, cache=cache, clock=clock, workers=Sequential())
    tiers = [ask(service, prompt, f"r{i}").cache_tier for i, prompt in enumerate(PROMPTS)]
    assert tiers == [None, "exact", "semantic"]
    assert embedder.threads == [threading.current_thread().name] * 2  # the exact hit's embedding never ran
    assert money(ledger) == (ANSWER_NANOS, 0, 2 * ANSWER_NANOS)


PROMPTS = ("How do I track my order?", "how do I track my order", "How can I track my order")


@pytest.fixture
def request_log() -> Iterator[io.StringIO]:
    """The handler's Powertools Logger with a request's keys appended, writing JSON lines to a buffer."""
    stream = io.StringIO()
    service = semantic_module.logger.service
    python_logger = logging.getLogger(service)
    before = dict(vars(python_logger))  # a function's Logger may have set it up already: set up afresh, then restore
    for attribute in ("init", "powertools_handler", "powertools_buffer_config", "powertools_buffer_cache"):
        vars(python_logger).pop(attribute, None)
    python_logger.handlers = []
    parent = Logger(service=service, stream=stream)
    parent.append_keys(request_id="req-77", tenant_id="shop")
    try:
        yield stream
    finally:
        parent.remove_keys(["request_id", "tenant_id"])
        vars(python_logger).clear()
        vars(python_logger).update(before)


def test_a_log_line_from_a_worker_thread_keeps_the_requests_keys(
    service: ChatService, store: GatedStore, embedder: FreeEmbedder, request_log: io.StringIO
) -> None:
    # The exact lookup waits as DynamoDB's would: the embedding meanwhile runs on a worker.
    store.get_gate = embedder.gate = threading.Barrier(2, timeout=WAIT)
    embedder.raise_next = UpstreamError("embedding timed out", status=504, kind="timeout")
    ask(service, "Do you ship to Canada?", "r1")
    assert embedder.threads[0] != threading.current_thread().name
    lines = [json.loads(line) for line in request_log.getvalue().splitlines()]
    [failed] = [line for line in lines if line["message"] == "embedding failed: answering without the cache"]
    assert (failed["request_id"], failed["tenant_id"], failed["reason"]) == ("req-77", "shop", "timeout")
