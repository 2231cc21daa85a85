"""The alerts the ledger claims, built the same way by both ledgers: crossings and budget resets."""

from __future__ import annotations

from spendrail.alerts.model import Alert, AlertKind
from spendrail.ledger.model import Crossing, WindowName
from spendrail.money import nanos_to_usd
from spendrail.state import Level, crossed


def crossings(
    tenant_id: str,
    window: WindowName,
    key: str,
    spent: int,
    cap: int,
    *,
    old: Level,
    level: Level,
    at: int,
    timezone: str,
    episode: int = 0,
) -> tuple[Crossing, ...]:
    """One crossing, with its alert, per threshold passed going from `old` to `level` in the window's `episode`."""
    return tuple(
        Crossing(
            tenant_id,
            window,
            key,
            passed.state,
            Alert(
                AlertKind.of_crossing(passed.state), tenant_id, window, key, spent, cap, at, timezone, episode=episode
            ),
        )
        for passed in crossed(old, level)
    )


def budget_reset(
    tenant_id: str,
    window: WindowName,
    new_key: str,
    cap: int,
    *,
    closed_key: str,
    closed_spent: int,
    closed_level: Level,
    at: int,
    timezone: str,
) -> Alert:
    """A window that was warned, degraded or stopped reopened: `window_key` is the new window's (its episode 0)."""
    extra = {
        "previousWindowKey": closed_key,
        "previousSpentUsd": format(nanos_to_usd(closed_spent).normalize(), "f"),
        "previousState": closed_level.state.value,
    }
    return Alert(AlertKind.BUDGET_RESET, tenant_id, window, new_key, 0, cap, at, timezone, extra)


def reopened(
    tenant_id: str,
    window: WindowName,
    key: str,
    spent: int,
    cap: int,
    *,
    old_cap: int,
    old_level: Level,
    at: int,
    timezone: str,
    episode: int,
) -> Alert:
    """A cap change (or new thresholds) put an alerted window below the level announced in it: `spent` of `cap`.

    `episode` is the one the reopening starts (1 or more), so the reset is never the roll's of the same window (0).
    """
    extra = {
        "previousState": old_level.state.value,
        "previousCapUsd": format(nanos_to_usd(old_cap).normalize(), "f"),
    }
    return Alert(AlertKind.BUDGET_RESET, tenant_id, window, key, spent, cap, at, timezone, extra, episode=episode)


def closed_window(
    tenant_id: str,
    window: WindowName,
    closed: tuple[str, int, int],
    reopened: tuple[str, int],
    *,
    old: Level,
    level: Level,
    at: int,
    timezone: str,
    episode: int = 0,
) -> tuple[Alert, ...]:
    """Crossings of a closed window (`closed`: key, spent, cap) that nobody claimed before it rolled, in the
    `episode` it closed in, and if it had claimed nothing, the budget reset of the window that followed it
    (`reopened`: key, cap)."""
    key, spent, cap = closed
    found = crossings(
        tenant_id, window, key, spent, cap, old=old, level=level, at=at, timezone=timezone, episode=episode
    )
    alerts = [c.alert for c in found]
    if old == Level.ACTIVE:
        new_key, new_cap = reopened
        alerts.append(
            budget_reset(
                tenant_id,
                window,
                new_key,
                new_cap,
                closed_key=key,
                closed_spent=spent,
                closed_level=level,
                at=at,
                timezone=timezone,
            )
        )
    return tuple(alerts)
