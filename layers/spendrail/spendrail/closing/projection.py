"""Projected exhaustion: when a window's cap will be hit at the current burn rate, and whether to say so now.

The estimate (exact rational arithmetic on integer nano-USD, no floats):

- daily window: the higher of two rates, from the spend settled per 5-minute slot on the ledger item: the last
  hour's (the 12 slots up to now) and the last 15 minutes' (3 slots); each counts only when at least 2 of its
  slots had spend, so one expensive answer is not a trend, but a flash sale that doubles traffic within minutes is
  seen within minutes;
- monthly window: the higher of the month-to-date average and today's average (once an hour of today has passed),
  never above the daily cap spread over a day (the daily cap stops any faster burn), and only once a day of the
  month has passed (before that, the daily cap is what binds);
- the cap is hit at now + (cap - settled spend) / rate; the alert is claimed (once per window) when that is more
  than an hour before the window ends. Holds in flight are left out: they are worst cases, mostly given back.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from spendrail.alerts.model import Alert, AlertKind
from spendrail.ledger.model import WindowSnapshot
from spendrail.ledger.upkeep import Review
from spendrail.money import nanos_to_usd
from spendrail.windows import day_end, day_start, month_end, month_start

SLOT_SECONDS = 300
LEAD = timedelta(hours=1)  # said only when the cap is hit more than this long before the window ends
_SHORT_SLOTS, _LONG_SLOTS = 3, 12
_SUSTAINED = 2  # slots with spend a rate needs before it counts


def daily_rate(recent: dict[int, int], now: int) -> Fraction:
    """Nano-USD per second: the higher of the last hour's rate and the last 15 minutes' (each if sustained)."""
    current = now - now % SLOT_SECONDS

    def spent_since(slots: int) -> tuple[int, list[int], int]:
        start = current - (slots - 1) * SLOT_SECONDS
        amounts = [recent.get(start + i * SLOT_SECONDS, 0) for i in range(slots)]
        return sum(amounts), amounts, max(1, now - start)

    rate = Fraction(0)
    for slots in (_LONG_SLOTS, _SHORT_SLOTS):
        spent, amounts, seconds = spent_since(slots)
        if sum(1 for amount in amounts if amount > 0) >= _SUSTAINED:
            rate = max(rate, Fraction(spent, seconds))
    return rate


def monthly_rate(daily: WindowSnapshot, monthly: WindowSnapshot, timezone: str, now: datetime) -> Fraction:
    """Nano-USD per second for the month: steadier than the day's, and never faster than the daily cap allows."""
    month_seconds = int((now - month_start(monthly.key, timezone)).total_seconds())
    if month_seconds < 86_400:
        return Fraction(0)
    rate = Fraction(monthly.spent, month_seconds)
    day_seconds = int((now - day_start(daily.key, timezone)).total_seconds())
    if day_seconds >= 3600:
        rate = max(rate, Fraction(daily.spent, day_seconds))
    return min(rate, Fraction(daily.cap, 86_400))


def exhaustion(window: WindowSnapshot, rate: Fraction, now: datetime) -> datetime | None:
    """When the cap is hit at `rate` (None: never, or already)."""
    left = window.cap - window.spent
    if rate <= 0 or left <= 0:
        return None
    return now + timedelta(seconds=math.ceil(left / rate))


def alerts(review: Review, now: datetime) -> list[Alert]:
    """The projected-exhaustion alerts this review calls for (each window at most once; the ledger enforces it)."""
    snapshot = review.snapshot
    tz = snapshot.policy.timezone
    epoch = int(now.timestamp())
    found = []
    rates = {
        "daily": daily_rate(review.recent, epoch),
        "monthly": monthly_rate(snapshot.daily, snapshot.monthly, tz, now),
    }
    for window in snapshot.windows:
        if window.name in review.projected:
            continue
        ends = day_end(window.key, tz) if window.name == "daily" else month_end(window.key, tz)
        hit = exhaustion(window, rates[window.name], now)
        if hit is None or hit >= ends - LEAD:
            continue
        per_hour = nanos_to_usd(math.ceil(rates[window.name] * 3600)).normalize()
        extra = {
            "projectedExhaustionAt": hit.astimezone(ends.tzinfo or UTC).isoformat(timespec="seconds"),
            "burnRateUsdPerHour": format(per_hour, "f"),
        }
        kind = AlertKind.PROJECTED_EXHAUSTION
        found.append(
            Alert(kind, snapshot.tenant_id, window.name, window.key, window.spent, window.cap, epoch, tz, extra)
        )
    return found
