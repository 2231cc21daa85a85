"""An in-memory BudgetLedger for unit tests and the offline tools: the DynamoDB ledger's rules, under one lock."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from spendrail.errors import TenantNotFoundError
from spendrail.ledger.model import (
    DEFAULT_HOLD_TTL_SECONDS,
    Crossing,
    Hold,
    LedgerSnapshot,
    ReclaimReport,
    Refusal,
    ReserveResult,
    SettleResult,
    StoredHold,
    WindowName,
    WindowSnapshot,
    busy_retry_after,
    check_amount,
    check_settle,
)
from spendrail.policy import BudgetPolicy, validate_tenant_id
from spendrail.state import Level, crossed, window_level
from spendrail.windows import WindowKeys, window_keys

_TOMBSTONE_TTL_SECONDS = 3600


@dataclass
class _Window:
    name: WindowName
    key: str
    cap: int
    spent: int = 0
    held: int = 0
    alert: Level = Level.ACTIVE
    prev_key: str = ""
    prev_spent: int = 0
    saved: int = 0
    doubt: int = 0
    prev_doubt: int = 0

    def roll(self, key: str) -> None:
        if key > self.key:
            self.prev_key, self.prev_spent, self.prev_doubt = self.key, self.spent, self.doubt
            self.key, self.spent, self.held, self.alert, self.saved, self.doubt = key, 0, 0, Level.ACTIVE, 0, 0


@dataclass
class _Tenant:
    tenant_id: str
    policy: BudgetPolicy
    windows: tuple[_Window, _Window]
    holds: dict[str, StoredHold] = field(default_factory=dict)
    overshoot_nanos: int = 0
    overshoot_count: int = 0

    def level(self, window: _Window) -> Level:
        return window_level(window.spent, window.cap, self.policy.soft_cap_percent, self.policy.degrade_percent)

    def snapshot(self) -> LedgerSnapshot:
        daily, monthly = (
            WindowSnapshot(w.name, w.key, w.cap, w.spent, w.held, self.level(w), w.saved, w.doubt) for w in self.windows
        )
        counts = (
            sum(1 for h in self.holds.values() if h.reclaimed_at is None),
            self.overshoot_nanos,
            self.overshoot_count,
        )
        return LedgerSnapshot(self.tenant_id, self.policy, daily, monthly, *counts)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class InMemoryLedger:
    def __init__(
        self, *, hold_ttl_seconds: int = DEFAULT_HOLD_TTL_SECONDS, clock: Callable[[], datetime] = _utcnow
    ) -> None:
        self._lock = threading.Lock()
        self._tenants: dict[str, _Tenant] = {}
        self._hold_ttl = hold_ttl_seconds
        self._clock = clock

    def put_policy(self, tenant_id: str, policy: BudgetPolicy) -> LedgerSnapshot:
        validate_tenant_id(tenant_id)
        with self._lock:
            tenant = self._tenants.get(tenant_id)
            if tenant is None:
                keys = window_keys(self._clock(), policy.timezone)
                tenant = _Tenant(
                    tenant_id,
                    policy,
                    (
                        _Window("daily", keys.day, policy.daily_cap_nanos),
                        _Window("monthly", keys.month, policy.monthly_cap_nanos),
                    ),
                )
                self._tenants[tenant_id] = tenant
            else:
                tenant.policy = policy
                tenant.windows[0].cap, tenant.windows[1].cap = (
                    policy.daily_cap_nanos,
                    policy.monthly_cap_nanos,
                )
            return self._current(tenant).snapshot()

    def reserve(self, tenant_id: str, amount: int, *, hold_id: str | None = None) -> ReserveResult:
        validate_tenant_id(tenant_id)
        check_amount(amount, "hold amount")
        hold_id = hold_id or uuid.uuid4().hex
        with self._lock:
            tenant = self._current(self._tenant(tenant_id))
            if hold_id in tenant.holds:
                return ReserveResult(tenant.holds[hold_id].hold, tenant.snapshot(), replayed=True)
            now = int(self._clock().timestamp())
            keys = WindowKeys(tenant.windows[0].key, tenant.windows[1].key)
            if not self._fits(tenant, amount):
                self._reclaim_expired(tenant)
            if not self._fits(tenant, amount):
                short = tuple(w for w in tenant.windows if w.cap - w.spent < amount)
                if short:
                    return ReserveResult(None, tenant.snapshot(), self._announce(tenant, short), Refusal.EXHAUSTED)
                open_holds = (s.hold for s in tenant.holds.values() if s.reclaimed_at is None)
                wait = busy_retry_after(open_holds, keys, now)
                return ReserveResult(None, tenant.snapshot(), self._announce(tenant), Refusal.BUSY, retry_after=wait)
            hold = Hold(tenant_id, hold_id, amount, keys, now + self._hold_ttl)
            tenant.holds[hold_id] = StoredHold(hold, None)
            for window in tenant.windows:
                window.held += amount
            return ReserveResult(hold, tenant.snapshot(), self._announce(tenant))

    def settle(self, hold: Hold, actual: int, *, saved: int = 0, in_doubt: int = 0) -> SettleResult:
        check_settle(actual, saved, in_doubt)
        return self._close(hold, actual, saved, in_doubt)

    def release(self, hold: Hold) -> SettleResult:
        return self._close(hold, 0, 0, 0)

    def record_savings(self, tenant_id: str, saved: int) -> LedgerSnapshot:
        check_amount(saved, "saved amount")
        with self._lock:
            tenant = self._current(self._tenant(tenant_id))
            for window in tenant.windows:
                window.saved += saved
            return tenant.snapshot()

    def snapshot(self, tenant_id: str) -> LedgerSnapshot:
        with self._lock:
            return self._current(self._tenant(tenant_id)).snapshot()

    def reclaim_stale_holds(self) -> ReclaimReport:
        now = int(self._clock().timestamp())
        with self._lock:
            report = ReclaimReport()
            for tenant in self._tenants.values():
                if not tenant.holds:
                    continue
                charged = self._reclaim_expired(tenant)
                crossings = self._announce(tenant) if charged else ()
                old = [
                    hold_id
                    for hold_id, stored in tenant.holds.items()
                    if stored.reclaimed_at is not None and stored.reclaimed_at + _TOMBSTONE_TTL_SECONDS <= now
                ]
                for hold_id in old:
                    del tenant.holds[hold_id]
                report = ReclaimReport(
                    report.tenants_checked + 1,
                    report.holds_reclaimed + len(charged),
                    report.nanos_in_doubt + sum(charged),
                    report.tombstones_removed + len(old),
                    report.crossings + crossings,
                )
            return report

    # ---- internals --------------------------------------------------------------------------------------------

    def _tenant(self, tenant_id: str) -> _Tenant:
        try:
            return self._tenants[tenant_id]
        except KeyError:
            raise TenantNotFoundError(f"tenant {tenant_id!r} has no budget") from None

    def _current(self, tenant: _Tenant) -> _Tenant:
        keys = window_keys(self._clock(), tenant.policy.timezone)
        tenant.windows[0].roll(keys.day)
        tenant.windows[1].roll(keys.month)
        return tenant

    @staticmethod
    def _fits(tenant: _Tenant, amount: int) -> bool:
        return all(w.cap - w.spent - w.held >= amount for w in tenant.windows)

    def _close(self, hold: Hold, actual: int, saved: int, in_doubt: int) -> SettleResult:
        with self._lock:
            tenant = self._current(self._tenant(hold.tenant_id))
            stored = tenant.holds.pop(hold.hold_id, None)
            if stored is None:
                return SettleResult(tenant.snapshot(), self._announce(tenant), 0, applied=False)
            self._charge(tenant, stored, actual, saved, in_doubt)
            overshoot = max(actual - hold.amount, 0)
            if overshoot:
                tenant.overshoot_nanos += overshoot
                tenant.overshoot_count += 1
            return SettleResult(tenant.snapshot(), self._announce(tenant), overshoot)

    @staticmethod
    def _charge(tenant: _Tenant, stored: StoredHold, actual: int, saved: int, in_doubt: int) -> None:
        """Close a hold where it was taken; a reclaimed one was charged its amount in doubt, replaced here."""
        amount = stored.hold.amount
        is_open = stored.reclaimed_at is None
        spent, doubt = (actual, in_doubt) if is_open else (actual - amount, in_doubt - amount)
        for window, hold_key in zip(tenant.windows, (stored.hold.windows.day, stored.hold.windows.month), strict=True):
            if window.key == hold_key:
                window.spent += spent
                window.doubt += doubt
                window.saved += saved
                window.held -= amount if is_open else 0
            elif window.prev_key == hold_key:
                window.prev_spent += spent
                window.prev_doubt += doubt

    def _reclaim_expired(self, tenant: _Tenant) -> list[int]:
        """Charge expired holds as spent and in doubt (their requests most likely reached the provider)."""
        now = int(self._clock().timestamp())
        charged = []
        for hold_id, stored in list(tenant.holds.items()):
            if stored.reclaimed_at is None and stored.hold.expires_at <= now:
                self._charge(tenant, stored, stored.hold.amount, 0, stored.hold.amount)
                tenant.holds[hold_id] = StoredHold(stored.hold, now)
                charged.append(stored.hold.amount)
        return charged

    def _announce(self, tenant: _Tenant, stopped: tuple[_Window, ...] = ()) -> tuple[Crossing, ...]:
        crossings: list[Crossing] = []
        for window in tenant.windows:
            level = Level.STOPPED if window in stopped else tenant.level(window)
            if level > window.alert:
                crossings += [
                    Crossing(tenant.tenant_id, window.name, window.key, lvl.state)
                    for lvl in crossed(window.alert, level)
                ]
                window.alert = level
        return tuple(crossings)
