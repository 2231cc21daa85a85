"""An in-memory BudgetLedger for unit tests and the offline tools: the DynamoDB ledger's rules, under one lock.

It is also the alerts' outbox (`AlertOutbox`), keeps the history and the budget events, and has the scheduled run's side
(`upkeep()`, in `memory_upkeep`). Reads never roll a window (a view shows it fresh), as on DynamoDB; reserves and
answers from the cache do.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from spendrail.alerts.model import OPERATOR, Alert
from spendrail.errors import TenantNotFoundError
from spendrail.ledger.events import LedgerEvent, newest_first
from spendrail.ledger.memory_state import MemTenant
from spendrail.ledger.model import (
    DEFAULT_HOLD_TTL_SECONDS,
    Hold,
    LedgerSnapshot,
    PolicyChange,
    ReclaimReport,
    Refusal,
    ReserveResult,
    SettleResult,
    StoredHold,
    WindowName,
    busy_retry_after,
    check_amount,
    check_settle,
    delivery_order,
)
from spendrail.ledger.summary import WindowSummary
from spendrail.ledger.upkeep import Baseline
from spendrail.policy import BudgetPolicy, validate_tenant_id
from spendrail.windows import window_keys

if TYPE_CHECKING:
    from spendrail.ledger.memory_upkeep import InMemoryUpkeep

TOMBSTONE_TTL_SECONDS = 3600


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Operator:
    """The operator's item: alerts no tenant caused, their once-markers, the reconciliation's baseline."""

    outbox: dict[str, Alert] = field(default_factory=dict)
    claimed: dict[str, int] = field(default_factory=dict)
    baseline: Baseline | None = None


class InMemoryLedger:
    def __init__(
        self, *, hold_ttl_seconds: int = DEFAULT_HOLD_TTL_SECONDS, clock: Callable[[], datetime] = _utcnow
    ) -> None:
        self.lock = threading.RLock()
        self.tenants: dict[str, MemTenant] = {}
        self.summaries: dict[tuple[str, str, str], WindowSummary] = {}  # (tenant, window name, key) -> summary
        self.operator = Operator()
        self.event_log: dict[tuple[str, int, str], LedgerEvent] = {}  # (tenant, at, alert id) -> acknowledged alert
        self._hold_ttl = hold_ttl_seconds
        self.clock = clock

    def put_policy(self, tenant_id: str, policy: BudgetPolicy) -> LedgerSnapshot:
        return self.change_policy(tenant_id, policy).snapshot

    def change_policy(self, tenant_id: str, policy: BudgetPolicy) -> PolicyChange:
        validate_tenant_id(tenant_id)
        with self.lock:
            tenant = self.tenants.get(tenant_id)
            if tenant is None:
                tenant = self.tenants[tenant_id] = MemTenant.fresh(
                    tenant_id, policy, window_keys(self.clock(), policy.timezone)
                )
                return PolicyChange(tenant.snapshot(), created=True)
            keys = window_keys(self.clock(), tenant.policy.timezone).later(tenant.keys)
            alerts = tenant.change_policy(policy, keys, self._now())
            return PolicyChange(self._view(tenant).snapshot(), alerts)

    def reserve(
        self, tenant_id: str, amount: int, *, hold_id: str | None = None, claim_stop: bool = True
    ) -> ReserveResult:
        validate_tenant_id(tenant_id)
        check_amount(amount, "hold amount")
        hold_id = hold_id or uuid.uuid4().hex
        with self.lock:
            tenant = self._tenant(tenant_id)
            if hold_id in tenant.holds:
                crossings = tenant.announce(self._now())
                return ReserveResult(tenant.holds[hold_id].hold, tenant.snapshot(), crossings, replayed=True)
            reset = self.roll(tenant)
            now = self._now()
            if not self._fits(tenant, amount):
                self.reclaim_expired(tenant)
            if not self._fits(tenant, amount):
                short = tuple(w for w in tenant.windows if w.cap - w.spent < amount)
                crossings = tenant.announce(now, short if claim_stop else ())
                alerts = reset + tuple(c.alert for c in crossings)
                if short:
                    return ReserveResult(None, tenant.snapshot(), crossings, Refusal.EXHAUSTED, alerts=alerts)
                open_holds = (s.hold for s in tenant.holds.values() if s.reclaimed_at is None)
                wait = busy_retry_after(open_holds, tenant.keys, now)
                return ReserveResult(None, tenant.snapshot(), crossings, Refusal.BUSY, retry_after=wait, alerts=alerts)
            hold = Hold(tenant_id, hold_id, amount, tenant.keys, now + self._hold_ttl)
            tenant.holds[hold_id] = StoredHold(hold, None)
            tenant.flagged = True
            for window in tenant.windows:
                window.held += amount
            crossings = tenant.announce(now)
            return ReserveResult(hold, tenant.snapshot(), crossings, alerts=reset + tuple(c.alert for c in crossings))

    def settle(
        self, hold: Hold, actual: int, *, saved: int = 0, in_doubt: int = 0, downgraded: bool = False
    ) -> SettleResult:
        check_settle(actual, saved, in_doubt)
        return self._close(hold, actual, saved, in_doubt, downgraded)

    def release(self, hold: Hold) -> SettleResult:
        return self._close(hold, 0, 0, 0, False)

    def record_savings(self, tenant_id: str, saved: int) -> LedgerSnapshot:
        check_amount(saved, "saved amount")
        with self.lock:
            tenant = self._tenant(tenant_id)
            self.roll(tenant)  # its budget reset waits in the outbox for the scheduled run
            for window in tenant.windows:
                window.saved += saved
                window.req += 1
                window.hits += 1
            return tenant.snapshot()

    def snapshot(self, tenant_id: str) -> LedgerSnapshot:
        with self.lock:
            return self._view(self._tenant(tenant_id)).snapshot()

    def reclaim_stale_holds(self) -> ReclaimReport:
        return self.upkeep().sweep_all()

    def upkeep(self) -> InMemoryUpkeep:
        from spendrail.ledger.memory_upkeep import InMemoryUpkeep  # noqa: PLC0415 - it builds on this module

        return InMemoryUpkeep(self)

    def history(self, tenant_id: str, window: WindowName = "daily", limit: int = 30) -> list[WindowSummary]:
        with self.lock:
            tenant = self._tenant(tenant_id)
            found = {key: s for (t, name, key), s in self.summaries.items() if t == tenant_id and name == window}
            for seen in (tenant, self._view(tenant)):
                waiting = seen.summary(seen.windows[0 if window == "daily" else 1])
                if waiting is not None:
                    found.setdefault(waiting.key, waiting)
            return [found[key] for key in sorted(found, reverse=True)[:limit]]

    def events(self, tenant_id: str, limit: int = 50) -> list[LedgerEvent]:
        with self.lock:
            waiting = [LedgerEvent.of(a, delivered=False) for a in self._tenant(tenant_id).pending()]
            stored = [e for (t, _, _), e in self.event_log.items() if t == tenant_id]
            return newest_first([*stored, *waiting], self._now(), limit)

    # ---- the alerts' outbox ----------------------------------------------------------------------------------

    def ack(self, alert: Alert) -> None:
        with self.lock:
            if alert.tenant_id == OPERATOR:
                self.operator.outbox.pop(alert.alert_id, None)
            elif alert.tenant_id in self.tenants:
                # Its event, once per alert and claim (a republished copy is the same), as on DynamoDB.
                self.event_log.setdefault(
                    (alert.tenant_id, alert.at, alert.alert_id), LedgerEvent.of(alert, delivered=True)
                )
                self.tenants[alert.tenant_id].outbox.pop(alert.alert_id, None)

    def claim_operator_alert(self, alert: Alert) -> bool:
        with self.lock:
            if alert.alert_id in self.operator.claimed:
                return False
            self.operator.claimed[alert.alert_id] = alert.at
            self.operator.outbox[alert.alert_id] = alert
            return True

    def pending_alerts(self, tenant_id: str) -> tuple[Alert, ...]:
        with self.lock:
            if tenant_id == OPERATOR:
                return delivery_order(self.operator.outbox.values())
            return self._tenant(tenant_id).pending()

    # ---- shared with the upkeep (call under the lock) ---------------------------------------------------------

    def roll(self, tenant: MemTenant) -> tuple[Alert, ...]:
        keys = window_keys(self.clock(), tenant.policy.timezone).later(tenant.keys)
        return tenant.roll(keys, self._now(), self.write_summary)

    def write_summary(self, summary: WindowSummary) -> bool:
        """The conditional put: True if this call wrote it."""
        key = (summary.tenant_id, summary.window, summary.key)
        if key in self.summaries:
            return False
        self.summaries[key] = summary
        return True

    def reclaim_expired(self, tenant: MemTenant) -> list[int]:
        """Charge expired holds as spent and in doubt (their requests most likely reached the provider)."""
        now = self._now()
        charged = []
        for hold_id, stored in list(tenant.holds.items()):
            if stored.reclaimed_at is None and stored.hold.expires_at <= now:
                # Charged like a settle of its whole hold in doubt: the dead request is counted as a request too.
                tenant.charge(stored, stored.hold.amount, 0, stored.hold.amount, False, now)
                tenant.holds[hold_id] = StoredHold(stored.hold, now)
                charged.append(stored.hold.amount)
        return charged

    def _now(self) -> int:
        return int(self.clock().timestamp())

    # ---- internals --------------------------------------------------------------------------------------------

    def _tenant(self, tenant_id: str) -> MemTenant:
        try:
            return self.tenants[tenant_id]
        except KeyError:
            raise TenantNotFoundError(f"tenant {tenant_id!r} has no budget") from None

    def _view(self, tenant: MemTenant) -> MemTenant:
        return tenant.view(window_keys(self.clock(), tenant.policy.timezone).later(tenant.keys))

    @staticmethod
    def _fits(tenant: MemTenant, amount: int) -> bool:
        return all(w.cap - w.spent - w.held >= amount for w in tenant.windows)

    def _close(self, hold: Hold, actual: int, saved: int, in_doubt: int, downgraded: bool) -> SettleResult:
        with self.lock:
            tenant = self._tenant(hold.tenant_id)
            now = self._now()
            stored = tenant.holds.pop(hold.hold_id, None)
            if stored is None:
                crossings = tenant.announce(now)
                alerts = tuple(c.alert for c in crossings)
                return SettleResult(self._view(tenant).snapshot(), crossings, 0, applied=False, alerts=alerts)
            tenant.charge(stored, actual, saved, in_doubt, downgraded, now)
            overshoot = max(actual - hold.amount, 0)
            if overshoot:
                tenant.overshoot_nanos += overshoot
                tenant.overshoot_count += 1
            crossings = tenant.announce(now)
            return SettleResult(tenant.snapshot(), crossings, overshoot, alerts=tuple(c.alert for c in crossings))
