"""The ledger's rules, checked on both implementations: DynamoDB (on moto, sequentially) and the in-memory fake."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

import pytest

from spendrail.alerts.model import OPERATOR, Alert, AlertKind
from spendrail.alerts.port import AlertOutbox
from spendrail.errors import InvalidInputError, TenantNotFoundError
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.ledger.memory import InMemoryLedger
from spendrail.ledger.model import Hold, Refusal
from spendrail.ledger.port import BudgetHistory, BudgetLedger
from spendrail.ledger.summary import WindowSummary
from spendrail.ledger.upkeep import Baseline, LedgerUpkeep
from spendrail.policy import BudgetPolicy
from spendrail.state import BudgetState
from spendrail.windows import WindowKeys
from tests.conftest import Clock
from tests.integration.ledgers import TTL, MakeLedger

USD = 1_000_000_000
CENT = USD // 100


class ListedOutbox(AlertOutbox, Protocol):
    def pending_alerts(self, tenant_id: str) -> tuple[Alert, ...]: ...


def outbox_of(ledger: BudgetLedger) -> ListedOutbox:
    """Both ledgers are also the alerts' outbox."""
    assert isinstance(ledger, DynamoDBLedger | InMemoryLedger)
    return ledger


def policy(daily: str = "1", monthly: str = "10", **extra: Any) -> BudgetPolicy:
    return BudgetPolicy(daily_cap_usd=daily, monthly_cap_usd=monthly, **extra)


STATE_OF = {AlertKind.SOFT_CAP: BudgetState.WARNED, AlertKind.DEGRADED: BudgetState.DEGRADED}
STATE_OF[AlertKind.HARD_STOP] = BudgetState.STOPPED


def walk(ledger: BudgetLedger, requests: int) -> list[Alert]:
    """`requests` requests that each hold 10 cents and cost 9; every alert their reserves and settles claimed."""
    claimed: list[Alert] = []
    for _ in range(requests):
        result = ledger.reserve("shop", 10 * CENT)
        claimed += result.alerts
        if result.hold:
            claimed += ledger.settle(result.hold, 9 * CENT).alerts
    return claimed


def admit(ledger: BudgetLedger, amount: int, tenant: str = "shop") -> Hold:
    result = ledger.reserve(tenant, amount)
    assert result.hold is not None, result
    return result.hold


# ---- reserve / settle / release ---------------------------------------------------------------------------------


def test_a_hold_that_fits_is_admitted_and_counted_in_both_windows(ledger: BudgetLedger) -> None:
    ledger.put_policy("shop", policy())
    result = ledger.reserve("shop", 30 * CENT)
    assert result.admitted and result.refusal is None
    assert (result.snapshot.daily.held, result.snapshot.monthly.held) == (30 * CENT, 30 * CENT)
    assert result.snapshot.daily.remaining == 70 * CENT
    assert result.state is BudgetState.ACTIVE


def test_settle_records_the_real_cost_and_returns_the_rest(ledger: BudgetLedger) -> None:
    ledger.put_policy("shop", policy())
    hold = admit(ledger, 30 * CENT)
    result = ledger.settle(hold, 12 * CENT)
    assert result.applied and result.overshoot == 0
    assert (result.snapshot.daily.spent, result.snapshot.daily.held) == (12 * CENT, 0)
    assert result.snapshot.monthly.remaining == 10 * USD - 12 * CENT
    assert ledger.snapshot("shop").open_holds == 0


def test_release_returns_the_whole_hold(ledger: BudgetLedger) -> None:
    ledger.put_policy("shop", policy())
    hold = admit(ledger, 99 * CENT)
    assert not ledger.reserve("shop", 2 * CENT).admitted
    snapshot = ledger.release(hold).snapshot
    assert (snapshot.daily.spent, snapshot.daily.held, snapshot.daily.remaining) == (0, 0, USD)
    assert ledger.reserve("shop", USD).admitted


def test_a_hold_that_does_not_fit_is_refused_and_nothing_is_held(ledger: BudgetLedger) -> None:
    ledger.put_policy("shop", policy())
    hold = admit(ledger, 60 * CENT)
    ledger.settle(hold, 60 * CENT)
    result = ledger.reserve("shop", 41 * CENT)
    assert not result.admitted
    assert result.refusal is Refusal.EXHAUSTED and result.state is BudgetState.STOPPED
    assert ledger.snapshot("shop").daily.held == 0
    assert ledger.reserve("shop", 40 * CENT).admitted  # exactly the rest still fits


def test_holds_in_flight_refuse_as_busy_not_exhausted(ledger: BudgetLedger) -> None:
    ledger.put_policy("shop", policy())
    admit(ledger, 80 * CENT)
    result = ledger.reserve("shop", 30 * CENT)
    assert result.refusal is Refusal.BUSY  # settled spend leaves room; only the hold in flight is in the way
    assert result.state is BudgetState.ACTIVE


def test_the_monthly_window_binds_too(ledger: BudgetLedger, clock: Clock) -> None:
    ledger.put_policy("shop", policy(daily="5", monthly="6"))
    ledger.settle(admit(ledger, 4 * USD), 4 * USD)
    clock.advance(days=1)
    result = ledger.reserve("shop", 3 * USD)
    assert result.refusal is Refusal.EXHAUSTED
    assert (result.snapshot.daily.remaining, result.snapshot.monthly.remaining) == (5 * USD, 2 * USD)


def test_overshoot_records_the_truth_and_stops_the_tenant(ledger: BudgetLedger) -> None:
    ledger.put_policy("shop", policy())
    hold = admit(ledger, 50 * CENT)
    # The provider billed more than the worst case (a price changed): the truth is recorded anyway.
    result = ledger.settle(hold, 120 * CENT)
    assert result.overshoot == 70 * CENT
    assert result.snapshot.daily.spent == 120 * CENT
    assert result.snapshot.state is BudgetState.STOPPED
    totals = ledger.snapshot("shop")
    assert (totals.overshoot_nanos, totals.overshoot_count) == (70 * CENT, 1)
    assert ledger.reserve("shop", 1).refusal is Refusal.EXHAUSTED


def test_tiny_and_huge_amounts_are_exact(ledger: BudgetLedger) -> None:
    ledger.put_policy("whale", policy(daily="900000000", monthly="999999999999.999999999"))
    hold = ledger.reserve("whale", 123_456_789_012_345_678, hold_id="big").hold
    assert hold is not None
    ledger.settle(hold, 123_456_789_012_345_677)
    for i in range(5):
        ledger.settle(admit(ledger, 1, tenant="whale"), 1 if i % 2 else 0)
    snapshot = ledger.snapshot("whale")
    assert snapshot.monthly.spent == 123_456_789_012_345_679
    assert snapshot.monthly.remaining == 999_999_999_999_999_999_999 - 123_456_789_012_345_679


def test_a_zero_cap_admits_nothing_but_free_holds(ledger: BudgetLedger) -> None:
    ledger.put_policy("free", policy(daily="0", monthly="0"))
    assert ledger.reserve("free", 1, hold_id="h1").refusal is Refusal.EXHAUSTED
    assert ledger.snapshot("free").state is BudgetState.STOPPED


# ---- idempotency ------------------------------------------------------------------------------------------------


def test_replaying_a_reserve_holds_once(ledger: BudgetLedger) -> None:
    ledger.put_policy("shop", policy())
    first = ledger.reserve("shop", 40 * CENT, hold_id="req-1")
    again = ledger.reserve("shop", 40 * CENT, hold_id="req-1")
    assert again.admitted and again.replayed and again.hold == first.hold
    assert ledger.snapshot("shop").daily.held == 40 * CENT


def test_replaying_settle_and_release_counts_once(ledger: BudgetLedger) -> None:
    ledger.put_policy("shop", policy())
    hold = admit(ledger, 40 * CENT)
    assert ledger.settle(hold, 25 * CENT).applied
    replay = ledger.settle(hold, 25 * CENT)
    assert not replay.applied
    assert not ledger.release(hold).applied
    snapshot = ledger.snapshot("shop")
    assert (snapshot.daily.spent, snapshot.daily.held, snapshot.monthly.spent) == (25 * CENT, 0, 25 * CENT)


def test_two_instances_share_one_ledger(make_ledger: MakeLedger) -> None:
    a, b = make_ledger(), make_ledger()
    a.put_policy("shop", policy())
    hold = admit(a, 70 * CENT)
    assert b.reserve("shop", 40 * CENT).refusal is Refusal.BUSY
    b.settle(hold, 10 * CENT)
    assert a.snapshot("shop").daily.spent == 10 * CENT


# ---- windows ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "before_midnight"),
    [
        ("Pacific/Honolulu", datetime(2026, 12, 1, 9, 59, tzinfo=UTC)),  # UTC-10
        ("Pacific/Kiritimati", datetime(2026, 11, 30, 9, 59, tzinfo=UTC)),  # UTC+14
    ],
)
def test_a_request_after_local_midnight_meets_the_new_day_and_month_at_once(
    ledger: BudgetLedger, clock: Clock, zone: str, before_midnight: datetime
) -> None:
    clock.now = before_midnight
    ledger.put_policy("shop", policy(daily="1", monthly="1.5", timezone=zone))
    ledger.settle(admit(ledger, USD), USD)
    assert ledger.reserve("shop", 1).refusal is Refusal.EXHAUSTED
    clock.advance(minutes=1)  # local midnight of the 1st: a new day and a new month, no job has run
    result = ledger.reserve("shop", USD)
    assert result.admitted
    assert result.snapshot.daily.key.endswith("-01") and result.snapshot.monthly.spent == 0


def test_the_day_rolls_but_the_month_keeps_counting(ledger: BudgetLedger, clock: Clock) -> None:
    ledger.put_policy("shop", policy(daily="1", monthly="1.5"))
    ledger.settle(admit(ledger, USD), USD)
    clock.advance(days=1)
    assert ledger.snapshot("shop").daily.spent == 0  # reading never shows a stale window
    result = ledger.reserve("shop", 60 * CENT)
    assert result.refusal is Refusal.EXHAUSTED  # only $0.50 of the month is left
    assert result.snapshot.monthly.spent == USD
    assert ledger.reserve("shop", 50 * CENT).admitted


def test_leap_day_and_month_end(ledger: BudgetLedger, clock: Clock) -> None:
    clock.now = datetime(2028, 2, 28, 23, 30, tzinfo=UTC)
    ledger.put_policy("shop", policy())
    ledger.settle(admit(ledger, 10 * CENT), 10 * CENT)
    clock.advance(hours=1)  # Feb 29, 2028
    leap = ledger.reserve("shop", 20 * CENT)
    assert leap.snapshot.daily.key == "2028-02-29"
    assert leap.snapshot.monthly.spent == 10 * CENT
    assert leap.hold is not None
    ledger.settle(leap.hold, 20 * CENT)
    clock.advance(days=1)  # March 1: both windows new
    snapshot = ledger.reserve("shop", 1).snapshot
    assert (snapshot.daily.key, snapshot.monthly.key, snapshot.monthly.spent) == ("2028-03-01", "2028-03", 0)


def test_a_request_running_over_midnight_is_charged_to_the_day_it_started(ledger: BudgetLedger, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 28, 23, 59, 59, tzinfo=UTC)
    ledger.put_policy("shop", policy())
    hold = admit(ledger, 90 * CENT)
    clock.advance(seconds=2)
    new_day = admit(ledger, 90 * CENT)  # the new day is not blocked by yesterday's hold
    late = ledger.settle(hold, 50 * CENT)
    assert late.applied
    assert (late.snapshot.daily.spent, late.snapshot.daily.held) == (0, 90 * CENT)
    assert late.snapshot.monthly.spent == 50 * CENT
    assert ledger.settle(new_day, 10 * CENT).snapshot.monthly.spent == 60 * CENT


def test_a_settle_after_the_month_rolled_stays_in_its_month(ledger: BudgetLedger, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC)
    ledger.put_policy("shop", policy())
    hold = admit(ledger, 50 * CENT)
    clock.advance(seconds=2)
    admit(ledger, 1)  # December's first request rolls both windows
    snapshot = ledger.settle(hold, 20 * CENT).snapshot
    assert (snapshot.monthly.key, snapshot.monthly.spent, snapshot.monthly.held) == ("2026-12", 0, 1)


def test_a_settle_older_than_the_window_before_changes_no_window(ledger: BudgetLedger, clock: Clock) -> None:
    ledger.put_policy("shop", policy())
    hold = admit(ledger, 30 * CENT)
    clock.advance(days=62)  # two months on: neither window, nor the one before it, is the hold's
    admit(ledger, 1)
    late = ledger.settle(hold, 20 * CENT, in_doubt=20 * CENT)
    assert late.applied
    assert (late.snapshot.monthly.spent, late.snapshot.monthly.in_doubt, late.snapshot.daily.spent) == (0, 0, 0)


def test_a_cap_change_applies_to_the_next_request(make_ledger: MakeLedger) -> None:
    a, b = make_ledger(), make_ledger()
    a.put_policy("shop", policy())
    hold = admit(a, 50 * CENT)
    assert b.reserve("shop", 60 * CENT).refusal is Refusal.BUSY
    a.put_policy("shop", policy(daily="2"))  # raised mid-window
    assert b.reserve("shop", 60 * CENT).admitted
    a.put_policy("shop", policy(daily="1"))  # lowered again: $1.10 now held against $1
    assert b.reserve("shop", 1).refusal is Refusal.BUSY
    snapshot = a.settle(hold, 50 * CENT).snapshot
    assert (snapshot.daily.cap, snapshot.daily.spent, snapshot.daily.held) == (USD, 50 * CENT, 60 * CENT)


def test_thresholds_follow_the_policy(ledger: BudgetLedger) -> None:
    ledger.put_policy("shop", policy(soft_cap_percent=50, degrade_percent=60))
    result = ledger.settle(admit(ledger, 55 * CENT), 55 * CENT)
    assert result.snapshot.state is BudgetState.WARNED


# ---- threshold crossings ----------------------------------------------------------------------------------------


def test_each_threshold_is_announced_once_per_window(ledger: BudgetLedger) -> None:
    ledger.put_policy("shop", policy())
    announced = walk(ledger, 12)  # every crossing comes with its alert
    assert [(c.window, STATE_OF[c.kind]) for c in announced] == [
        ("daily", BudgetState.WARNED),
        ("daily", BudgetState.DEGRADED),
        ("daily", BudgetState.STOPPED),
    ]
    assert {c.window_key for c in announced} == {"2026-11-28"}


def test_one_settle_crossing_two_thresholds_announces_both(ledger: BudgetLedger) -> None:
    ledger.put_policy("shop", policy())
    crossings = ledger.settle(admit(ledger, USD), 96 * CENT).crossings
    assert [c.state for c in crossings] == [BudgetState.WARNED, BudgetState.DEGRADED]


def test_a_new_window_announces_again(ledger: BudgetLedger, clock: Clock) -> None:
    ledger.put_policy("shop", policy())
    assert ledger.settle(admit(ledger, 85 * CENT), 85 * CENT).crossings
    clock.advance(days=1)
    crossings = ledger.settle(admit(ledger, 85 * CENT), 85 * CENT).crossings
    assert [(c.window_key, c.state) for c in crossings] == [("2026-11-29", BudgetState.WARNED)]


def test_a_cap_raised_and_lowered_again_announces_the_reopening_and_the_crossing_again(ledger: BudgetLedger) -> None:
    ledger.put_policy("shop", policy())
    assert ledger.settle(admit(ledger, 85 * CENT), 85 * CENT).crossings
    assert [a.kind for a in ledger.change_policy("shop", policy(daily="2")).alerts] == [AlertKind.BUDGET_RESET]
    assert ledger.change_policy("shop", policy(daily="1")).alerts == ()  # a higher level is announced by spend

    def next_request() -> list[Alert]:
        reserved = ledger.reserve("shop", CENT)
        assert reserved.hold is not None
        return [*reserved.alerts, *ledger.settle(reserved.hold, CENT).alerts]

    [again] = next_request()  # the next request claims it (its reserve or its settle, as the ledger sees it)
    assert (again.kind, again.window_key) == (AlertKind.SOFT_CAP, "2026-11-28")
    assert next_request() == []  # and once


# ---- money in doubt ---------------------------------------------------------------------------------------------


def test_a_charge_in_doubt_counts_as_spent_and_is_recorded_per_window(ledger: BudgetLedger, clock: Clock) -> None:
    ledger.put_policy("shop", policy())
    # A timed-out LLM call: it may have been billed, so its hold is charged, and that charge is in doubt.
    result = ledger.settle(admit(ledger, 30 * CENT), 30 * CENT, in_doubt=30 * CENT)
    assert (result.snapshot.daily.spent, result.snapshot.daily.in_doubt, result.snapshot.daily.held) == (
        30 * CENT,
        30 * CENT,
        0,
    )
    ledger.settle(admit(ledger, 10 * CENT), 4 * CENT, in_doubt=1 * CENT)  # the embedding's cost was unreadable
    ledger.settle(admit(ledger, 10 * CENT), 5 * CENT)  # a known cost adds nothing in doubt
    snapshot = ledger.snapshot("shop")
    assert (snapshot.daily.spent, snapshot.daily.in_doubt) == (39 * CENT, 31 * CENT)
    assert (snapshot.monthly.spent, snapshot.monthly.in_doubt) == (39 * CENT, 31 * CENT)
    clock.advance(days=1)
    snapshot = ledger.snapshot("shop")
    assert (snapshot.daily.in_doubt, snapshot.monthly.in_doubt) == (0, 31 * CENT)  # a new day starts clear


@pytest.mark.parametrize("in_doubt", [-1, 10 * CENT + 1, 1.5])
def test_what_is_in_doubt_must_be_part_of_the_actual_cost(ledger: BudgetLedger, in_doubt: Any) -> None:
    ledger.put_policy("shop", policy())
    hold = admit(ledger, 20 * CENT)
    with pytest.raises(InvalidInputError):
        ledger.settle(hold, 10 * CENT, in_doubt=in_doubt)
    assert ledger.snapshot("shop").daily.held == 20 * CENT  # nothing was recorded


# ---- crash safety -----------------------------------------------------------------------------------------------


def test_a_dead_requests_hold_is_charged_in_doubt_and_a_late_settle_corrects_it(
    make_ledger: MakeLedger, clock: Clock
) -> None:
    sweeper, worker = make_ledger(), make_ledger()
    worker.put_policy("shop", policy())
    hold = admit(worker, 70 * CENT)  # ...and the worker dies here, most likely after sending its LLM call
    clock.advance(seconds=TTL - 1)
    assert sweeper.reclaim_stale_holds().holds_reclaimed == 0  # not yet expired: it could still be a live request
    clock.advance(seconds=1)
    report = sweeper.reclaim_stale_holds()
    assert (report.holds_reclaimed, report.nanos_in_doubt, report.nanos_returned) == (1, 70 * CENT, 0)
    snapshot = sweeper.snapshot("shop")
    assert (snapshot.daily.held, snapshot.daily.spent, snapshot.daily.in_doubt) == (0, 70 * CENT, 70 * CENT)
    assert snapshot.open_holds == 0
    assert sweeper.reclaim_stale_holds().holds_reclaimed == 0
    # A settle that arrives after all (it was not dead, only very late) puts the real cost in place of the charge.
    late = worker.settle(hold, 20 * CENT)
    assert late.applied and late.overshoot == 0
    assert (late.snapshot.daily.spent, late.snapshot.daily.in_doubt) == (20 * CENT, 0)
    assert not worker.settle(hold, 20 * CENT).applied
    snapshot = sweeper.snapshot("shop")
    assert (snapshot.daily.spent, snapshot.daily.in_doubt, snapshot.daily.remaining) == (20 * CENT, 0, 80 * CENT)
    assert (snapshot.monthly.spent, snapshot.monthly.in_doubt) == (20 * CENT, 0)


def test_a_late_settle_above_the_reclaimed_hold_counts_only_the_excess_as_overshoot(
    ledger: BudgetLedger, clock: Clock
) -> None:
    ledger.put_policy("shop", policy())
    hold = admit(ledger, 30 * CENT)
    clock.advance(seconds=TTL + 1)
    ledger.reclaim_stale_holds()
    late = ledger.settle(hold, 45 * CENT, in_doubt=5 * CENT)
    assert late.overshoot == 15 * CENT
    assert (late.snapshot.daily.spent, late.snapshot.daily.in_doubt) == (45 * CENT, 5 * CENT)
    assert ledger.snapshot("shop").overshoot_nanos == 15 * CENT


def test_a_late_settle_after_the_month_rolled_corrects_the_month_it_was_charged_to(
    ledger: BudgetLedger, clock: Clock
) -> None:
    clock.now = datetime(2026, 11, 30, 23, 58, 0, tzinfo=UTC)
    ledger.put_policy("shop", policy())
    hold = admit(ledger, 40 * CENT)
    clock.advance(seconds=TTL + 1)
    assert ledger.reclaim_stale_holds().nanos_in_doubt == 40 * CENT  # charged to November 30
    clock.advance(minutes=2)
    admit(ledger, 1)  # December's first request rolls both windows
    late = ledger.settle(hold, 10 * CENT)
    assert late.applied and late.overshoot == 0
    # November is corrected where it was charged; December, which never held this request, is untouched.
    snapshot = ledger.snapshot("shop")
    assert (snapshot.monthly.key, snapshot.monthly.spent, snapshot.monthly.in_doubt) == ("2026-12", 0, 0)


def test_an_in_doubt_charge_that_crosses_a_threshold_is_announced(ledger: BudgetLedger, clock: Clock) -> None:
    ledger.put_policy("shop", policy())
    admit(ledger, 85 * CENT)  # dies
    clock.advance(seconds=TTL + 1)
    report = ledger.reclaim_stale_holds()
    assert [(c.window, c.state) for c in report.crossings] == [("daily", BudgetState.WARNED)]
    assert ledger.settle(admit(ledger, 1 * CENT), 1 * CENT).crossings == ()  # announced once


def test_a_hold_of_a_killed_request_is_reclaimed_by_the_request_it_blocks(
    make_ledger: MakeLedger, clock: Clock
) -> None:
    """No sweep runs: the next reserve after the TTL finds the expired hold, charges it in doubt and decides."""
    killed, next_request = make_ledger(), make_ledger()
    killed.put_policy("shop", policy())
    admit(killed, 90 * CENT)  # Lambda killed the request between reserve and settle
    clock.advance(seconds=10)
    blocked = next_request.reserve("shop", 20 * CENT)
    assert (blocked.refusal, blocked.retry_after) == (Refusal.BUSY, TTL - 10)  # the hold may still be live
    clock.advance(seconds=TTL - 10)
    result = next_request.reserve("shop", 20 * CENT)
    # The honest outcome: the dead request most likely reached the provider, so its $0.90 counts as spent.
    assert (result.refusal, result.retry_after, result.state) == (Refusal.EXHAUSTED, None, BudgetState.STOPPED)
    snapshot = next_request.snapshot("shop")
    assert (snapshot.daily.held, snapshot.daily.spent, snapshot.daily.in_doubt) == (0, 90 * CENT, 90 * CENT)
    assert snapshot.open_holds == 0
    assert [c.state for c in result.crossings] == [BudgetState.WARNED, BudgetState.DEGRADED, BudgetState.STOPPED]
    assert next_request.reserve("shop", 10 * CENT).admitted  # what is really left is still usable


def test_a_request_reclaims_every_expired_hold_and_waits_only_for_live_ones(ledger: BudgetLedger, clock: Clock) -> None:
    ledger.put_policy("shop", policy())
    for _ in range(3):
        admit(ledger, 10 * CENT)  # three requests die
    clock.advance(seconds=30)
    live = admit(ledger, 50 * CENT)
    clock.advance(seconds=TTL - 20)  # the dead holds have expired; the live one has 20 s left
    result = ledger.reserve("shop", 30 * CENT)
    assert (result.refusal, result.retry_after) == (Refusal.BUSY, 20)
    snapshot = ledger.snapshot("shop")
    assert (snapshot.daily.spent, snapshot.daily.in_doubt, snapshot.daily.held) == (30 * CENT, 30 * CENT, 50 * CENT)
    assert snapshot.open_holds == 1
    ledger.settle(live, 5 * CENT)
    assert ledger.reserve("shop", 30 * CENT).admitted


def test_only_a_busy_refusal_says_when_to_come_back(ledger: BudgetLedger, clock: Clock) -> None:
    ledger.put_policy("shop", policy())
    admitted = ledger.reserve("shop", 60 * CENT)
    assert admitted.retry_after is None
    clock.advance(seconds=44)
    assert ledger.reserve("shop", 50 * CENT).retry_after == 1  # at least a second
    assert admitted.hold is not None
    ledger.settle(admitted.hold, 60 * CENT)
    exhausted = ledger.reserve("shop", 50 * CENT)
    assert (exhausted.refusal, exhausted.retry_after) == (Refusal.EXHAUSTED, None)


def test_tombstones_of_reclaimed_holds_are_cleared_after_an_hour(ledger: BudgetLedger, clock: Clock) -> None:
    ledger.put_policy("shop", policy())
    hold = admit(ledger, 10 * CENT)
    clock.advance(seconds=TTL + 1)
    ledger.reclaim_stale_holds()
    clock.advance(minutes=61)
    assert ledger.reclaim_stale_holds().tombstones_removed == 1
    assert not ledger.release(hold).applied
    assert ledger.snapshot("shop").daily.spent == 10 * CENT  # too late to correct: the charge in doubt stands


# ---- bad input --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [-1, 1.5, True, "10"])
def test_bad_amounts_are_refused(ledger: BudgetLedger, amount: Any) -> None:
    ledger.put_policy("shop", policy())
    with pytest.raises(InvalidInputError):
        ledger.reserve("shop", amount)
    hold = admit(ledger, 10)
    with pytest.raises(InvalidInputError):
        ledger.settle(hold, amount)


def test_unknown_tenants_and_bad_ids(ledger: BudgetLedger) -> None:
    with pytest.raises(TenantNotFoundError):
        ledger.reserve("nobody", 1)
    with pytest.raises(TenantNotFoundError):
        ledger.snapshot("nobody")
    with pytest.raises(InvalidInputError):
        ledger.reserve("bad id", 1)
    with pytest.raises(InvalidInputError):
        ledger.put_policy("", policy())
    with pytest.raises(TenantNotFoundError):
        ledger.settle(Hold("nobody", "h", 1, WindowKeys("2026-11-28", "2026-11"), 0), 1)


# ---- savings ----------------------------------------------------------------------------------------------------


def test_savings_are_counted_per_window_once_and_reset_with_the_window(ledger: BudgetLedger, clock: Clock) -> None:
    ledger.put_policy("shop", policy())
    hold = admit(ledger, 10 * CENT)
    ledger.settle(hold, 1, saved=3 * CENT)  # a semantic hit: the embedding cost 1, the answer would have cost 3c
    ledger.settle(hold, 1, saved=3 * CENT)  # a replay counts nothing
    ledger.record_savings("shop", 2 * CENT)  # an exact hit: no hold at all
    snapshot = ledger.snapshot("shop")
    assert (snapshot.daily.saved, snapshot.monthly.saved, snapshot.daily.spent) == (5 * CENT, 5 * CENT, 1)
    clock.advance(days=1)
    ledger.record_savings("shop", CENT)
    snapshot = ledger.snapshot("shop")
    assert (snapshot.daily.saved, snapshot.monthly.saved) == (CENT, 6 * CENT)


def test_savings_of_an_unknown_tenant_or_a_bad_amount_are_refused(ledger: BudgetLedger) -> None:
    with pytest.raises(TenantNotFoundError):
        ledger.record_savings("nobody", 1)
    ledger.put_policy("shop", policy())
    with pytest.raises(InvalidInputError):
        ledger.record_savings("shop", -1)


# ---- alerts: claimed with the crossing, kept in the outbox until acknowledged (issue 8) ------------------------


def test_a_crossing_records_its_alert_in_the_outbox_with_the_claim(ledger: BudgetLedger, clock: Clock) -> None:
    ledger.put_policy("shop", policy(timezone="America/New_York"))
    result = ledger.settle(admit(ledger, USD), 96 * CENT)
    alerts = [c.alert for c in result.crossings]
    assert result.alerts == tuple(alerts)
    assert [a.kind for a in alerts] == [AlertKind.SOFT_CAP, AlertKind.DEGRADED]
    soft = alerts[0]
    assert (soft.tenant_id, soft.window, soft.window_key) == ("shop", "daily", "2026-11-28")
    assert (soft.spent_nanos, soft.cap_nanos, soft.timezone) == (96 * CENT, USD, "America/New_York")
    assert soft.at == int(clock.now.timestamp())
    assert soft.alert_id == "shop/soft_cap/daily/2026-11-28"
    assert outbox_of(ledger).pending_alerts("shop") == tuple(alerts)  # in delivery order


def test_an_acknowledged_alert_leaves_the_outbox_and_a_second_ack_is_a_no_op(ledger: BudgetLedger) -> None:
    ledger.put_policy("shop", policy())
    soft, degraded = ledger.settle(admit(ledger, USD), 96 * CENT).alerts
    outbox = outbox_of(ledger)
    outbox.ack(soft)
    assert outbox.pending_alerts("shop") == (degraded,)
    outbox.ack(soft)
    outbox.ack(degraded)
    assert outbox.pending_alerts("shop") == ()


def test_a_refusal_that_stops_the_tenant_claims_the_hard_stop(ledger: BudgetLedger) -> None:
    ledger.put_policy("shop", policy())
    ledger.settle(admit(ledger, 60 * CENT), 60 * CENT)
    refused = ledger.reserve("shop", 41 * CENT)
    assert [a.kind for a in refused.alerts] == [AlertKind.SOFT_CAP, AlertKind.DEGRADED, AlertKind.HARD_STOP]
    assert ledger.reserve("shop", 41 * CENT).alerts == ()


def test_each_alert_is_claimed_once_per_tenant_kind_and_window(ledger: BudgetLedger, clock: Clock) -> None:
    ledger.put_policy("shop", policy(daily="1", monthly="1.5"))
    claimed = walk(ledger, 14)
    ids = [a.alert_id for a in claimed]
    assert len(ids) == len(set(ids))
    assert {a.kind for a in claimed if a.window == "daily"} == {
        AlertKind.SOFT_CAP,
        AlertKind.DEGRADED,
        AlertKind.HARD_STOP,
    }
    assert {a.kind for a in claimed if a.window == "monthly"} == set()  # $0.99 of $1.50: not yet at 80%
    clock.advance(days=1)
    more = walk(ledger, 4)
    assert [(a.kind, a.window) for a in more if a.window == "monthly"] == [(AlertKind.SOFT_CAP, "monthly")]


def test_an_operator_alert_is_recorded_once_per_id(ledger: BudgetLedger, clock: Clock) -> None:
    outbox = outbox_of(ledger)
    alert = Alert(AlertKind.PROVIDER_CREDITS, OPERATOR, "hourly", "2026-11-28T12", 0, 0, int(clock.now.timestamp()))
    assert outbox.claim_operator_alert(alert)
    assert not outbox.claim_operator_alert(alert)
    assert outbox.pending_alerts(OPERATOR) == (alert,)
    outbox.ack(alert)
    assert outbox.pending_alerts(OPERATOR) == ()
    assert not outbox.claim_operator_alert(alert)  # still once, after it was delivered
    next_hour = Alert(AlertKind.PROVIDER_CREDITS, OPERATOR, "hourly", "2026-11-28T13", 0, 0, alert.at + 3600)
    assert outbox.claim_operator_alert(next_hour)


# ---- history: what each window counts, and its summary once it closes (issue 8) ------------------------------


def test_each_window_counts_requests_cache_hits_downgrades_and_doubt_for_its_history(
    ledger: BudgetLedger, clock: Clock
) -> None:
    ledger.put_policy("shop", policy())
    ledger.settle(admit(ledger, 10 * CENT), 8 * CENT)
    ledger.settle(admit(ledger, 10 * CENT), 1, saved=3 * CENT)  # a semantic hit: the embedding cost 1 nano-USD
    downgraded = admit(ledger, 10 * CENT)
    ledger.settle(downgraded, 5 * CENT, downgraded=True)
    ledger.settle(downgraded, 5 * CENT, downgraded=True)  # a replay counts nothing
    ledger.release(admit(ledger, 10 * CENT))  # a failed call is a request too
    ledger.record_savings("shop", 2 * CENT)  # an exact hit
    ledger.settle(admit(ledger, 80 * CENT), 70 * CENT, in_doubt=70 * CENT)  # timed out: 83% of the day spent
    admit(ledger, 5 * CENT)  # dies: charged in doubt by the sweep
    clock.advance(seconds=TTL)
    ledger.reclaim_stale_holds()
    clock.advance(days=1)
    assert history_of(ledger).history("shop") == [
        WindowSummary(
            "shop", "daily", "2026-11-28", USD, 88 * CENT + 1, 7, 2, 5 * CENT, 1, BudgetState.WARNED, 75 * CENT
        )
    ]
    assert history_of(ledger).history("shop", "monthly") == []  # November is still open


def test_a_closed_months_summary_and_a_quiet_days_absence(ledger: BudgetLedger, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    ledger.put_policy("shop", policy())
    ledger.settle(admit(ledger, 10 * CENT), 4 * CENT)
    clock.advance(days=1)
    ledger.settle(admit(ledger, 10 * CENT), 6 * CENT, downgraded=True)
    clock.advance(days=2)  # December 2: nothing happened on December 1
    assert [(s.key, s.spent, s.requests) for s in history_of(ledger).history("shop")] == [
        ("2026-11-30", 6 * CENT, 1),
        ("2026-11-29", 4 * CENT, 1),
    ]
    [november] = history_of(ledger).history("shop", "monthly")
    assert (november.key, november.spent, november.requests, november.downgrades) == ("2026-11", 10 * CENT, 2, 1)
    assert november.highest is BudgetState.ACTIVE
    assert [s.key for s in history_of(ledger).history("shop", limit=1)] == ["2026-11-30"]


# ---- the scheduled run's side: reconciliation's records (issue 8) ----------------------------------------------


def history_of(ledger: BudgetLedger) -> BudgetHistory:
    assert isinstance(ledger, DynamoDBLedger | InMemoryLedger)
    return ledger


def upkeep_of(ledger: BudgetLedger) -> LedgerUpkeep:
    assert isinstance(ledger, DynamoDBLedger | InMemoryLedger)
    return ledger.upkeep()


def test_spend_totals_count_every_tenants_all_time_spend_and_doubt(ledger: BudgetLedger, clock: Clock) -> None:
    for tenant in ("a", "b", "c"):
        ledger.put_policy(tenant, policy())
    ledger.settle(admit(ledger, 30 * CENT, "a"), 20 * CENT)
    ledger.settle(admit(ledger, 30 * CENT, "b"), 30 * CENT, in_doubt=30 * CENT)
    clock.advance(days=40)  # the windows are long gone; the all-time totals are not
    ledger.settle(admit(ledger, 10 * CENT, "a"), 5 * CENT)
    totals = upkeep_of(ledger).spend_totals()
    assert (totals.spent, totals.in_doubt, totals.tenants) == (55 * CENT, {"b": 30 * CENT}, 3)


def test_the_reconciliation_baseline_moves_once_from_where_it_was(ledger: BudgetLedger) -> None:
    upkeep = upkeep_of(ledger)
    assert upkeep.baseline() is None
    first = Baseline(usage=5, ledger=4, at=100)
    assert upkeep.move_baseline(None, first)
    assert not upkeep.move_baseline(None, Baseline(6, 6, 200))  # another run started from nothing too
    assert upkeep.move_baseline(first, Baseline(7, 7, 300))
    assert not upkeep.move_baseline(first, Baseline(8, 8, 400))  # another run already moved it
    assert upkeep.baseline() == Baseline(7, 7, 300)


@pytest.mark.parametrize("give_back", [False, True])
def test_doubt_is_confirmed_or_given_back_where_it_is_counted(ledger: BudgetLedger, give_back: bool) -> None:
    ledger.put_policy("shop", policy())
    ledger.settle(admit(ledger, 40 * CENT), 40 * CENT, in_doubt=25 * CENT)
    upkeep = upkeep_of(ledger)
    assert not upkeep.resolve_doubt("shop", 24 * CENT, give_back=give_back)  # not what is in doubt: left alone
    assert upkeep.resolve_doubt("shop", 25 * CENT, give_back=give_back)
    daily = ledger.snapshot("shop").daily
    spent = 15 * CENT if give_back else 40 * CENT
    assert (daily.spent, daily.in_doubt, daily.remaining) == (spent, 0, USD - spent)
    assert ledger.snapshot("shop").monthly.spent == spent
    assert upkeep.spend_totals().spent == spent
    assert not upkeep.resolve_doubt("shop", 25 * CENT, give_back=give_back)  # once


def test_operator_alerts_once_markers_are_forgotten_days_later(ledger: BudgetLedger, clock: Clock) -> None:
    outbox, upkeep = outbox_of(ledger), upkeep_of(ledger)
    at = int(clock.now.timestamp())
    alert = Alert(AlertKind.PROVIDER_CREDITS, OPERATOR, "hourly", "2026-11-28T12", 0, 0, at)
    assert outbox.claim_operator_alert(alert)
    outbox.ack(alert)
    upkeep.prune_operator(before=at)  # not older than that: kept
    assert not outbox.claim_operator_alert(alert)
    upkeep.prune_operator(before=at + 1)  # the operator's item does not grow with every hour's marker
    assert outbox.claim_operator_alert(alert)
