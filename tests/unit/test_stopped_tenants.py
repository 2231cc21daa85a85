"""A tenant refused as exhausted is refused from the instance's memory: no ledger call until the memory is stale
(then one read), a raised cap honoured within the bound, forgotten when the window resets; exact hits still served."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from spendrail.alerts.model import AlertKind
from spendrail.cache.memory import InMemoryCacheStore
from spendrail.cache.semantic import SemanticCache
from spendrail.cache.service import AnswerCache
from spendrail.chat.question import Answer, Question
from spendrail.chat.service import ChatService
from spendrail.chat.stopped import STALE_SECONDS
from spendrail.deadline import Deadline
from spendrail.errors import BudgetExceededError
from spendrail.ledger.memory import InMemoryLedger
from spendrail.ledger.model import LedgerSnapshot, ReserveResult
from spendrail.policy import BudgetPolicy
from spendrail.pricing import PricingCatalog
from spendrail.tenants.model import Tenant
from tests.conftest import Clock
from tests.fakes.embedder import HashedEmbedder
from tests.fakes.llm import ScriptedLLM

CATALOG = PricingCatalog.load()
SHOP = Tenant("shop", fallback_message="Back tomorrow!")
POLICY = BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="10")


class CountingLedger(InMemoryLedger):
    """The in-memory ledger, counting what the chat path asks of it (each would be a DynamoDB call or more)."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock=clock)
        self.calls: Counter[str] = Counter()

    def reserve(
        self, tenant_id: str, amount: int, *, hold_id: str | None = None, claim_stop: bool = True
    ) -> ReserveResult:
        self.calls["reserve"] += 1
        return super().reserve(tenant_id, amount, hold_id=hold_id, claim_stop=claim_stop)

    def snapshot(self, tenant_id: str) -> LedgerSnapshot:
        self.calls["snapshot"] += 1
        return super().snapshot(tenant_id)


@pytest.fixture
def counted(clock: Clock) -> CountingLedger:
    ledger = CountingLedger(clock)
    ledger.put_policy("shop", POLICY)
    return ledger


@pytest.fixture
def service(counted: CountingLedger, llm: ScriptedLLM, clock: Clock) -> ChatService:
    return ChatService(counted, llm, CATALOG, clock=clock, sleep=lambda _: None)


def ask(service: ChatService, request_id: str, prompt: str = "How do I track my order?", **fields: object) -> Answer:
    question = Question(SHOP, request_id, "cust-1", prompt, **fields)  # type: ignore[arg-type]
    return service.answer(question, Deadline.after(29))


def spend_all(ledger: CountingLedger) -> None:
    room = ledger.snapshot("shop").daily.settled_room
    hold = ledger.reserve("shop", room).hold
    assert hold is not None
    ledger.settle(hold, room)
    ledger.calls.clear()


def refused(service: ChatService, request_id: str, **fields: object) -> BudgetExceededError:
    with pytest.raises(BudgetExceededError) as refusal:
        ask(service, request_id, **fields)
    return refusal.value


def test_a_flood_against_a_stopped_tenant_asks_the_ledger_once(
    service: ChatService, counted: CountingLedger, llm: ScriptedLLM
) -> None:
    spend_all(counted)
    first = refused(service, "r0")
    assert counted.calls == Counter(reserve=1)  # the cheapest route does not fit either: not asked twice
    flood = [refused(service, f"r{i}") for i in range(1, 1000)]
    assert counted.calls == Counter(reserve=1)
    assert {(r.retry_after, r.fallback_message, r.snapshot) for r in flood} == {
        (first.retry_after, "Back tomorrow!", first.snapshot)
    }
    assert first.snapshot.daily.spent == first.snapshot.daily.cap
    stops = [a for a in counted.pending_alerts("shop") if a.kind is AlertKind.HARD_STOP]
    assert len(stops) == 1  # announced once, never re-claimed by a refusal from memory
    assert llm.requests == []


def test_the_memory_is_re_read_once_stale_and_keeps_refusing_without_a_write(
    service: ChatService, counted: CountingLedger, clock: Clock
) -> None:
    spend_all(counted)
    refused(service, "r0")
    clock.advance(seconds=STALE_SECONDS - 0.1)
    refused(service, "r1")
    assert counted.calls == Counter(reserve=1)
    clock.advance(seconds=0.1)
    late = refused(service, "r2")
    refused(service, "r3")
    assert counted.calls == Counter(reserve=1, snapshot=1)  # one read per bound, no second reserve
    assert late.retry_after == 12 * 3600 - STALE_SECONDS  # to midnight, from now


def test_a_cap_raised_by_the_admin_is_honoured_within_the_bound(
    service: ChatService, counted: CountingLedger, clock: Clock, llm: ScriptedLLM
) -> None:
    spend_all(counted)
    refused(service, "r0")
    counted.put_policy("shop", BudgetPolicy(daily_cap_usd="2", monthly_cap_usd="10"))
    refused(service, "r1")  # within the bound: the raise is not seen yet
    clock.advance(seconds=STALE_SECONDS)
    served = ask(service, "r2")
    assert served.cost_nanos > 0 and len(llm.requests) == 1
    assert served.snapshot.daily.cap == 2_000_000_000


def test_the_memory_ends_with_the_window(counted: CountingLedger, llm: ScriptedLLM) -> None:
    clock = Clock(datetime(2026, 11, 28, 23, 59, 58, tzinfo=UTC))
    ledger = CountingLedger(clock)
    ledger.put_policy("shop", POLICY)
    service = ChatService(ledger, llm, CATALOG, clock=clock, sleep=lambda _: None)
    spend_all(ledger)
    assert refused(service, "r0").retry_after == 2
    clock.advance(seconds=2)  # midnight, well within the staleness bound
    served = ask(service, "r1")
    assert served.snapshot.daily.key == "2026-11-29"
    assert ledger.calls["snapshot"] == 0


def test_a_request_small_enough_for_what_is_left_is_not_refused_from_memory(
    service: ChatService, counted: CountingLedger, llm: ScriptedLLM
) -> None:
    room = counted.snapshot("shop").daily.settled_room
    hold = counted.reserve("shop", room - 100_000).hold  # a ten-thousandth of a dollar left
    assert hold is not None
    counted.settle(hold, room - 100_000)
    counted.calls.clear()
    big = refused(service, "r0", max_tokens=2048)
    assert big.snapshot.daily.settled_room == 100_000
    small = ask(service, "r1", max_tokens=16)
    assert small.cost_nanos > 0 and len(llm.requests) == 1


def test_exact_cache_hits_are_still_served_to_a_tenant_refused_from_memory(
    counted: CountingLedger, llm: ScriptedLLM, clock: Clock
) -> None:
    cache = AnswerCache(InMemoryCacheStore(), dimensions=512, ttl_seconds=3600, refresh_seconds=0, max_entries=100)
    semantic = SemanticCache(cache, HashedEmbedder(), CATALOG, "openai/text-embedding-3-small")
    service = ChatService(counted, llm, CATALOG, cache=semantic, clock=clock, sleep=lambda _: None)
    ask(service, "r0", "How do I track my order?")
    spend_all(counted)
    for i in range(3):
        refused_again = refused(service, f"p{i}", prompt="Where is my parcel right now?")
        assert refused_again.snapshot.state.value == "stopped"
    assert counted.calls["reserve"] == 1
    exact = ask(service, "r1", "How do I track my order?")
    assert (exact.cached, exact.cost_nanos, exact.snapshot.state.value) == (True, 0, "stopped")
    assert len(llm.requests) == 1
