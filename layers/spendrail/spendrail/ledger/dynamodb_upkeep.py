"""`LedgerUpkeep` on DynamoDB: the scheduled run's per-tenant work, a few conditional writes per tenant.

A review reads the item, rolls windows that ended (the request path's own roll, so whichever comes first closes the
window once), charges expired holds, claims crossings nobody claimed (a request that died between its settle and
its claim), and writes history summaries whose window no hold in flight can still change. `finish` then prunes and,
if nothing is pending, takes the tenant out of the sweep index, conditional on the item being as reviewed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime

from spendrail.alerts.model import OPERATOR, Alert
from spendrail.dynamo.call import ConditionFailed
from spendrail.dynamo.expression import Update, n, s
from spendrail.ledger import events, history, reclaim, reconciliation, rolls
from spendrail.ledger.codec import SLOT_PREFIX, WINDOWS, Item, item_key, roll_shard, slot_of
from spendrail.ledger.crossings import announce, announce_closed
from spendrail.ledger.model import ReclaimReport, delivery_order
from spendrail.ledger.outbox import (
    OPERATOR_KEY,
    ack_update,
    operator_claim_update,
    operator_markers,
    projection_update,
    prune_markers_update,
    recount_update,
)
from spendrail.ledger.table import LedgerTable
from spendrail.ledger.upkeep import Baseline, Review, SpendTotals, sweep
from spendrail.windows import window_keys

# Burn-rate slots older than this are dropped by the sweep: the projection looks back an hour.
SLOT_KEEP_SECONDS = 3600
_ROUNDS = 4


class DynamoDBUpkeep:
    def __init__(self, table: LedgerTable, clock: Callable[[], datetime]) -> None:
        self._table = table
        self._clock = clock

    def tenants_due(self, now: datetime) -> Iterator[str]:
        return self._table.tenants_due(int(now.timestamp()))

    def tenants_flagged(self) -> Iterator[str]:
        return self._table.tenants_with_holds()

    def review(self, tenant_id: str, *, by: str) -> Review:
        now = self._clock()
        epoch = int(now.timestamp())
        item = self._table.read(tenant_id)
        if item.outbox_count and not item.outbox:
            with contextlib.suppress(ConditionFailed):  # claimed or acknowledged since: the next review looks again
                item = self._table.update(tenant_id, recount_update(item.outbox_count))
        claimed: list[Alert] = []
        rolled = False
        for _ in range(_ROUNDS):
            keys = window_keys(now, item.policy.timezone).later(item.keys)
            if keys == item.keys:
                break
            result = rolls.roll(self._table, item, keys, epoch)
            if result is None:  # a request rolled it first, or changed it meanwhile: look again
                item = self._table.read(tenant_id)
                continue
            item, reset = result
            claimed += reset
            rolled = True
        item, charged, removed = reclaim.reclaim_all(self._table, item, epoch)
        crossings = announce(self._table, item, by, epoch)
        claimed += [c.alert for c in crossings]
        claimed += announce_closed(self._table, item, epoch)
        summaries, waiting = [], False
        for w, _ in WINDOWS:
            summary = history.pending(item, w)
            if summary is None:
                continue
            if history.ready(item, w):
                history.write(self._table, summary)
                summaries.append(summary)
            else:
                waiting = True
        pending = {a.alert_id: a for a in (*item.pending_alerts(), *claimed)}
        return Review(
            tenant_id,
            item.snapshot(),
            dict(item.slots),
            frozenset(name for w, name in WINDOWS if item.win[w].proj == item.win[w].key),
            delivery_order(pending.values()),
            tuple(claimed),
            crossings,
            rolled,
            len(charged),
            sum(h.amount for h in charged),
            removed,
            tuple(summaries),
            waiting,
            basis=item,
        )

    def claim_projection(self, review: Review, alert: Alert) -> bool:
        w = alert.window[0]
        try:
            self._table.write(review.tenant_id, projection_update(w, alert.window_key, alert))
        except ConditionFailed:
            return False
        return True

    def finish(self, review: Review, *, delivered: bool) -> bool:
        item = review.basis
        assert isinstance(item, Item)
        epoch = int(self._clock().timestamp())
        drop = delivered and item.flagged and not item.holds and not review.waiting
        for attempt in (drop, False) if drop else (False,):
            update = _tidy(item, review, epoch)
            if attempt:
                _leave_index(update, item)
            if not update.expression():
                return False
            try:
                self._table.write(item.tenant_id, update)
            except ConditionFailed:
                continue
            return attempt
        return False

    def sweep_all(self) -> ReclaimReport:
        return sweep(self)

    # ---- the outbox ------------------------------------------------------------------------------------------

    def ack(self, alert: Alert) -> None:
        """Record a tenant's alert as its event, then take it out of the outbox (in that order: an acknowledgement
        that dies between the two leaves the alert to be published again, and its event is written once)."""
        if events.is_event(alert):
            events.record(self._table, alert)
        key = OPERATOR_KEY if alert.tenant_id == OPERATOR else item_key(alert.tenant_id)
        with contextlib.suppress(ConditionFailed):  # acknowledged already: nothing to do
            self._table.write(alert.tenant_id, ack_update(alert), key=key)

    def claim_operator_alert(self, alert: Alert) -> bool:
        with contextlib.suppress(ConditionFailed):
            self._table.write(OPERATOR, operator_claim_update(alert), key=OPERATOR_KEY)
            return True
        return False

    def pending_alerts(self, tenant_id: str) -> tuple[Alert, ...]:
        if tenant_id == OPERATOR:
            raw = self._table.read_raw(OPERATOR_KEY)
            return delivery_order(Alert.from_record(v["S"]) for k, v in raw.items() if k.startswith("ob#"))
        return self._table.read(tenant_id).pending_alerts()

    def prune_operator(self, before: int) -> None:
        update = prune_markers_update(operator_markers(self._table.read_raw(OPERATOR_KEY)), before)
        if update is not None:
            self._table.write(OPERATOR, update, key=OPERATOR_KEY)

    def spend_totals(self) -> SpendTotals:
        tenants = list(dict.fromkeys(self._table.all_tenants()))
        spent, doubts = 0, {}
        for tenant_id, total, doubt in self._table.totals(tenants):
            spent += total
            if doubt:
                doubts[tenant_id] = doubt
        return SpendTotals(spent, doubts, len(tenants))

    def baseline(self) -> Baseline | None:
        return reconciliation.baseline(self._table.read_raw(OPERATOR_KEY))

    def move_baseline(self, old: Baseline | None, new: Baseline) -> bool:
        with contextlib.suppress(ConditionFailed):
            self._table.write(OPERATOR, reconciliation.move_update(old, new), key=OPERATOR_KEY)
            return True
        return False

    def resolve_doubt(self, tenant_id: str, amount: int, *, give_back: bool) -> bool:
        item = self._table.read(tenant_id)
        update = reconciliation.resolve_update(item, amount, give_back=give_back)
        if update is None:
            return False
        with contextlib.suppress(ConditionFailed):
            self._table.write(tenant_id, update)
            return True
        return False


def _tidy(item: Item, review: Review, epoch: int) -> Update:
    """What finishing always does: drop old burn-rate slots, clear the written summaries' marks, fix `roll_at`."""
    update = Update()
    old = [slot for slot in item.slots if slot < slot_of(epoch - SLOT_KEEP_SECONDS)][:50]
    for i, slot in enumerate(old):
        update.removes.append(f"#s{i}")
        update.names[f"#s{i}"] = f"{SLOT_PREFIX}{slot}"
    for summary in review.summaries:
        w = summary.window[0]
        update.removes.append(f"{w}_hist")
        update.conditions.append(f"{w}_hist = :{w}hist")
        update.values[f":{w}hist"] = s(summary.key)
    if item.roll_at != item.due_at:  # an item from before the roll index, or a roll that did not say
        update.sets += ["roll_at = :rollat", "roll_shard = :shard"]
        update.conditions.append("d_key = :dkey")
        update.values |= {":rollat": n(item.due_at), ":shard": s(roll_shard(item.tenant_id)), ":dkey": s(item.keys.day)}
    return update


def _leave_index(update: Update, item: Item) -> None:
    """Drop the sweep flag, on the condition that nothing arrived since the review: no hold, nothing in the outbox,
    the same windows with the same spend (so no crossing appeared that nobody claimed)."""
    update.removes.append("hold_flag")
    update.conditions += ["size(hold_map) = :zero", "(attribute_not_exists(ob_n) OR ob_n = :zero)"]
    update.values[":zero"] = n(0)
    for w, _ in WINDOWS:
        window = item.win[w]
        update.conditions += [f"{w}_key = :{w}k", f"{w}_spent = :{w}sp", f"{w}_prev_spent = :{w}psp"]
        update.values |= {f":{w}k": s(window.key), f":{w}sp": n(window.spent), f":{w}psp": n(window.prev_spent)}
