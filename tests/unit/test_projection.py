"""Projected exhaustion: a flash sale is seen within minutes, once per window, and only while there is time to act."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from spendrail.alerts.model import AlertKind
from spendrail.closing import projection
from spendrail.deadline import Deadline
from spendrail.ledger.model import WindowSnapshot
from spendrail.state import Level
from tests.conftest import Clock
from tests.unit.test_windows_run import CENT, Stack


def new_york_shop(stack: Stack) -> Stack:
    stack.clock.now = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)  # 03:00 in New York
    stack.tenant("shop", "America/New_York", daily="5", monthly="100")
    return stack


@pytest.fixture
def stack(clock: Clock) -> Stack:
    return new_york_shop(Stack(clock))


def traffic(stack: Stack, minutes: int, cents_per_five_minutes: int) -> None:
    """Spend at a steady rate, one request a minute, running the scheduled function every 5 minutes."""
    for _ in range(minutes):
        stack.clock.advance(minutes=1)
        stack.spend("shop", cents_per_five_minutes * CENT // 5)
        if stack.clock.now.minute % 5 == 0:
            stack.run(projection_deadline())


def projection_deadline() -> Deadline:
    return Deadline.after(60)


def projected(stack: Stack) -> list[str]:
    return stack.published(AlertKind.PROJECTED_EXHAUSTION)


def test_a_flash_sale_is_projected_within_fifteen_minutes_once(stack: Stack) -> None:
    traffic(stack, 120, 1)  # 12 cents an hour: $5 lasts all day
    assert projected(stack) == []
    sale = stack.clock.now
    traffic(stack, 15, 20)  # a flash sale: $2.40 an hour
    [alert] = [a for a in stack.publisher.published if a.kind is AlertKind.PROJECTED_EXHAUSTION]
    assert (alert.window, alert.window_key) == ("daily", "2026-11-28")
    assert alert.at <= (sale + timedelta(minutes=15)).timestamp()  # seen within a quarter of an hour
    # $4.40 or so left at somewhere between $1.20 and $2.40 an hour: out before 09:00 in New York, not at midnight.
    at = datetime.fromisoformat(alert.extra["projectedExhaustionAt"])
    assert at.utcoffset() == timedelta(hours=-5)
    assert (at.hour, at.date().isoformat()) in {(6, "2026-11-28"), (7, "2026-11-28"), (8, "2026-11-28")}
    assert 1.2 <= float(alert.extra["burnRateUsdPerHour"]) <= 2.4  # the 15 minutes are part sale, part not
    traffic(stack, 30, 20)
    assert len(projected(stack)) == 1  # once per window


def test_one_expensive_answer_is_not_a_trend(stack: Stack) -> None:
    stack.clock.advance(minutes=1)
    stack.spend("shop", 150 * CENT)  # 30% of the day in one answer
    for _ in range(12):
        stack.clock.advance(minutes=5)
        stack.run(projection_deadline())
    assert projected(stack) == []


def test_nothing_is_said_when_the_cap_would_be_hit_in_the_windows_last_hour(stack: Stack) -> None:
    stack.clock.now = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)  # 21:00 in New York: three hours left
    traffic(stack, 30, 12)  # $1.44/h: the remaining ~$4.30 lasts until about midnight
    assert projected(stack) == []


def test_the_month_burns_no_faster_than_the_daily_cap_allows() -> None:
    now = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
    daily = WindowSnapshot("daily", "2026-11-10", 5 * 10**9, 4 * 10**9, 0, Level.WARNED)
    monthly = WindowSnapshot("monthly", "2026-11", 100 * 10**9, 40 * 10**9, 0, Level.ACTIVE)
    # $4 in the 12 hours of today would be $8/day; the daily cap says $5 at most.
    assert projection.monthly_rate(daily, monthly, "UTC", now) == Fraction(5 * 10**9, 86_400)
    quiet = WindowSnapshot("daily", "2026-11-10", 5 * 10**9, 10**9, 0, Level.ACTIVE)
    # $40 over the 9.5 days of November beats $1 over today's 12 hours.
    assert projection.monthly_rate(quiet, monthly, "UTC", now) == Fraction(40 * 10**9, 9 * 86_400 + 12 * 3600)
    assert projection.monthly_rate(quiet, monthly, "UTC", datetime(2026, 11, 1, 20, 0, tzinfo=UTC)) == 0


def test_the_monthly_projection_is_claimed_when_the_month_would_run_out_early(stack: Stack) -> None:
    stack.ledger.put_policy("shop", stack.ledger.snapshot("shop").policy.model_copy(update={"monthly_cap_usd": 20}))
    stack.clock.now = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
    stack.ledger.put_policy("late", stack.ledger.snapshot("shop").policy)
    for day in range(3):  # $4 a day from Nov 3 (as a new tenant would): $20 lasts until about Nov 8
        stack.clock.now = datetime(2026, 11, 3 + day, 15, 0, tzinfo=UTC)
        result = stack.ledger.reserve("late", 4 * 100 * CENT)
        assert result.hold is not None
        stack.ledger.settle(result.hold, 4 * 100 * CENT)
    stack.run(projection_deadline())
    [alert] = [a for a in stack.publisher.published if a.kind is AlertKind.PROJECTED_EXHAUSTION]
    assert (alert.tenant_id, alert.window, alert.window_key) == ("late", "monthly", "2026-11")
