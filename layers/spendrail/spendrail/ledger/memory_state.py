"""The in-memory ledger's state: one tenant's windows, holds and outbox, with the DynamoDB item's rules.

Every method runs under the ledger's one lock, so each is atomic as one conditional write is on DynamoDB.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from spendrail.alerts.model import Alert
from spendrail.ledger import alerting
from spendrail.ledger.model import Crossing, LedgerSnapshot, StoredHold, WindowName, WindowSnapshot, delivery_order
from spendrail.ledger.reopen import reopens
from spendrail.ledger.summary import WindowSummary
from spendrail.policy import BudgetPolicy
from spendrail.state import Level, window_level
from spendrail.windows import WindowKeys

SLOT_SECONDS = 300
FlushSummary = Callable[[WindowSummary], object]  # writes a history summary unless it is there (the conditional put)


@dataclass
class MemWindow:
    name: WindowName
    key: str
    cap: int
    spent: int = 0
    held: int = 0
    alert: Level = Level.ACTIVE
    saved: int = 0
    doubt: int = 0
    req: int = 0
    hits: int = 0
    down: int = 0
    prev: WindowSummary | None = None  # the window before, as it closed (and late settles since)
    hist: bool = False  # the window before's summary is still to be written
    proj: str = ""  # the key of the window whose projected exhaustion was claimed
    ep: int = 0  # the window's episode: how many times a policy change reopened it (see `ledger.reopen`)
    prev_ep: int = 0  # the episode the window before closed in

    @property
    def active(self) -> bool:
        return bool(self.req or self.spent or self.held or self.saved or self.doubt)

    def closed(self, tenant_id: str, level: Level) -> WindowSummary:
        highest = max(self.alert, level).state
        args = (self.cap, self.spent, self.req, self.hits, self.saved, self.down, highest, self.doubt)
        return WindowSummary(tenant_id, self.name, self.key, *args)


@dataclass
class MemTenant:
    tenant_id: str
    policy: BudgetPolicy
    windows: tuple[MemWindow, MemWindow]
    holds: dict[str, StoredHold] = field(default_factory=dict)
    overshoot_nanos: int = 0
    overshoot_count: int = 0
    outbox: dict[str, Alert] = field(default_factory=dict)
    slots: dict[int, int] = field(default_factory=dict)
    total_spent: int = 0
    total_doubt: int = 0
    prev_alerts: dict[str, Level] = field(default_factory=dict)  # window name -> level claimed in the one before
    flagged: bool = False

    @classmethod
    def fresh(cls, tenant_id: str, policy: BudgetPolicy, keys: WindowKeys) -> MemTenant:
        daily = MemWindow("daily", keys.day, policy.daily_cap_nanos)
        return cls(tenant_id, policy, (daily, MemWindow("monthly", keys.month, policy.monthly_cap_nanos)))

    def level(self, window: MemWindow) -> Level:
        return window_level(window.spent, window.cap, self.policy.soft_cap_percent, self.policy.degrade_percent)

    def prev_level(self, window: MemWindow) -> Level:
        if window.prev is None or not window.prev.spent:
            return Level.ACTIVE
        soft, degrade = self.policy.soft_cap_percent, self.policy.degrade_percent
        return window_level(window.prev.spent, window.prev.cap, soft, degrade)

    @property
    def keys(self) -> WindowKeys:
        return WindowKeys(self.windows[0].key, self.windows[1].key)

    def snapshot(self) -> LedgerSnapshot:
        daily, monthly = (
            WindowSnapshot(w.name, w.key, w.cap, w.spent, w.held, self.level(w), w.saved, w.doubt) for w in self.windows
        )
        counts = (sum(1 for h in self.holds.values() if h.reclaimed_at is None), self.overshoot_nanos)
        return LedgerSnapshot(self.tenant_id, self.policy, daily, monthly, *counts, self.overshoot_count)

    def view(self, keys: WindowKeys) -> MemTenant:
        """A copy as a reader at `keys` sees it: windows whose time is over read as fresh ones (nothing is claimed)."""
        seen = copy.deepcopy(self)
        seen.roll(keys, 0, lambda _: None)
        return seen

    def pending(self) -> tuple[Alert, ...]:
        return delivery_order(self.outbox.values())

    def record(self, alerts: list[Alert]) -> None:
        for alert in alerts:
            self.outbox[alert.alert_id] = alert
        self.flagged = self.flagged or bool(alerts)

    # ---- writes ------------------------------------------------------------------------------------------------

    def roll(self, keys: WindowKeys, now: int, flush: FlushSummary) -> tuple[Alert, ...]:
        """Start the windows whose time has come (the roll write): summary kept, budget reset claimed, episode 0."""
        alerts: list[Alert] = []
        for window, key in zip(self.windows, (keys.day, keys.month), strict=True):
            if key <= window.key:
                continue
            if window.hist and window.prev is not None:
                flush(window.prev)  # no sweep ran for a whole window: the summary is written before it is replaced
            if window.alert > Level.ACTIVE:
                reset = alerting.budget_reset(
                    self.tenant_id,
                    window.name,
                    key,
                    window.cap,
                    closed_key=window.key,
                    closed_spent=window.spent,
                    closed_level=window.alert,
                    at=now,
                    timezone=self.policy.timezone,
                )
                alerts.append(reset)
            self.prev_alerts[window.name] = window.alert
            closed = window.closed(self.tenant_id, Level.ACTIVE)
            fresh = MemWindow(
                window.name, key, window.cap, prev=closed, hist=window.active, proj=window.proj, prev_ep=window.ep
            )
            self.windows = (fresh, self.windows[1]) if window.name == "daily" else (self.windows[0], fresh)
            self.flagged = self.flagged or fresh.hist
        self.record(alerts)
        return tuple(alerts)

    def change_policy(self, policy: BudgetPolicy, keys: WindowKeys, now: int) -> tuple[Alert, ...]:
        """New caps and thresholds; the current windows they reopen announce `budget_reset` (see `ledger.reopen`)."""
        alerts: list[Alert] = []
        for window, key, cap in zip(
            self.windows, (keys.day, keys.month), (policy.daily_cap_nanos, policy.monthly_cap_nanos), strict=True
        ):
            level = reopens(self.level(window), window.alert, window.spent, cap, policy)
            if level is not None and key == window.key:
                window.ep += 1
                alerts.append(
                    alerting.reopened(
                        self.tenant_id,
                        window.name,
                        window.key,
                        window.spent,
                        cap,
                        old_cap=window.cap,
                        old_level=window.alert,
                        at=now,
                        timezone=policy.timezone,
                        episode=window.ep,
                    )
                )
                window.alert = level
            window.cap = cap
        self.policy = policy
        self.record(alerts)
        return tuple(alerts)

    def charge(self, stored: StoredHold, actual: int, saved: int, in_doubt: int, downgraded: bool, now: int) -> None:
        """Close a hold where it was taken; a reclaimed one was charged its amount in doubt, replaced here."""
        amount = stored.hold.amount
        is_open = stored.reclaimed_at is None
        spent, doubt = (actual, in_doubt) if is_open else (actual - amount, in_doubt - amount)
        counts = {"req": int(is_open), "hits": int(is_open and saved > 0), "down": int(is_open and downgraded)}
        for window, hold_key in zip(self.windows, (stored.hold.windows.day, stored.hold.windows.month), strict=True):
            if window.key == hold_key:
                window.spent += spent
                window.doubt += doubt
                window.saved += saved
                window.held -= amount if is_open else 0
                window.req, window.hits = window.req + counts["req"], window.hits + counts["hits"]
                window.down += counts["down"]
            elif window.prev is not None and window.prev.key == hold_key:
                prev = window.prev
                window.prev = replace(
                    prev,
                    spent=prev.spent + spent,
                    in_doubt=prev.in_doubt + doubt,
                    saved=prev.saved + saved,
                    requests=prev.requests + counts["req"],
                    cache_hits=prev.cache_hits + counts["hits"],
                    downgrades=prev.downgrades + counts["down"],
                )
        self.total_spent += spent
        self.total_doubt += doubt
        if spent:
            slot = now - now % SLOT_SECONDS
            self.slots[slot] = self.slots.get(slot, 0) + spent

    def announce(self, now: int, stopped: tuple[MemWindow, ...] = ()) -> tuple[Crossing, ...]:
        """Claim every crossing the windows show (the claim write), recording each alert in the outbox."""
        found: list[Crossing] = []
        for window in self.windows:
            level = Level.STOPPED if window in stopped else self.level(window)
            if level > window.alert:
                found += alerting.crossings(
                    self.tenant_id,
                    window.name,
                    window.key,
                    window.spent,
                    window.cap,
                    old=window.alert,
                    level=level,
                    at=now,
                    timezone=self.policy.timezone,
                    episode=window.ep,
                )
                window.alert = level
        self.record([c.alert for c in found])
        return tuple(found)

    def announce_closed(self, now: int) -> tuple[Alert, ...]:
        """Claim crossings of the windows before that nobody claimed; the reset of the next one if it had none."""
        alerts: list[Alert] = []
        for window in self.windows:
            old, level = self.prev_alerts.get(window.name, Level.ACTIVE), self.prev_level(window)
            if window.prev is None or level <= old:
                continue
            prev = window.prev
            alerts += alerting.closed_window(
                self.tenant_id,
                window.name,
                (prev.key, prev.spent, prev.cap),
                (window.key, window.cap),
                old=old,
                level=level,
                at=now,
                timezone=self.policy.timezone,
                episode=window.prev_ep,
            )
            self.prev_alerts[window.name] = level
        self.record(alerts)
        return tuple(alerts)

    def summary(self, window: MemWindow) -> WindowSummary | None:
        """The pending summary of the window before, with the highest state it reached."""
        if not window.hist or window.prev is None:
            return None
        level = max(self.prev_alerts.get(window.name, Level.ACTIVE), self.prev_level(window))
        return replace(window.prev, highest=level.state)
