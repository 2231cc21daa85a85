"""Budget reports as the admin API returns them, for the budget page's tests and its screenshot.

`black_friday` is a realistic month: a $20 daily cap raised to $25 mid-month, a degraded day, a hard stop on Black
Friday, a warned day today, and the events the ledger recorded for them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from spendrail.admin.models import BudgetEvent, BudgetReport, DaySummary, WindowReport
from spendrail.state import BudgetState

TODAY = date(2026, 11, 28)
# Spend per day (USD) for the 30 days before TODAY, oldest first; 2026-11-26 degraded, 2026-11-27 stopped.
_SPEND = (
    *("9.12", "11.40", "8.05", "12.77", "10.31", "7.94", "13.60", "12.02", "9.87", "11.15", "14.48", "10.66"),
    *("8.73", "12.90", "16.85", "13.21", "11.74", "9.58", "12.36", "15.02", "17.49", "14.11", "12.63", "18.20"),
    *("16.94", "19.37", "20.48", "21.65", "24.31", "25.00"),
)
_CAP_RAISED = date(2026, 11, 15)  # the daily cap went from $20 to $25 that morning


def day(key: str, spent: str, cap: str = "25", *, state: BudgetState = BudgetState.ACTIVE, **counts: int) -> DaySummary:
    requests = counts.get("requests", 400)
    return DaySummary(
        window_key=key,
        spent_usd=Decimal(spent),
        cap_usd=Decimal(cap),
        requests=requests,
        cache_hits=counts.get("cache_hits", requests // 4),
        saved_usd=Decimal(spent) * Decimal("0.3"),
        downgrades=counts.get("downgrades", 0),
        highest_state=state,
        in_doubt_usd=Decimal(0),
    )


def _state(spent: Decimal, cap: Decimal) -> BudgetState:
    share = spent / cap
    if share >= 1:
        return BudgetState.STOPPED
    if share >= Decimal("0.95"):
        return BudgetState.DEGRADED
    return BudgetState.WARNED if share >= Decimal("0.8") else BudgetState.ACTIVE


def black_friday_history() -> list[DaySummary]:
    """The 30 closed days before TODAY, newest first (as the admin API orders them)."""
    days = []
    for back, spent in zip(range(30, 0, -1), _SPEND, strict=True):
        when = TODAY - timedelta(days=back)
        cap = Decimal(25) if when >= _CAP_RAISED else Decimal(20)
        state = _state(Decimal(spent), cap)
        downgrades = 37 if state is BudgetState.DEGRADED else 112 if state is BudgetState.STOPPED else 0
        requests = int(Decimal(spent) * 38)
        days.append(day(when.isoformat(), spent, f"{cap}", state=state, requests=requests, downgrades=downgrades))
    return days[::-1]


def _window(key: str, spent: str, cap: str, resets_at: str, state: BudgetState, saved: str) -> WindowReport:
    left = max(Decimal(cap) - Decimal(spent) - Decimal("0.42"), Decimal(0))
    return WindowReport(
        window_key=key,
        spent_usd=Decimal(spent),
        held_usd=Decimal("0.42"),
        cap_usd=Decimal(cap),
        remaining_usd=left,
        saved_usd=Decimal(saved),
        in_doubt_usd=Decimal(0),
        state=state,
        resets_at=resets_at,
    )


def _event(at: str, kind: str, key: str, detail: str, window: str = "daily") -> BudgetEvent:
    return BudgetEvent(at=at, kind=kind, window=window, window_key=key, detail=detail)


def black_friday(
    tenant_id: str = "maple-and-co", timezone: str = "America/New_York", generated_at: str = "2026-11-28T14:20:00-05:00"
) -> BudgetReport:
    history = black_friday_history()
    november = sum((d.spent_usd for d in history if d.window_key.startswith("2026-11")), Decimal("21.37"))
    zone = ZoneInfo(timezone)
    midnight = datetime(2026, 11, 29, tzinfo=zone).isoformat()
    month_end = datetime(2026, 12, 1, tzinfo=zone).isoformat()
    return BudgetReport(
        tenant_id=tenant_id,
        timezone=timezone,
        state=BudgetState.WARNED,
        generated_at=generated_at,
        daily=_window("2026-11-28", "21.37", "25", midnight, BudgetState.WARNED, "6.12"),
        monthly=_window("2026-11", f"{november}", "600", month_end, BudgetState.ACTIVE, "118.40"),
        history=history,
        events=[
            _event("2026-11-28T13:55:12-05:00", "soft_cap", "2026-11-28", "daily budget 80% used: $20.01 of $25.00"),
            _event("2026-11-28T00:00:00-05:00", "budget_reset", "2026-11-28", "a new day: $25.00 to spend"),
            _event("2026-11-27T23:59:59-05:00", "downgrades", "2026-11-27", "112 requests answered by a cheaper model"),
            _event("2026-11-27T19:42:31-05:00", "hard_stop", "2026-11-27", "daily budget used up: $25.00 of $25.00"),
            _event("2026-11-27T17:05:48-05:00", "degraded", "2026-11-27", "daily budget 95% used: $23.76 of $25.00"),
            _event("2026-11-27T12:31:09-05:00", "soft_cap", "2026-11-27", "daily budget 80% used: $20.02 of $25.00"),
            _event("2026-11-26T23:59:59-05:00", "downgrades", "2026-11-26", "37 requests answered by a cheaper model"),
            _event("2026-11-26T21:14:02-05:00", "degraded", "2026-11-26", "daily budget 95% used: $23.80 of $25.00"),
        ],
    )
