"""`LedgerUpkeep` on the in-memory ledger: the DynamoDB upkeep's rules, each step under the ledger's lock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

from spendrail.alerts.model import Alert
from spendrail.ledger.memory import TOMBSTONE_TTL_SECONDS, InMemoryLedger
from spendrail.ledger.memory_state import MemTenant
from spendrail.ledger.model import ReclaimReport
from spendrail.ledger.upkeep import Baseline, Review, SpendTotals, sweep
from spendrail.state import Level
from spendrail.windows import day_end

SLOT_KEEP_SECONDS = 3600


class InMemoryUpkeep:
    def __init__(self, ledger: InMemoryLedger) -> None:
        self._ledger = ledger

    def tenants_due(self, now: datetime) -> Iterator[str]:
        with self._ledger.lock:
            due = [
                t.tenant_id
                for t in self._ledger.tenants.values()
                if day_end(t.windows[0].key, t.policy.timezone) <= now
            ]
        return iter(due)

    def tenants_flagged(self) -> Iterator[str]:
        with self._ledger.lock:
            return iter([t.tenant_id for t in self._ledger.tenants.values() if t.flagged])

    def review(self, tenant_id: str, *, by: str) -> Review:
        ledger = self._ledger
        with ledger.lock:
            tenant = ledger.tenants[tenant_id]
            now = int(ledger.clock().timestamp())
            before = tenant.keys
            claimed = list(ledger.roll(tenant))
            charged = ledger.reclaim_expired(tenant)
            old = [
                hold_id
                for hold_id, stored in tenant.holds.items()
                if stored.reclaimed_at is not None and stored.reclaimed_at + TOMBSTONE_TTL_SECONDS <= now
            ]
            for hold_id in old:
                del tenant.holds[hold_id]
            crossings = tenant.announce(now)
            claimed += [c.alert for c in crossings]
            claimed += tenant.announce_closed(now)
            written, waiting = [], False
            for window in tenant.windows:
                summary = tenant.summary(window)
                if summary is None:
                    continue
                if _ready(tenant, window.name, summary.key):
                    ledger.write_summary(summary)
                    written.append(summary)
                else:
                    waiting = True
            return Review(
                tenant_id,
                tenant.snapshot(),
                dict(tenant.slots),
                frozenset(w.name for w in tenant.windows if w.proj == w.key),
                tenant.pending(),
                tuple(claimed),
                crossings,
                tenant.keys != before,
                len(charged),
                sum(charged),
                len(old),
                tuple(written),
                waiting,
            )

    def claim_projection(self, review: Review, alert: Alert) -> bool:
        with self._ledger.lock:
            tenant = self._ledger.tenants[review.tenant_id]
            window = tenant.windows[0 if alert.window == "daily" else 1]
            if window.key != alert.window_key or window.proj == window.key:
                return False
            window.proj = window.key
            tenant.record([alert])
            return True

    def finish(self, review: Review, *, delivered: bool) -> bool:
        with self._ledger.lock:
            tenant = self._ledger.tenants[review.tenant_id]
            now = int(self._ledger.clock().timestamp())
            cutoff = now - SLOT_KEEP_SECONDS
            for slot in [s for s in tenant.slots if s < cutoff - cutoff % 300]:
                del tenant.slots[slot]
            for summary in review.summaries:
                window = tenant.windows[0 if summary.window == "daily" else 1]
                if window.prev is not None and window.prev.key == summary.key:
                    window.hist = False
            if tenant.flagged and delivered and _settled(tenant):
                tenant.flagged = False
                return True
            return False

    def pending_alerts(self, tenant_id: str) -> tuple[Alert, ...]:
        return self._ledger.pending_alerts(tenant_id)

    def prune_operator(self, before: int) -> None:
        with self._ledger.lock:
            claimed = self._ledger.operator.claimed
            for alert_id in [a for a, at in claimed.items() if at < before]:
                del claimed[alert_id]

    def spend_totals(self) -> SpendTotals:
        with self._ledger.lock:
            tenants = self._ledger.tenants.values()
            doubts = {t.tenant_id: t.total_doubt for t in tenants if t.total_doubt}
            return SpendTotals(sum(t.total_spent for t in tenants), doubts, len(tenants))

    def baseline(self) -> Baseline | None:
        with self._ledger.lock:
            return self._ledger.operator.baseline

    def move_baseline(self, old: Baseline | None, new: Baseline) -> bool:
        with self._ledger.lock:
            if self._ledger.operator.baseline != old:
                return False
            self._ledger.operator.baseline = new
            return True

    def resolve_doubt(self, tenant_id: str, amount: int, *, give_back: bool) -> bool:
        with self._ledger.lock:
            tenant = self._ledger.tenants[tenant_id]
            if tenant.total_doubt != amount or any(h.reclaimed_at is not None for h in tenant.holds.values()):
                return False
            tenant.total_doubt = 0
            tenant.total_spent -= amount if give_back else 0
            for window in tenant.windows:
                if give_back:
                    window.spent -= window.doubt
                window.doubt = 0
                if window.prev is not None:
                    given = window.prev.in_doubt if give_back else 0
                    window.prev = replace(window.prev, spent=window.prev.spent - given, in_doubt=0)
            return True

    def sweep_all(self) -> ReclaimReport:
        return sweep(self)


def _ready(tenant: MemTenant, name: str, key: str) -> bool:
    """No hold taken in that window is still open."""
    return not any(
        (s.hold.windows.day if name == "daily" else s.hold.windows.month) == key
        for s in tenant.holds.values()
        if s.reclaimed_at is None
    )


def _settled(tenant: MemTenant) -> bool:
    """Nothing left for a sweep: no hold or tombstone, empty outbox, no summary to write, no crossing unclaimed."""
    unclaimed = any(tenant.level(w) > w.alert for w in tenant.windows) or any(
        tenant.prev_level(w) > tenant.prev_alerts.get(w.name, Level.ACTIVE) for w in tenant.windows
    )
    return not (tenant.holds or tenant.outbox or any(w.hist for w in tenant.windows) or unclaimed)
