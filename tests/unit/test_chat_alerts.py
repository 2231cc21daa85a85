"""The chat path tells the merchant: the request that crosses a threshold publishes its alert, briefly; what it
cannot publish stays in the outbox; a refusal that claims the hard stop says so before the 429."""

from __future__ import annotations

import pytest

from spendrail.alerts.delivery import AlertDelivery
from spendrail.alerts.details import AlertDetails
from spendrail.alerts.memory import InMemoryPublisher
from spendrail.alerts.model import OPERATOR, AlertKind
from spendrail.chat.question import Question
from spendrail.chat.service import ChatService
from spendrail.deadline import Deadline
from spendrail.errors import BudgetExceededError, UpstreamError
from spendrail.ledger.memory import InMemoryLedger
from spendrail.pricing import PricingCatalog
from spendrail.tenants.model import Tenant
from tests.conftest import Clock
from tests.fakes.llm import ScriptedLLM

CATALOG = PricingCatalog.load()
SHOP = Tenant("shop")
MISTRAL, LLAMA = "mistralai/mistral-small-latest", "meta-llama/llama-3.3-70b-instruct"


@pytest.fixture
def publisher() -> InMemoryPublisher:
    return InMemoryPublisher()


@pytest.fixture
def delivery(publisher: InMemoryPublisher, ledger: InMemoryLedger, clock: Clock) -> AlertDelivery:
    return AlertDelivery(publisher, ledger, enrich=AlertDetails(CATALOG), clock=clock)


@pytest.fixture
def service(ledger: InMemoryLedger, llm: ScriptedLLM, delivery: AlertDelivery, clock: Clock) -> ChatService:
    return ChatService(ledger, llm, CATALOG, alerts=delivery, clock=clock, sleep=lambda _: None)


def ask(service: ChatService, request_id: str) -> object:
    return service.answer(Question(SHOP, request_id, "cust-1", "Do you ship to Canada?"), Deadline.after(29))


def spend(ledger: InMemoryLedger, nanos: int) -> None:
    hold = ledger.reserve("shop", nanos).hold
    assert hold is not None
    ledger.settle(hold, nanos)


def test_the_request_that_crosses_the_soft_cap_publishes_it_once_with_the_contract_fields(
    service: ChatService, ledger: InMemoryLedger, publisher: InMemoryPublisher
) -> None:
    spend(ledger, 799_900_000)  # $0.7999 of $1: the next answer crosses 80%
    ask(service, "r1")
    ask(service, "r2")
    [alert] = publisher.published
    assert (alert.kind, alert.tenant_id, alert.window) == (AlertKind.SOFT_CAP, "shop", "daily")
    message = alert.message()
    assert message["alertId"] == "shop/soft_cap/daily/2026-11-28"
    assert message["capUsd"] == 1.0
    assert 80 <= message["percent"] < 81
    assert message["model"] == MISTRAL  # warned keeps the use case's model, without the pricier fallback
    assert message["resetsAt"] == "2026-11-29T00:00:00+00:00"
    assert alert.subject().startswith("Soft cap reached")
    assert alert.attributes() == {"tenantId": "shop", "kind": "soft_cap", "severity": "warning"}


def test_a_refusal_that_claims_the_hard_stop_publishes_it_before_the_429(
    service: ChatService, ledger: InMemoryLedger, publisher: InMemoryPublisher
) -> None:
    spend(ledger, 999_990_000)
    with pytest.raises(BudgetExceededError):
        ask(service, "r1")
    assert [a.kind for a in publisher.published] == [AlertKind.HARD_STOP]
    assert publisher.published[0].model is None  # answers are paused: no model in use


def test_an_alert_that_cannot_be_published_stays_in_the_outbox_and_the_answer_is_unaffected(
    service: ChatService, ledger: InMemoryLedger, publisher: InMemoryPublisher, delivery: AlertDelivery
) -> None:
    publisher.failures = 1
    spend(ledger, 799_900_000)  # the next answer crosses the soft cap
    answer = ask(service, "r1")
    assert answer.reply  # type: ignore[attr-defined]
    assert publisher.published == []
    # Not published, so not acknowledged: it waits in the outbox for the scheduled run.
    assert [a.kind for a in ledger.pending_alerts("shop")] == [AlertKind.SOFT_CAP]
    assert delivery.failed == 1


def test_openrouter_out_of_credits_tells_the_operator_at_most_once_an_hour(
    service: ChatService, llm: ScriptedLLM, publisher: InMemoryPublisher, clock: Clock
) -> None:
    credits = UpstreamError("the LLM provider account is out of credits", status=503, kind="credits")
    llm.then(credits, credits)
    for request_id in ("r1", "r2"):
        with pytest.raises(UpstreamError):
            ask(service, request_id)
    clock.advance(hours=1)
    llm.then(credits)
    with pytest.raises(UpstreamError):
        ask(service, "r3")
    assert [(a.kind, a.tenant_id, a.window_key) for a in publisher.published] == [
        (AlertKind.PROVIDER_CREDITS, OPERATOR, "2026-11-28T12"),
        (AlertKind.PROVIDER_CREDITS, OPERATOR, "2026-11-28T13"),
    ]
    assert publisher.published[0].subject().startswith("OpenRouter credits exhausted")


def test_the_model_now_in_use_follows_the_state_the_alert_announces() -> None:
    from spendrail.alerts.model import Alert

    details = AlertDetails(CATALOG)
    base = Alert(AlertKind.SOFT_CAP, "shop", "daily", "2026-11-28", 800, 1000, 0)
    models = {
        kind: details(Alert(kind, "shop", "daily", "2026-11-28", 800, 1000, 0)).model
        for kind in (AlertKind.SOFT_CAP, AlertKind.DEGRADED, AlertKind.HARD_STOP, AlertKind.BUDGET_RESET)
    }
    assert models == {
        AlertKind.SOFT_CAP: MISTRAL,
        AlertKind.DEGRADED: LLAMA,
        AlertKind.HARD_STOP: None,
        AlertKind.BUDGET_RESET: MISTRAL,
    }
    assert details(base).dashboard_url is None


def test_a_bug_in_alerting_never_fails_the_answer(
    ledger: InMemoryLedger, llm: ScriptedLLM, publisher: InMemoryPublisher, clock: Clock
) -> None:
    def broken(alert: object) -> object:
        raise RuntimeError("a bug while rendering the alert")

    delivery = AlertDelivery(publisher, ledger, enrich=broken, clock=clock)  # type: ignore[arg-type]
    service = ChatService(ledger, llm, CATALOG, alerts=delivery, clock=clock, sleep=lambda _: None)
    spend(ledger, 799_900_000)
    assert ask(service, "r1").reply  # type: ignore[attr-defined]
    assert [a.kind for a in ledger.pending_alerts("shop")] == [AlertKind.SOFT_CAP]  # kept for the scheduled run
