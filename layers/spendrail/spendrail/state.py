"""Budget state from spend: the tighter of the daily and the monthly window decides."""

from __future__ import annotations

from decimal import Decimal
from enum import IntEnum, StrEnum


class BudgetState(StrEnum):
    ACTIVE = "active"
    WARNED = "warned"
    DEGRADED = "degraded"
    STOPPED = "stopped"

    @property
    def level(self) -> Level:
        return Level[self.name]


class Level(IntEnum):
    """Ordered form of BudgetState: a threshold is crossed when the level rises past it."""

    ACTIVE = 0
    WARNED = 1
    DEGRADED = 2
    STOPPED = 3

    @property
    def state(self) -> BudgetState:
        return BudgetState[self.name]


def window_level(spent: int, cap: int, soft_percent: Decimal, degrade_percent: Decimal) -> Level:
    """Level of one window from settled spend (nano-USD); integer and Decimal arithmetic only."""
    if spent >= cap:
        return Level.STOPPED
    used_percent = Decimal(spent) * 100
    if used_percent >= degrade_percent * cap:
        return Level.DEGRADED
    if used_percent >= soft_percent * cap:
        return Level.WARNED
    return Level.ACTIVE


def crossed(previous: Level, current: Level) -> tuple[Level, ...]:
    """Thresholds passed going from `previous` to `current` (empty when the level did not rise)."""
    return tuple(Level(n) for n in range(previous + 1, current + 1))
