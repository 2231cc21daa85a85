"""The scheduled windows run on the in-memory ledger, under a controlled clock: windows close on each tenant's local
boundaries, summaries are written once however the run is timed, alerts reach the publisher once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from spendrail.alerts.delivery import AlertDelivery
from spendrail.alerts.memory import InMemoryPublisher
from spendrail.alerts.model import OPERATOR, Alert, AlertKind
from spendrail.closing.run import RunReport, WindowsRun
from spendrail.deadline import Deadline
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.ledger.memory import InMemoryLedger
from spendrail.policy import BudgetPolicy
from spendrail.state import BudgetState
from tests.conftest import Clock

CENT = 10_000_000
USD = 100 * CENT


class Stack:
    """A ledger, the run and where its alerts go, on one clock."""

    def __init__(self, clock: Clock, ledger: InMemoryLedger | DynamoDBLedger | None = None) -> None:
        self.clock = clock
        self.ledger = ledger or InMemoryLedger(clock=clock)
        self.publisher = InMemoryPublisher()
        self.run = WindowsRun(
            self.ledger.upkeep(), AlertDelivery(self.publisher, self.ledger, clock=clock), clock=clock, workers=4
        )

    def tenant(self, tenant_id: str, timezone: str = "UTC", daily: str = "1", monthly: str = "10") -> None:
        self.ledger.put_policy(tenant_id, BudgetPolicy(daily_cap_usd=daily, monthly_cap_usd=monthly, timezone=timezone))

    def spend(self, tenant_id: str, nanos: int, **settle: bool) -> tuple[Alert, ...]:
        result = self.ledger.reserve(tenant_id, nanos)
        assert result.hold is not None, result
        return result.alerts + self.ledger.settle(result.hold, nanos, **settle).alerts

    def at(self, when: datetime) -> RunReport:
        self.clock.now = when
        return self.run(Deadline.after(60))

    def published(self, kind: AlertKind | None = None) -> list[str]:
        return [a.alert_id for a in self.publisher.published if kind is None or a.kind is kind]


@pytest.fixture
def stack(clock: Clock) -> Stack:
    return Stack(clock)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# ---- windows close on the tenant's local boundaries --------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "last_minute", "local_day"),
    [
        ("UTC", utc(2026, 11, 28, 23, 59), "2026-11-28"),
        ("America/New_York", utc(2026, 11, 29, 4, 59), "2026-11-28"),  # EST, UTC-5
        ("Pacific/Honolulu", utc(2026, 11, 29, 9, 59), "2026-11-28"),  # UTC-10
        ("Pacific/Kiritimati", utc(2026, 11, 28, 9, 59), "2026-11-28"),  # UTC+14
    ],
)
def test_a_window_closes_at_the_tenants_local_midnight_and_its_summary_is_written_once(
    stack: Stack, zone: str, last_minute: datetime, local_day: str
) -> None:
    stack.clock.now = last_minute - timedelta(hours=3)
    stack.tenant("shop", zone)
    stack.spend("shop", 30 * CENT)
    assert stack.at(last_minute).windows_closed == 0  # still the same local day
    assert stack.ledger.upkeep().review("shop", by="t").summaries == ()
    report = stack.at(last_minute + timedelta(minutes=1, seconds=30))
    assert (report.windows_closed, report.summaries_written) == (1, 1)
    [day] = stack.ledger.history("shop")
    assert (day.key, day.spent, day.requests) == (local_day, 30 * CENT, 1)
    assert stack.ledger.snapshot("shop").daily.spent == 0
    again = stack.at(last_minute + timedelta(minutes=7))
    assert (again.windows_closed, again.summaries_written) == (0, 0)
    assert len(stack.ledger.history("shop")) == 1


@pytest.mark.parametrize(
    ("day", "starts", "ends"),
    [
        # America/New_York springs forward on 2026-03-08: a 23-hour day, from 05:00 UTC to 04:00 UTC.
        ("2026-03-08", utc(2026, 3, 8, 5, 0), utc(2026, 3, 9, 4, 0)),
        # ...and falls back on 2026-11-01: a 25-hour day, from 04:00 UTC to 05:00 UTC.
        ("2026-11-01", utc(2026, 11, 1, 4, 0), utc(2026, 11, 2, 5, 0)),
    ],
)
def test_a_day_that_changes_the_clocks_closes_at_its_own_local_midnight(
    stack: Stack, day: str, starts: datetime, ends: datetime
) -> None:
    stack.clock.now = starts + timedelta(minutes=1)
    stack.tenant("shop", "America/New_York")
    stack.spend("shop", 10 * CENT)
    assert stack.at(ends - timedelta(seconds=1)).windows_closed == 0
    assert stack.at(ends + timedelta(seconds=30)).windows_closed == 1
    assert [s.key for s in stack.ledger.history("shop")] == [day]


def test_month_end_and_the_leap_day_close_both_windows_once(stack: Stack) -> None:
    stack.clock.now = utc(2028, 2, 28, 22, 0)
    stack.tenant("shop")
    stack.spend("shop", 10 * CENT)
    stack.at(utc(2028, 2, 29, 0, 2))
    stack.spend("shop", 20 * CENT)
    report = stack.at(utc(2028, 3, 1, 0, 2))
    assert (report.windows_closed, report.summaries_written) == (1, 2)  # the day and the month
    assert [(s.key, s.spent) for s in stack.ledger.history("shop")] == [
        ("2028-02-29", 20 * CENT),
        ("2028-02-28", 10 * CENT),
    ]
    [february] = stack.ledger.history("shop", "monthly")
    assert (february.key, february.spent, february.requests) == ("2028-02", 30 * CENT, 2)
    assert stack.at(utc(2028, 3, 1, 0, 7)).summaries_written == 0


def test_kiritimati_closes_its_month_while_it_is_still_november_in_utc(stack: Stack) -> None:
    stack.clock.now = utc(2026, 11, 30, 8, 0)  # 22:00 on Nov 30 in Kiritimati
    stack.tenant("shop", "Pacific/Kiritimati")
    stack.spend("shop", 10 * CENT)
    stack.at(utc(2026, 11, 30, 10, 1))  # 00:01 on Dec 1 there
    assert [s.key for s in stack.ledger.history("shop", "monthly")] == ["2026-11"]


# ---- whichever comes first closes the window, once ---------------------------------------------------------------


def test_when_a_request_rolled_the_window_first_the_run_writes_its_summary_once(stack: Stack) -> None:
    stack.clock.now = utc(2026, 11, 28, 23, 0)
    stack.tenant("shop")
    stack.spend("shop", 85 * CENT)  # soft cap: the day alerted
    stack.clock.now = utc(2026, 11, 29, 0, 0, 10)
    stack.spend("shop", 2 * CENT)  # the new day's first request rolls it and claims the reset
    report = stack.at(utc(2026, 11, 29, 0, 5))
    assert (report.windows_closed, report.summaries_written) == (0, 1)
    [day] = stack.ledger.history("shop")
    assert (day.key, day.spent, day.highest) == ("2026-11-28", 85 * CENT, BudgetState.WARNED)
    assert stack.published(AlertKind.BUDGET_RESET) == ["shop/budget_reset/daily/2026-11-29"]
    stack.at(utc(2026, 11, 29, 0, 10))
    assert len(stack.ledger.history("shop")) == 1
    assert len(stack.published(AlertKind.BUDGET_RESET)) == 1


def test_runs_missed_for_days_lose_no_summary_and_a_repeated_run_adds_none(stack: Stack) -> None:
    stack.clock.now = utc(2026, 11, 28, 12, 0)
    stack.tenant("shop")
    for day in range(3):  # the request path rolls every day; no run happens at all
        stack.clock.now = utc(2026, 11, 28 + day, 12, 0)
        stack.spend("shop", (day + 1) * CENT)
    first = stack.at(utc(2026, 12, 1, 3, 0))  # late: the month ended too
    assert [(s.key, s.spent) for s in stack.ledger.history("shop")] == [
        ("2026-11-30", 3 * CENT),
        ("2026-11-29", 2 * CENT),
        ("2026-11-28", 1 * CENT),
    ]
    assert [(s.key, s.spent) for s in stack.ledger.history("shop", "monthly")] == [("2026-11", 6 * CENT)]
    assert first.summaries_written == 2  # the 28th was written by the roll that would have replaced it
    twice = stack.run(Deadline.after(60))
    assert twice.summaries_written == 0 and len(stack.ledger.history("shop")) == 3


def test_an_idle_tenants_window_closes_without_a_summary(stack: Stack) -> None:
    stack.tenant("idle")
    report = stack.at(utc(2026, 11, 29, 0, 1))
    assert (report.windows_closed, report.summaries_written) == (1, 0)
    assert stack.ledger.history("idle") == []
    assert stack.at(utc(2026, 11, 29, 0, 6)).tenants_reviewed == 0  # neither due nor flagged any more


# ---- alerts ------------------------------------------------------------------------------------------------------


def test_an_alerted_window_reopening_is_announced_once_by_whoever_rolled_it(stack: Stack) -> None:
    stack.tenant("shop")
    stack.spend("shop", USD)  # soft cap, degraded, hard stop
    stack.at(utc(2026, 11, 28, 12, 5))
    assert len(stack.published()) == 3
    stack.at(utc(2026, 11, 29, 0, 3))
    [reset] = [a for a in stack.publisher.published if a.kind is AlertKind.BUDGET_RESET]
    assert (reset.window, reset.window_key, reset.extra["previousState"]) == ("daily", "2026-11-29", "stopped")
    stack.at(utc(2026, 11, 29, 0, 8))
    assert len(stack.published()) == 4


def test_an_alert_whose_publish_failed_is_delivered_by_the_next_run_once(stack: Stack) -> None:
    stack.tenant("shop")
    [soft] = stack.spend("shop", 85 * CENT)  # the request's own publish never happened (the function died)
    stack.publisher.failures = 1
    failed = stack.at(utc(2026, 11, 28, 12, 5))
    assert (failed.alerts_failed, stack.published()) == (1, [])
    assert stack.ledger.pending_alerts("shop") == (soft,)
    delivered = stack.at(utc(2026, 11, 28, 12, 10))
    assert (delivered.alerts_published, stack.published()) == (1, [soft.alert_id])
    assert stack.ledger.pending_alerts("shop") == ()
    assert stack.at(utc(2026, 11, 28, 12, 15)).alerts_published == 0


def test_a_tenant_leaves_the_sweep_index_only_when_nothing_is_pending(stack: Stack) -> None:
    stack.tenant("shop")
    stack.spend("shop", 85 * CENT)
    stack.publisher.failures = 1
    assert stack.at(utc(2026, 11, 28, 12, 5)).tenants_left_index == 0  # its alert is still in the outbox
    assert stack.at(utc(2026, 11, 28, 12, 10)).tenants_left_index == 1
    assert stack.at(utc(2026, 11, 28, 12, 15)).tenants_reviewed == 0


def test_the_operators_alerts_are_delivered_by_the_run(stack: Stack) -> None:
    credits = Alert(AlertKind.PROVIDER_CREDITS, OPERATOR, "hourly", "2026-11-28T12", 0, 0, 1_795_867_200)
    assert stack.ledger.claim_operator_alert(credits)
    stack.at(utc(2026, 11, 28, 12, 5))
    assert stack.published() == [credits.alert_id]
    assert stack.ledger.pending_alerts(OPERATOR) == ()


# ---- bounded work ------------------------------------------------------------------------------------------------


class Ticking:
    """A monotonic clock that moves one second for every tenant reviewed: the deadline bites deterministically."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


def test_a_run_stops_at_its_deadline_and_the_next_one_goes_on_from_the_indexes(stack: Stack) -> None:
    stack.clock.now = utc(2026, 11, 28, 20, 0)
    for n in range(40):
        stack.tenant(f"t{n:02}")
        stack.spend(f"t{n:02}", CENT)
    ticking = Ticking()
    upkeep = stack.ledger.upkeep()
    review = upkeep.review

    def slow_review(tenant_id: str, *, by: str) -> object:
        ticking.seconds += 1
        return review(tenant_id, by=by)

    upkeep.review = slow_review  # type: ignore[method-assign, assignment]
    run = WindowsRun(upkeep, AlertDelivery(stack.publisher, stack.ledger), clock=stack.clock, workers=1)
    stack.clock.now = utc(2026, 11, 29, 0, 1)
    first = run(Deadline.after(30, ticking))
    # 18 s for closing windows, then the sweep until 5 s are left for reconciliation: one tenant a second.
    assert (first.tenants_reviewed, first.windows_closed, first.deferred) == (25, 25, ["close", "sweep"])
    second = run(Deadline.after(30, ticking))
    assert (second.windows_closed, second.deferred) == (15, [])
    assert run(Deadline.after(30, ticking)).tenants_reviewed == 0  # nothing left: every tenant left both indexes
    assert all(len(stack.ledger.history(f"t{n:02}")) == 1 for n in range(40))


def test_a_summary_waits_for_a_request_still_running_over_midnight_and_includes_its_cost(stack: Stack) -> None:
    stack.clock.now = utc(2026, 11, 28, 23, 59, 50)
    stack.tenant("shop")
    stack.spend("shop", 10 * CENT)
    late = stack.ledger.reserve("shop", 20 * CENT).hold  # its LLM call runs over midnight
    assert late is not None
    stack.clock.now = utc(2026, 11, 29, 0, 0, 5)
    stack.spend("shop", CENT)  # the new day's first request rolls the window
    waiting = stack.at(utc(2026, 11, 29, 0, 0, 10))
    assert (waiting.summaries_written, waiting.tenants_left_index) == (0, 0)
    stack.ledger.settle(late, 15 * CENT)  # charged to the day it reserved in
    stack.at(utc(2026, 11, 29, 0, 5))
    [day] = stack.ledger.history("shop")
    assert (day.key, day.spent, day.requests) == ("2026-11-28", 25 * CENT, 2)


def test_a_tenant_whose_store_fails_is_left_for_the_next_run_and_the_others_go_on(stack: Stack) -> None:
    from spendrail.errors import LedgerUnavailableError

    for tenant in ("a", "b", "c"):
        stack.tenant(tenant)
        stack.spend(tenant, CENT)
    upkeep = stack.ledger.upkeep()
    review = upkeep.review

    def failing(tenant_id: str, *, by: str) -> object:
        if tenant_id == "b":
            raise LedgerUnavailableError("budget table get_item failed 5 times")
        return review(tenant_id, by=by)

    upkeep.review = failing  # type: ignore[method-assign, assignment]
    run = WindowsRun(upkeep, AlertDelivery(stack.publisher, stack.ledger), clock=stack.clock, workers=2)
    stack.clock.now = utc(2026, 11, 29, 0, 1)
    report = run(Deadline.after(60))
    assert (report.windows_closed, report.tenant_errors) == (2, 1)
    upkeep.review = review  # type: ignore[method-assign]  # the store is back
    assert stack.run(Deadline.after(60)).windows_closed == 1  # b, by the next run
    assert [len(stack.ledger.history(t)) for t in ("a", "b", "c")] == [1, 1, 1]


def test_a_reconciliation_that_cannot_read_the_totals_waits_and_the_run_still_closes_windows(stack: Stack) -> None:
    from spendrail.closing.reconcile import Reconciler
    from spendrail.errors import LedgerThrottledError

    stack.tenant("shop")
    stack.spend("shop", CENT)
    upkeep = stack.ledger.upkeep()

    def throttled() -> object:
        raise LedgerThrottledError("budget table batch_get_item left 100 keys unread")

    upkeep.spend_totals = throttled  # type: ignore[method-assign, assignment]

    class Account:
        def usage_nanos(self) -> int:
            return CENT

    reconciler = Reconciler(upkeep, stack.ledger, Account(), clock=stack.clock)
    run = WindowsRun(upkeep, AlertDelivery(stack.publisher, stack.ledger), reconciler=reconciler, clock=stack.clock)
    stack.clock.now = utc(2026, 11, 29, 0, 1)
    report = run(Deadline.after(60))
    assert report.reconciliation is not None and report.reconciliation.outcome == "unavailable"
    assert (report.windows_closed, report.summaries_written) == (1, 1)
    assert upkeep.baseline() is None  # nothing moved: the next run compares from where the last one left off
