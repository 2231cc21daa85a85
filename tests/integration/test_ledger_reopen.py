"""A cap change that reopens a window (the admin API's PUT), on both ledgers: the level announced in the window is
lowered to the new one and `budget_reset` is recorded once, in the same write; later crossings alert again. Each
reopening starts a new episode of the window, and every alert of an episode after the first carries it in its id."""

from __future__ import annotations

from spendrail.alerts.model import AlertKind
from spendrail.ledger.model import Refusal
from spendrail.ledger.port import BudgetLedger
from spendrail.state import BudgetState
from tests.conftest import Clock
from tests.integration.ledgers import MakeLedger
from tests.integration.test_ledger_contract import (
    CENT,
    USD,
    admit,
    outbox_of,
    policy,
)
from tests.integration.test_ledger_events import events_of

DAY = "2026-11-28"
DAY_RESET = f"shop/budget_reset/daily/{DAY}/1"  # the first reopening starts the window's episode 1
FIRST_EPISODE = [f"shop/{kind}/daily/{DAY}" for kind in ("soft_cap", "degraded", "hard_stop")]


def stopped(ledger: BudgetLedger) -> None:
    """The tenant spent its whole $1 day: soft cap, degraded and hard stop announced."""
    ledger.put_policy("shop", policy())
    kinds = [a.kind for a in ledger.settle(admit(ledger, USD), USD).alerts]
    assert kinds == [AlertKind.SOFT_CAP, AlertKind.DEGRADED, AlertKind.HARD_STOP]
    assert ledger.reserve("shop", CENT).refusal is Refusal.EXHAUSTED


def test_raising_the_cap_of_a_stopped_tenant_records_one_budget_reset_and_serves_the_next_request(
    make_ledger: MakeLedger, clock: Clock
) -> None:
    admin, chat = make_ledger(), make_ledger()  # two Lambda instances: the admin function and a chat instance
    stopped(chat)
    change = admin.change_policy("shop", policy(daily="2"))
    [reset] = change.alerts
    assert (reset.kind, reset.alert_id, reset.spent_nanos, reset.cap_nanos) == (
        AlertKind.BUDGET_RESET,
        DAY_RESET,
        USD,
        2 * USD,
    )
    assert reset.at == int(clock.now.timestamp())
    assert reset.extra["previousState"] == "stopped"
    assert (change.snapshot.daily.cap, change.snapshot.state, change.created) == (2 * USD, BudgetState.ACTIVE, False)
    assert [a.alert_id for a in outbox_of(admin).pending_alerts("shop")].count(DAY_RESET) == 1
    assert chat.reserve("shop", 50 * CENT).admitted  # the very next request is served


def test_a_crossing_under_the_raised_cap_alerts_again(make_ledger: MakeLedger) -> None:
    admin, chat = make_ledger(), make_ledger()
    stopped(chat)
    admin.change_policy("shop", policy(daily="2"))
    assert chat.settle(admit(chat, 50 * CENT), 50 * CENT).alerts == ()  # $1.50 of $2: 75%
    again = chat.settle(admit(chat, 10 * CENT), 10 * CENT)  # 80%: the soft cap of the new cap
    assert [(a.kind, a.spent_nanos, a.cap_nanos) for a in again.alerts] == [(AlertKind.SOFT_CAP, 160 * CENT, 2 * USD)]
    assert [(a.alert_id, a.episode) for a in again.alerts] == [(f"shop/soft_cap/daily/{DAY}/1", 1)]
    assert chat.settle(admit(chat, 40 * CENT), 40 * CENT).snapshot.state is BudgetState.STOPPED


def test_repeating_the_put_records_no_second_reset(ledger: BudgetLedger) -> None:
    stopped(ledger)
    assert len(ledger.change_policy("shop", policy(daily="2")).alerts) == 1
    assert ledger.change_policy("shop", policy(daily="2")).alerts == ()
    assert ledger.change_policy("shop", policy(daily="3")).alerts == ()  # still reopened: nothing to announce
    resets = [a for a in outbox_of(ledger).pending_alerts("shop") if a.kind is AlertKind.BUDGET_RESET]
    assert [a.alert_id for a in resets] == [DAY_RESET]
    # Nor a second episode: the next crossing is the first reopening's.
    assert [a.alert_id for a in ledger.settle(admit(ledger, 2 * USD), 2 * USD).alerts] == [
        f"{alert_id}/1" for alert_id in FIRST_EPISODE
    ]


def test_put_policy_records_the_reset_too(ledger: BudgetLedger) -> None:
    stopped(ledger)
    snapshot = ledger.put_policy("shop", policy(daily="2"))  # callers written before change_policy
    assert snapshot.daily.cap == 2 * USD
    assert DAY_RESET in [a.alert_id for a in outbox_of(ledger).pending_alerts("shop")]


def test_lowering_the_cap_below_spend_records_no_reset_and_the_next_request_claims_the_stop(
    ledger: BudgetLedger,
) -> None:
    ledger.put_policy("shop", policy())
    ledger.settle(admit(ledger, 50 * CENT), 50 * CENT)
    assert ledger.change_policy("shop", policy(daily="0.4")).alerts == ()
    refused = ledger.reserve("shop", CENT)
    assert refused.refusal is Refusal.EXHAUSTED
    assert [a.kind for a in refused.alerts] == [AlertKind.SOFT_CAP, AlertKind.DEGRADED, AlertKind.HARD_STOP]


def test_raising_the_soft_cap_threshold_reopens_a_warned_window(ledger: BudgetLedger) -> None:
    ledger.put_policy("shop", policy())
    assert [a.kind for a in ledger.settle(admit(ledger, 85 * CENT), 85 * CENT).alerts] == [AlertKind.SOFT_CAP]
    [reset] = ledger.change_policy("shop", policy(soft_cap_percent=90, degrade_percent=95)).alerts
    assert (reset.kind, reset.extra["previousState"]) == (AlertKind.BUDGET_RESET, "warned")
    assert [a.kind for a in ledger.settle(admit(ledger, 6 * CENT), 6 * CENT).alerts] == [AlertKind.SOFT_CAP]


def test_a_partly_raised_cap_lowers_the_level_to_the_new_one(ledger: BudgetLedger) -> None:
    stopped(ledger)
    [reset] = ledger.change_policy("shop", policy(daily="1.2")).alerts  # $1 of $1.20: 83%, warned
    assert (reset.kind, ledger.snapshot("shop").state) == (AlertKind.BUDGET_RESET, BudgetState.WARNED)
    # Degraded (95% of $1.20 = $1.14) is announced again; the soft cap, still standing, is not.
    assert [a.kind for a in ledger.settle(admit(ledger, 15 * CENT), 15 * CENT).alerts] == [AlertKind.DEGRADED]


def test_a_put_that_changes_no_cap_does_not_reopen_a_window_stopped_by_a_refusal(ledger: BudgetLedger) -> None:
    ledger.put_policy("shop", policy())
    ledger.settle(admit(ledger, 97 * CENT), 97 * CENT)
    assert AlertKind.HARD_STOP in [a.kind for a in ledger.reserve("shop", 5 * CENT).alerts]  # 5c does not fit
    assert ledger.change_policy("shop", policy()).alerts == ()  # e.g. only the fallback message changed


def test_the_monthly_window_reopens_on_its_own(ledger: BudgetLedger, clock: Clock) -> None:
    ledger.put_policy("shop", policy(daily="1", monthly="1.5"))
    ledger.settle(admit(ledger, USD), USD)
    clock.advance(days=1)
    ledger.settle(admit(ledger, 50 * CENT), 50 * CENT)  # the month is used up
    [reset] = ledger.change_policy("shop", policy(daily="1", monthly="3")).alerts
    assert (reset.alert_id, reset.spent_nanos) == ("shop/budget_reset/monthly/2026-11/1", 150 * CENT)
    assert reset.cap_nanos == 3 * USD


def test_a_cap_raised_after_midnight_before_any_request_is_reset_once_by_the_roll(
    ledger: BudgetLedger, clock: Clock
) -> None:
    stopped(ledger)
    clock.advance(days=1)  # nobody has rolled the day yet
    assert ledger.change_policy("shop", policy(daily="2")).alerts == ()  # the ended day is not reopened
    [reset] = ledger.reserve("shop", CENT).alerts  # the roll reopens it, as every midnight
    assert (reset.alert_id, reset.cap_nanos) == ("shop/budget_reset/daily/2026-11-29", 2 * USD)


def test_creating_a_tenant_says_so_and_alerts_nothing(ledger: BudgetLedger) -> None:
    created = ledger.change_policy("shop", policy())
    assert (created.created, created.alerts, created.snapshot.daily.cap) == (True, (), USD)
    assert ledger.change_policy("shop", policy(daily="2")).created is False


def test_a_reset_after_the_midnight_reset_of_the_same_day_has_an_id_of_its_own(
    ledger: BudgetLedger, clock: Clock
) -> None:
    stopped(ledger)
    clock.advance(days=1)
    [midnight] = ledger.reserve("shop", CENT).alerts  # the new day's reset: SNS is down, it waits
    ledger.settle(admit(ledger, 99 * CENT), 99 * CENT)  # degraded again the same day
    [raised] = ledger.change_policy("shop", policy(daily="2")).alerts
    assert (midnight.alert_id, raised.alert_id) == (
        "shop/budget_reset/daily/2026-11-29",
        "shop/budget_reset/daily/2026-11-29/1",
    )
    resets = [a for a in outbox_of(ledger).pending_alerts("shop") if a.kind is AlertKind.BUDGET_RESET]
    assert resets == [midnight, raised]  # both reach Slack: neither is a repeat of the other
    for alert in outbox_of(ledger).pending_alerts("shop"):
        outbox_of(ledger).ack(alert)
    assert outbox_of(ledger).pending_alerts("shop") == ()


def test_every_episode_of_a_window_alerts_under_ids_of_its_own(ledger: BudgetLedger, clock: Clock) -> None:
    stopped(ledger)
    [first] = ledger.change_policy("shop", policy(daily="2")).alerts
    again = ledger.settle(admit(ledger, USD), USD).alerts  # $2 of $2: stopped in the window's second episode
    [second] = ledger.change_policy("shop", policy(daily="2.2")).alerts  # $2 of $2.20: warned, reopened again
    assert (first.alert_id, first.episode) == (DAY_RESET, 1)
    assert (second.alert_id, second.episode) == (f"shop/budget_reset/daily/{DAY}/2", 2)
    assert [(a.alert_id, a.episode) for a in again] == [(f"{alert_id}/1", 1) for alert_id in FIRST_EPISODE]
    pending = [a.alert_id for a in outbox_of(ledger).pending_alerts("shop")]
    assert sorted(pending) == sorted([*FIRST_EPISODE, first.alert_id, *(a.alert_id for a in again), second.alert_id])
    for alert in outbox_of(ledger).pending_alerts("shop"):
        outbox_of(ledger).ack(alert)
    assert len(events_of(ledger).events("shop")) == 8  # each alert an event of its own, all claimed in one second
    clock.advance(days=1)
    [midnight] = ledger.reserve("shop", CENT).alerts  # the roll starts the next window at its first episode
    assert (midnight.alert_id, midnight.episode) == ("shop/budget_reset/daily/2026-11-29", 0)
    [soft] = ledger.settle(admit(ledger, 180 * CENT), 180 * CENT).alerts  # 82% of $2.20
    assert soft.alert_id == "shop/soft_cap/daily/2026-11-29"
