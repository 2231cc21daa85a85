"""How the budget page writes money, shares, durations and times: for a merchant, in the tenant's zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_CENT = Decimal("0.01")
_SMALLEST = Decimal("0.000001")


def usd(amount: Decimal) -> str:
    """$1,234.56; amounts under a dollar keep up to six decimals, so a $0.0034 day does not read as $0.00."""
    if amount >= 1 or amount == 0:
        return f"${amount.quantize(_CENT, rounding=ROUND_HALF_UP):,}"
    if amount < _SMALLEST:
        return "< $0.000001"
    digits = f"{amount.quantize(_SMALLEST, rounding=ROUND_HALF_UP):f}".rstrip("0")  # 0.003400 -> 0.0034
    whole, _, decimals = digits.partition(".")
    return f"${whole}.{decimals.ljust(2, '0')}"


def percent(part: Decimal, whole: Decimal) -> str:
    """Share of a cap used: 81.3%; never divides by a zero cap."""
    if whole <= 0:
        return "-"
    return f"{(part * 100 / whole).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")  # the report's zone was validated when set; a page is better than an error


def parse_time(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def local_time(moment: datetime, timezone: str) -> str:
    """Sat 29 Nov, 00:00 EST: the day, the time and the zone's abbreviation (+14 where it has none)."""
    local = moment.astimezone(zone(timezone))
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M} {local.tzname()}"


def duration(delta: timedelta) -> str:
    """3 h 12 min, 2 d 5 h, 12 min: how long until a window resets, to the minute."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"
