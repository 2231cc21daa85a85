"""Reconciliation against OpenRouter's billed usage: doubt confirmed when the bill agrees, given back when it was
never billed, and the operator told (once a day) when the two disagree beyond the tolerance."""

from __future__ import annotations

import pytest

from spendrail.alerts.model import OPERATOR, AlertKind
from spendrail.closing.reconcile import Reconciler, Tolerance
from spendrail.errors import ProviderAccountError
from spendrail.ledger.memory import InMemoryLedger
from spendrail.policy import BudgetPolicy
from tests.conftest import Clock

CENT = 10_000_000
TTL = 45


class Account:
    """OpenRouter's GET /key: what it has billed the key, all time; or down."""

    def __init__(self) -> None:
        self.usage = 0
        self.down = False

    def usage_nanos(self) -> int:
        if self.down:
            raise ProviderAccountError("GET /key answered 503")
        return self.usage


class World:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.ledger = InMemoryLedger(hold_ttl_seconds=TTL, clock=clock)
        self.account = Account()
        self.reconcile = Reconciler(self.ledger.upkeep(), self.ledger, self.account, clock=clock)
        for tenant in ("a", "b"):
            self.ledger.put_policy(tenant, BudgetPolicy(daily_cap_usd="5", monthly_cap_usd="50"))

    def call(self, tenant: str, cost: int, *, billed: int | None = None, in_doubt: bool = False) -> None:
        """A request that cost `cost` by the ledger's account and `billed` by OpenRouter's."""
        hold = self.ledger.reserve(tenant, max(cost, 1)).hold
        assert hold is not None
        self.ledger.settle(hold, cost, in_doubt=cost if in_doubt else 0)
        self.account.usage += cost if billed is None else billed


@pytest.fixture
def world(clock: Clock) -> World:
    world = World(clock)
    world.call("a", 40 * CENT)  # before the first reconciliation
    assert world.reconcile().outcome == "baseline"
    return world


def test_in_doubt_charges_are_confirmed_when_the_bill_agrees(world: World) -> None:
    world.call("a", 20 * CENT)
    world.call("b", 30 * CENT, in_doubt=True)  # timed out, but OpenRouter did bill it
    result = world.reconcile()
    assert (result.outcome, result.billed, result.counted, result.resolved) == (
        "agreed",
        50 * CENT,
        50 * CENT,
        30 * CENT,
    )
    daily = world.ledger.snapshot("b").daily
    assert (daily.spent, daily.in_doubt) == (30 * CENT, 0)  # spend stays, no longer in doubt
    assert world.ledger.pending_alerts(OPERATOR) == ()


def test_in_doubt_charges_never_billed_are_given_back(world: World) -> None:
    world.call("a", 10 * CENT)
    world.call("b", 30 * CENT, billed=0, in_doubt=True)  # timed out before OpenRouter generated anything
    result = world.reconcile()
    assert (result.outcome, result.drift, result.resolved) == ("given_back", 30 * CENT, 30 * CENT)
    daily = world.ledger.snapshot("b").daily
    assert (daily.spent, daily.in_doubt, daily.remaining) == (0, 0, 5 * 100 * CENT)
    assert world.ledger.pending_alerts(OPERATOR) == ()
    world.call("a", 10 * CENT)
    assert world.reconcile().outcome == "agreed"  # the baseline moved by what was given back


def test_drift_the_doubt_does_not_explain_is_reported_to_the_operator_once_a_day(world: World) -> None:
    world.call("a", 10 * CENT, billed=25 * CENT)  # OpenRouter billed more than the ledger counted
    result = world.reconcile()
    assert (result.outcome, result.drift) == ("drift", -15 * CENT)
    [alert] = world.ledger.pending_alerts(OPERATOR)
    assert (alert.kind, alert.window, alert.window_key) == (AlertKind.RECONCILIATION_DRIFT, "daily", "2026-11-28")
    assert (alert.extra["ledgerUsd"], alert.extra["openrouterUsd"], alert.extra["driftUsd"]) == ("0.1", "0.25", "-0.15")
    world.clock.advance(minutes=5)
    world.call("a", 10 * CENT, billed=25 * CENT)
    assert world.reconcile().outcome == "drift"
    assert len(world.ledger.pending_alerts(OPERATOR)) == 1  # the same day's drift: claimed once
    world.clock.advance(days=1)
    world.call("a", 10 * CENT, billed=25 * CENT)
    world.reconcile()
    assert [a.window_key for a in world.ledger.pending_alerts(OPERATOR)] == ["2026-11-28", "2026-11-29"]


def test_doubt_the_drift_only_partly_explains_stays_in_doubt_and_is_not_reported(world: World) -> None:
    world.call("b", 30 * CENT, billed=10 * CENT, in_doubt=True)  # some of it billed: which part cannot be told
    result = world.reconcile()
    assert (result.outcome, result.resolved) == ("partial", 0)
    assert world.ledger.snapshot("b").daily.in_doubt == 30 * CENT
    assert world.ledger.pending_alerts(OPERATOR) == ()


def test_drift_beyond_the_doubt_gives_the_doubt_back_and_reports_the_rest(world: World) -> None:
    world.call("a", 50 * CENT, billed=40 * CENT)  # counted 10 cents more than billed, with no doubt to explain it
    world.call("b", 20 * CENT, billed=0, in_doubt=True)
    result = world.reconcile()
    assert (result.outcome, result.resolved) == ("given_back", 20 * CENT)
    [alert] = world.ledger.pending_alerts(OPERATOR)
    assert (alert.extra["driftUsd"], alert.extra["inDoubtUsd"]) == ("0.1", "0.2")


def test_a_difference_within_the_tolerance_is_agreement(world: World) -> None:
    world.call("a", 200 * CENT, billed=200 * CENT + 19 * CENT // 10)  # 0.95% of $2
    assert world.reconcile().outcome == "agreed"
    assert Tolerance().of(billed=CENT, counted=CENT) == CENT  # at least a cent
    assert Tolerance().of(billed=1000 * CENT, counted=999 * CENT) == 10 * CENT  # else 1% of the larger


def test_a_reclaimed_hold_that_a_late_settle_may_still_correct_is_not_given_back(world: World) -> None:
    hold = world.ledger.reserve("b", 30 * CENT).hold  # the request dies; OpenRouter billed nothing
    assert hold is not None
    world.clock.advance(seconds=TTL + 1)
    world.ledger.reclaim_stale_holds()
    result = world.reconcile()
    assert (result.outcome, result.resolved) == ("given_back", 0)  # its tombstone is there for an hour
    assert world.ledger.snapshot("b").daily.in_doubt == 30 * CENT
    assert world.ledger.pending_alerts(OPERATOR) == ()  # the doubt explains the difference: nothing to report
    late = world.ledger.settle(hold, 12 * CENT)  # it was alive after all: its settle corrects the charge once
    assert (late.snapshot.daily.spent, late.snapshot.daily.in_doubt) == (12 * CENT, 0)


def test_when_openrouter_cannot_say_nothing_moves(world: World) -> None:
    world.call("a", 10 * CENT, billed=99 * CENT)
    world.account.down = True
    assert world.reconcile().outcome == "unavailable"
    world.account.down = False
    world.clock.advance(minutes=5)
    assert world.reconcile().billed == 99 * CENT  # the period still starts at the last baseline
