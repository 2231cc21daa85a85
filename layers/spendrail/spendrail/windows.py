"""Daily and monthly budget windows in a tenant's time zone, computed from the clock: no scheduled job needed."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, order=True)
class WindowKeys:
    """ISO keys of the current windows; string order is time order, so windows only ever move forward."""

    day: str
    month: str

    def later(self, other: WindowKeys) -> WindowKeys:
        return WindowKeys(day=max(self.day, other.day), month=max(self.month, other.month))


def _local(now: datetime, timezone: str) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(ZoneInfo(timezone))


def window_keys(now: datetime, timezone: str) -> WindowKeys:
    local = _local(now, timezone)
    return WindowKeys(day=local.date().isoformat(), month=f"{local.year:04d}-{local.month:02d}")


def _seconds_until(now: datetime, local_day: date, timezone: str) -> int:
    boundary = datetime.combine(local_day, time(0), tzinfo=ZoneInfo(timezone))
    return max(1, math.ceil((boundary - now).total_seconds()))


def seconds_to_day_reset(now: datetime, timezone: str) -> int:
    """Whole seconds (at least 1) until the tenant's next local midnight."""
    return _seconds_until(now, _local(now, timezone).date() + timedelta(days=1), timezone)


def seconds_to_month_reset(now: datetime, timezone: str) -> int:
    """Whole seconds (at least 1) until local midnight of the first day of the tenant's next month."""
    local = _local(now, timezone)
    first_next = date(local.year + local.month // 12, local.month % 12 + 1, 1)
    return _seconds_until(now, first_next, timezone)


def day_end(day_key: str, timezone: str) -> datetime:
    """When the day `day_key` (2026-11-28) ends in `timezone`: its next local midnight."""
    return datetime.combine(date.fromisoformat(day_key) + timedelta(days=1), time(0), tzinfo=ZoneInfo(timezone))


def month_end(month_key: str, timezone: str) -> datetime:
    """When the month `month_key` (2026-11) ends in `timezone`: local midnight of the next month's first day."""
    year, month = (int(part) for part in month_key.split("-"))
    return datetime.combine(date(year + month // 12, month % 12 + 1, 1), time(0), tzinfo=ZoneInfo(timezone))


def day_start(day_key: str, timezone: str) -> datetime:
    """When the day `day_key` began in `timezone` (its local midnight)."""
    return datetime.combine(date.fromisoformat(day_key), time(0), tzinfo=ZoneInfo(timezone))


def month_start(month_key: str, timezone: str) -> datetime:
    year, month = (int(part) for part in month_key.split("-"))
    return datetime.combine(date(year, month, 1), time(0), tzinfo=ZoneInfo(timezone))
