"""The tenant's budget events (what the admin API's budget report and the budget page list), on both ledgers.

An alert becomes an event of its tenant when it is acknowledged (published); one still waiting in the outbox is
listed too, as not delivered yet, so the page never waits for the scheduled run. Operator alerts are nobody's events.
"""

from __future__ import annotations

import pytest

from spendrail.alerts.delivery import AlertDelivery
from spendrail.alerts.memory import InMemoryPublisher
from spendrail.alerts.model import OPERATOR, Alert, AlertKind
from spendrail.errors import TenantNotFoundError
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.ledger.events import LedgerEvent
from spendrail.ledger.memory import InMemoryLedger
from spendrail.ledger.port import BudgetEvents, BudgetLedger
from tests.conftest import Clock
from tests.integration.test_ledger_contract import (
    CENT,
    USD,
    admit,
    outbox_of,
    policy,
)


def events_of(ledger: BudgetLedger) -> BudgetEvents:
    assert isinstance(ledger, DynamoDBLedger | InMemoryLedger)
    return ledger


def published(ledger: BudgetLedger, alerts: tuple[Alert, ...]) -> InMemoryPublisher:
    """Publish and acknowledge `alerts` as the request that claimed them does."""
    publisher = InMemoryPublisher()
    delivery = AlertDelivery(publisher, outbox_of(ledger))
    for alert in alerts:
        assert delivery.publish(alert)
    return publisher


def test_a_crossing_published_and_acknowledged_becomes_one_event(ledger: BudgetLedger, clock: Clock) -> None:
    ledger.put_policy("shop", policy(timezone="Europe/Berlin"))
    [soft] = ledger.settle(admit(ledger, 90 * CENT), 85 * CENT).alerts
    published(ledger, (soft,))
    assert events_of(ledger).events("shop") == [
        LedgerEvent(
            tenant_id="shop",
            alert_id="shop/soft_cap/daily/2026-11-28",
            kind=AlertKind.SOFT_CAP,
            window="daily",
            window_key="2026-11-28",
            at=int(clock.now.timestamp()),
            spent=85 * CENT,
            cap=USD,
            timezone="Europe/Berlin",
            delivered=True,
        )
    ]
    assert outbox_of(ledger).pending_alerts("shop") == ()


def test_an_alert_not_published_yet_is_listed_as_not_delivered(ledger: BudgetLedger) -> None:
    ledger.put_policy("shop", policy())
    [soft] = ledger.settle(admit(ledger, 90 * CENT), 85 * CENT).alerts  # SNS was down: it waits in the outbox
    [waiting] = events_of(ledger).events("shop")
    assert (waiting.alert_id, waiting.delivered) == (soft.alert_id, False)
    published(ledger, (soft,))
    [event] = events_of(ledger).events("shop")
    assert (event.alert_id, event.delivered) == (soft.alert_id, True)


def test_acknowledging_twice_or_republishing_adds_no_event(ledger: BudgetLedger) -> None:
    ledger.put_policy("shop", policy())
    [soft] = ledger.settle(admit(ledger, 90 * CENT), 85 * CENT).alerts
    outbox = outbox_of(ledger)
    [from_outbox] = outbox.pending_alerts("shop")  # the copy the scheduled run would publish
    publisher = published(ledger, (soft, from_outbox))
    outbox.ack(soft)
    assert len(publisher.published) == 2
    assert [e.alert_id for e in events_of(ledger).events("shop")] == [soft.alert_id]


def test_events_are_listed_newest_first_and_limited(ledger: BudgetLedger, clock: Clock) -> None:
    ledger.put_policy("shop", policy(daily="1", monthly="1.2"))
    first = ledger.settle(admit(ledger, 90 * CENT), 85 * CENT).alerts  # soft cap of the day
    clock.advance(hours=1)
    then = ledger.settle(admit(ledger, 12 * CENT), 12 * CENT).alerts  # degraded (day); soft cap (month)
    clock.advance(days=1)
    reset = ledger.reserve("shop", CENT).alerts  # the new day reopens: budget_reset
    published(ledger, first + then + reset)
    listed = [(e.kind, e.window) for e in events_of(ledger).events("shop")]
    assert listed == [
        (AlertKind.BUDGET_RESET, "daily"),
        (AlertKind.DEGRADED, "daily"),  # claimed in the same write as the month's soft cap
        (AlertKind.SOFT_CAP, "monthly"),
        (AlertKind.SOFT_CAP, "daily"),
    ]
    assert [(e.kind, e.window) for e in events_of(ledger).events("shop", limit=2)] == listed[:2]


def test_a_reset_event_carries_what_the_closed_window_was(ledger: BudgetLedger, clock: Clock) -> None:
    ledger.put_policy("shop", policy())
    published(ledger, ledger.settle(admit(ledger, USD), USD).alerts)
    clock.advance(days=1)
    published(ledger, ledger.reserve("shop", CENT).alerts)
    reset = events_of(ledger).events("shop")[0]
    assert (reset.kind, reset.window_key, reset.spent, reset.cap) == (AlertKind.BUDGET_RESET, "2026-11-29", 0, USD)
    assert reset.extra["previousState"] == "stopped"


def test_operator_alerts_are_no_tenants_events(ledger: BudgetLedger, clock: Clock) -> None:
    ledger.put_policy("shop", policy())
    outbox = outbox_of(ledger)
    at = int(clock.now.timestamp())
    credits = Alert(AlertKind.PROVIDER_CREDITS, OPERATOR, "hourly", "2026-11-28T12", 0, 0, at)
    assert outbox.claim_operator_alert(credits)
    published(ledger, (credits,))
    assert outbox.pending_alerts(OPERATOR) == ()
    assert events_of(ledger).events("shop") == []


def test_events_expire_after_sixty_days(ledger: BudgetLedger, clock: Clock) -> None:
    ledger.put_policy("shop", policy())
    published(ledger, ledger.settle(admit(ledger, 90 * CENT), 85 * CENT).alerts)
    clock.advance(days=59)
    assert len(events_of(ledger).events("shop")) == 1
    clock.advance(days=1)
    assert events_of(ledger).events("shop") == []


def test_events_of_an_unknown_tenant_are_refused(ledger: BudgetLedger) -> None:
    with pytest.raises(TenantNotFoundError):
        events_of(ledger).events("nobody")
