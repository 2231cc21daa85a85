"""The chat service with fakes: routing by budget state, holds, settlement and every failure path."""

from __future__ import annotations

from decimal import Decimal

import pytest

from spendrail.chat.question import Answer, Question
from spendrail.chat.service import ChatService
from spendrail.deadline import Deadline
from spendrail.errors import BudgetBusyError, BudgetExceededError, InvalidInputError, UpstreamError
from spendrail.ledger.memory import InMemoryLedger
from spendrail.llm.port import Usage
from spendrail.policy import BudgetPolicy
from spendrail.pricing import PricingCatalog
from spendrail.state import BudgetState
from spendrail.tenants.memory import InMemoryTenantDirectory
from spendrail.tenants.model import Tenant
from spendrail.tenants.profiles import Profiles
from tests.conftest import Clock
from tests.fakes.llm import ScriptedLLM, answer

CATALOG = PricingCatalog.load()
TENANT = Tenant("shop", fallback_message="We'll be right back!")
MISTRAL, GPT, LLAMA = "mistralai/mistral-small-latest", "openai/gpt-5.2-mini", "meta-llama/llama-3.3-70b-instruct"


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def service(ledger: InMemoryLedger, llm: ScriptedLLM, clock: Clock, sleeps: list[float]) -> ChatService:
    return ChatService(ledger, llm, CATALOG, clock=clock, sleep=sleeps.append)


def ask(
    service: ChatService,
    request_id: str = "req-1",
    prompt: str = "How do I track my order?",
    *,
    tenant: Tenant = TENANT,
    deadline: Deadline | None = None,
    **fields: object,
) -> Answer:
    question = Question(tenant, request_id, "cust-1", prompt, **fields)  # type: ignore[arg-type]
    return service.answer(question, deadline or Deadline.after(29))


def spend(ledger: InMemoryLedger, nanos: int) -> None:
    hold = ledger.reserve("shop", nanos).hold
    assert hold is not None
    ledger.settle(hold, nanos)


def test_a_healthy_budget_routes_to_the_use_cases_model_with_a_fallback(
    service: ChatService, llm: ScriptedLLM, ledger: InMemoryLedger
) -> None:
    outcome = ask(service, "req-1")
    sent = llm.requests[0]
    assert (sent.model, sent.fallbacks, sent.max_tokens, sent.user) == (MISTRAL, (GPT,), 512, "cust-1")
    assert sent.messages[-1].content == "How do I track my order?"
    assert (outcome.model, outcome.cost_nanos, outcome.cached, outcome.downgraded) == (MISTRAL, 150_000, False, False)
    assert outcome.snapshot.state is BudgetState.ACTIVE
    assert outcome.snapshot.daily.settled_room == 999_850_000
    snapshot = ledger.snapshot("shop")
    assert (snapshot.daily.spent, snapshot.daily.held) == (150_000, 0)


def test_the_price_table_is_used_only_when_the_provider_reports_no_cost(
    service: ChatService, llm: ScriptedLLM, ledger: InMemoryLedger
) -> None:
    llm.then(answer(GPT, cost=None, input_tokens=1000, output_tokens=500))
    outcome = ask(service, "req-1")
    assert outcome.cost_nanos == 600_000  # gpt-5.2-mini list price, the model that actually answered
    assert ledger.snapshot("shop").daily.spent == 600_000


def test_an_unpriced_model_without_cost_is_charged_the_whole_hold(
    service: ChatService, llm: ScriptedLLM, ledger: InMemoryLedger
) -> None:
    llm.then(answer("acme/unknown", cost=None))
    outcome = ask(service, "req-1")
    assert outcome.cost_nanos > 0
    assert ledger.snapshot("shop").daily.spent == outcome.cost_nanos


def test_the_walk_from_active_to_stopped(service: ChatService, llm: ScriptedLLM, ledger: InMemoryLedger) -> None:
    spend(ledger, 810_000_000)  # 81%: warned
    warned = ask(service, "r1")
    assert warned.snapshot.state is BudgetState.WARNED
    assert ask(service, "r2").route.fallbacks == ()  # stricter: no pricier fallback
    spend(ledger, 150_000_000)  # 96%: degraded
    degraded = ask(service, "r3")
    assert degraded.route.primary == LLAMA
    assert degraded.downgraded
    spend(ledger, ledger.snapshot("shop").daily.settled_room)  # nothing left
    with pytest.raises(BudgetExceededError) as refused:
        ask(service, "r4")
    assert refused.value.fallback_message == "We'll be right back!"
    assert refused.value.retry_after == 12 * 3600  # to UTC midnight from noon
    assert [r.model for r in llm.requests] == [MISTRAL, MISTRAL, LLAMA]


def test_a_request_that_fits_only_on_the_cheapest_model_is_served_by_it(
    service: ChatService, llm: ScriptedLLM, ledger: InMemoryLedger
) -> None:
    policy = BudgetPolicy(daily_cap_usd="0.001", monthly_cap_usd="10", soft_cap_percent=99, degrade_percent="99.9")
    ledger.put_policy("shop", policy)
    # $0.001 cannot hold mistral+gpt for 2,048 tokens (about $0.0013) but can hold llama (about $0.0007).
    outcome = ask(service, "req-1", max_tokens=2048)
    assert llm.requests[0].model == LLAMA
    assert outcome.downgraded


def test_holds_in_flight_are_waited_for_then_refused_as_busy(
    service: ChatService, ledger: InMemoryLedger, sleeps: list[float]
) -> None:
    ledger.reserve("shop", 999_999_000)  # another request holds nearly everything
    with pytest.raises(BudgetBusyError) as busy:
        ask(service, deadline=Deadline.after(29, clock=lambda: sum(sleeps)))
    assert busy.value.retry_after >= 1
    assert 1.0 <= sum(sleeps) <= 1.5  # waited about the configured 1.5 s, no longer
    assert ledger.snapshot("shop").daily.spent == 0


def test_the_busy_wait_never_outlasts_the_requests_deadline(
    service: ChatService, ledger: InMemoryLedger, sleeps: list[float]
) -> None:
    ledger.reserve("shop", 999_999_000)
    with pytest.raises(BudgetBusyError):
        ask(service, deadline=Deadline.after(0.3, clock=lambda: sum(sleeps)))
    assert sum(sleeps) <= 0.3


@pytest.mark.parametrize(
    ("error", "spent", "in_doubt"),
    [
        (UpstreamError("down", status=502, kind="unavailable"), 0, False),
        (UpstreamError("not sent", status=502, kind="unreachable"), 0, False),
        (UpstreamError("slow", status=504, kind="timeout", in_doubt=True), "hold", True),
        (UpstreamError("bad body", status=502, kind="malformed", in_doubt=True), "hold", True),
        (UpstreamError("mid", status=502, kind="midstream", usage=Usage(10, 5, Decimal("0.00002"))), 20_000, False),
        (
            UpstreamError("mid", status=502, kind="midstream", usage=Usage(1000, 500, None), model=MISTRAL),
            400_000,
            False,
        ),
        (UpstreamError("mid", status=502, kind="midstream", usage=Usage(10, 5, None)), "hold", True),
    ],
)
def test_a_failed_call_releases_its_hold_or_charges_what_may_have_been_billed(
    service: ChatService, llm: ScriptedLLM, ledger: InMemoryLedger, error: UpstreamError, spent: object, in_doubt: bool
) -> None:
    llm.then(error)
    with pytest.raises(UpstreamError):
        ask(service)
    snapshot = ledger.snapshot("shop")
    assert (snapshot.daily.held, snapshot.open_holds) == (0, 0)
    if spent == "hold":
        assert snapshot.daily.spent > 100_000  # the worst case of the request was charged
    else:
        assert snapshot.daily.spent == spent
    # Money in doubt counts as spent and is recorded as such, for reconciliation to confirm or correct.
    assert snapshot.daily.in_doubt == (snapshot.daily.spent if in_doubt else 0)


def test_an_unexpected_llm_client_failure_releases_the_hold(
    service: ChatService, llm: ScriptedLLM, ledger: InMemoryLedger
) -> None:
    llm.then(RuntimeError("bug"))
    with pytest.raises(RuntimeError):
        ask(service, "req-1")
    assert ledger.snapshot("shop").daily.held == 0


@pytest.mark.parametrize(
    ("fields", "message"), [({"use_case": "poetry"}, "unknown use case"), ({"max_tokens": 4096}, "at most 2048")]
)
def test_requests_the_use_case_cannot_serve(service: ChatService, fields: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        ask(service, "req-1", **fields)


def test_the_state_reported_by_the_reserve_redirects_routing(
    service: ChatService, llm: ScriptedLLM, ledger: InMemoryLedger
) -> None:
    ask(service, "r1")  # the service last saw the tenant active
    spend(ledger, 960_000_000)  # then other instances pushed it to degraded
    outcome = ask(service, "r2")
    assert outcome.route.primary == LLAMA  # the hold sized for mistral+gpt covers llama
    assert llm.requests[-1].model == LLAMA


def test_the_fallback_message_comes_from_the_tenants_profile_only_when_refusing(
    ledger: InMemoryLedger, llm: ScriptedLLM, clock: Clock
) -> None:
    profiles = InMemoryTenantDirectory()
    profiles.put_tenant(Tenant("shop", "Profile says: back at 9am."))
    service = ChatService(ledger, llm, CATALOG, clock=clock, profiles=Profiles(profiles), sleep=lambda _: None)
    bare = Tenant("shop")  # as the authenticator resolves it: one read, no profile
    ask(service, "r1", tenant=bare)
    spend(ledger, ledger.snapshot("shop").daily.settled_room)
    for request_id in ("r2", "r3"):
        with pytest.raises(BudgetExceededError) as refused:
            ask(service, request_id, tenant=bare)
        assert refused.value.fallback_message == "Profile says: back at 9am."
    unknown = ChatService(
        ledger, llm, CATALOG, clock=clock, profiles=Profiles(InMemoryTenantDirectory()), sleep=lambda _: None
    )
    with pytest.raises(BudgetExceededError) as refused:
        ask(unknown, "r4", tenant=bare)
    assert refused.value.fallback_message == bare.fallback_message


def test_a_settle_that_cannot_be_written_keeps_the_answer_and_leaves_the_hold_to_be_charged(
    ledger: InMemoryLedger, llm: ScriptedLLM, clock: Clock
) -> None:
    from spendrail.errors import LedgerUnavailableError

    class SettleDown(InMemoryLedger):
        def settle(self, hold, actual, **_):  # type: ignore[no-untyped-def]
            raise LedgerUnavailableError("DynamoDB stalled")

    down = SettleDown(clock=clock)
    down.put_policy("shop", BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="10"))
    outcome = ask(ChatService(down, llm, CATALOG, clock=clock))
    assert outcome.reply == "ok"  # the shopper keeps the answer that was paid for
    snapshot = down.snapshot("shop")
    # The hold stays, so the money is never undercounted: reclaiming it charges it in full, in doubt.
    assert (snapshot.open_holds, snapshot.daily.held) == (1, outcome.snapshot.daily.held)
