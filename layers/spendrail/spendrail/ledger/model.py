"""Values the budget ledger hands out: holds, window snapshots, threshold crossings, outcomes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from spendrail.alerts.model import Alert, AlertKind
from spendrail.errors import InvalidInputError
from spendrail.policy import BudgetPolicy
from spendrail.state import BudgetState, Level
from spendrail.windows import WindowKeys

WindowName = Literal["daily", "monthly"]
_RECLAIMED = "R"
# A hold outlives its request: the chat function times out after 30 s and a request's deadline ends before that, so
# only holds of requests that died are ever reclaimed, and those block the budget for less than a minute.
DEFAULT_HOLD_TTL_SECONDS = 45


@dataclass(frozen=True)
class Hold:
    """Budget reserved for one request: both windows it was taken in, and when it may be reclaimed."""

    tenant_id: str
    hold_id: str
    amount: int
    windows: WindowKeys
    expires_at: int

    def encode(self) -> str:
        return f"{self.amount}|{self.windows.day}|{self.windows.month}|{self.expires_at}"

    def tombstone(self, reclaimed_at: int) -> str:
        """Stored in place of a reclaimed hold, so a late settle still records its spend exactly once."""
        return f"{_RECLAIMED}|{reclaimed_at}|{self.encode()}"

    @classmethod
    def decode(cls, tenant_id: str, hold_id: str, value: str) -> Hold:
        amount, day, month, expires_at = value.split("|")
        return cls(tenant_id, hold_id, int(amount), WindowKeys(day, month), int(expires_at))


@dataclass(frozen=True)
class StoredHold:
    """A hold as found in the ledger: open, or reclaimed (a tombstone) at `reclaimed_at`."""

    hold: Hold
    reclaimed_at: int | None

    @classmethod
    def parse(cls, tenant_id: str, hold_id: str, value: str) -> StoredHold:
        if value.startswith(_RECLAIMED + "|"):
            _, reclaimed_at, rest = value.split("|", 2)
            return cls(Hold.decode(tenant_id, hold_id, rest), int(reclaimed_at))
        return cls(Hold.decode(tenant_id, hold_id, value), None)


@dataclass(frozen=True)
class WindowSnapshot:
    name: WindowName
    key: str
    cap: int
    spent: int
    held: int
    level: Level
    saved: int = 0  # what answers served from the cache would have cost, this window
    # The part of `spent` charged without knowing the real cost (a timed-out call, a reclaimed hold), until
    # reconciliation confirms or corrects it. Not known in the view a reserve returns (0 there).
    in_doubt: int = 0

    @property
    def remaining(self) -> int:
        """What a new hold may still take: cap minus settled minus held (negative after an overshoot)."""
        return self.cap - self.spent - self.held

    @property
    def settled_room(self) -> int:
        """What would be left if every hold in flight were released."""
        return self.cap - self.spent


@dataclass(frozen=True)
class LedgerSnapshot:
    tenant_id: str
    policy: BudgetPolicy
    daily: WindowSnapshot
    monthly: WindowSnapshot
    # Known after a full read (snapshot(), refusals, replays); None on the hot path, which reads only counters.
    open_holds: int | None = None
    overshoot_nanos: int | None = None
    overshoot_count: int | None = None

    @property
    def state(self) -> BudgetState:
        return max(self.daily.level, self.monthly.level).state

    @property
    def windows(self) -> tuple[WindowSnapshot, WindowSnapshot]:
        return (self.daily, self.monthly)


@dataclass(frozen=True)
class Crossing:
    """A threshold passed in one window; exactly one request learns of each, and its alert is in the outbox."""

    tenant_id: str
    window: WindowName
    window_key: str
    state: BudgetState
    alert: Alert  # recorded in the ledger item's outbox by the same write that claimed the crossing


class Refusal(StrEnum):
    EXHAUSTED = "exhausted"  # settled spend leaves no room: a real stop until the window resets
    BUSY = "busy"  # only holds in flight stand in the way: retry shortly


@dataclass(frozen=True)
class ReserveResult:
    hold: Hold | None
    snapshot: LedgerSnapshot
    crossings: tuple[Crossing, ...] = ()
    refusal: Refusal | None = None
    replayed: bool = False
    # BUSY only: whole seconds (at least 1) until the earliest open hold standing in the way expires.
    retry_after: int | None = None
    # Every alert this call claimed (its crossings', and `budget_reset` if its roll reopened an alerted window):
    # recorded in the outbox; the caller publishes them briefly, the scheduled run delivers what it does not.
    alerts: tuple[Alert, ...] = ()

    @property
    def admitted(self) -> bool:
        return self.hold is not None

    @property
    def state(self) -> BudgetState:
        return BudgetState.STOPPED if self.refusal is Refusal.EXHAUSTED else self.snapshot.state


@dataclass(frozen=True)
class SettleResult:
    snapshot: LedgerSnapshot
    crossings: tuple[Crossing, ...] = ()
    overshoot: int = 0
    applied: bool = True  # False: a replay found the hold already closed, nothing was counted again
    alerts: tuple[Alert, ...] = ()  # every alert this call claimed (see ReserveResult.alerts)


@dataclass(frozen=True)
class PolicyChange:
    """What `change_policy` did: the windows under the new policy, and the alerts its write recorded."""

    snapshot: LedgerSnapshot
    # `budget_reset` of each window the change reopened: recorded in the outbox; the caller publishes them briefly.
    alerts: tuple[Alert, ...] = ()
    created: bool = False  # the tenant had no ledger before


@dataclass(frozen=True)
class ReclaimReport:
    tenants_checked: int = 0
    holds_reclaimed: int = 0
    nanos_in_doubt: int = 0  # what the reclaimed holds were charged: spent, and in doubt
    tombstones_removed: int = 0
    crossings: tuple[Crossing, ...] = ()  # thresholds those charges crossed
    alerts: tuple[Alert, ...] = ()  # what the sweep claimed: those crossings' alerts, and budget resets

    @property
    def nanos_returned(self) -> int:
        """Kept for callers written before reclaimed holds were charged: nothing is given back any more."""
        return 0


def busy_retry_after(holds: Iterable[Hold], keys: WindowKeys, now: int) -> int:
    """Whole seconds (at least 1) until the earliest open hold in the current windows expires.

    By then its request has settled, or it died and the hold can be reclaimed: either way it stands in the way
    no longer.
    """
    blocking = [h.expires_at for h in holds if h.windows.day == keys.day or h.windows.month == keys.month]
    return max(1, min(blocking, default=now) - now)


def check_amount(amount: int, what: str) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise InvalidInputError(f"{what} must be a non-negative integer of nano-USD, got {amount!r}")
    return amount


def check_settle(actual: int, saved: int, in_doubt: int) -> None:
    check_amount(actual, "actual cost")
    check_amount(saved, "saved amount")
    if check_amount(in_doubt, "amount in doubt") > actual:
        raise InvalidInputError(f"the amount in doubt ({in_doubt}) is part of the actual cost ({actual})")


KIND_ORDER = {kind: i for i, kind in enumerate(AlertKind)}


def delivery_order(alerts: Iterable[Alert]) -> tuple[Alert, ...]:
    """Alerts in the order they should reach a merchant: as claimed, and soft cap before degraded before stop."""
    return tuple(sorted(alerts, key=lambda a: (a.at, KIND_ORDER[a.kind], a.window, a.window_key)))
