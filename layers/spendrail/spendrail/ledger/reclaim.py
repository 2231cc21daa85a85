"""Holds of requests that died between reserve and settle, reclaimed once expired; the sweep that finds them."""

from __future__ import annotations

import contextlib
import logging

from spendrail.dynamo.call import ConditionFailed
from spendrail.dynamo.expression import Update, n, s
from spendrail.ledger.codec import Item
from spendrail.ledger.model import ReclaimReport
from spendrail.ledger.table import LedgerTable
from spendrail.ledger.updates import close_update

logger = logging.getLogger(__name__)

TOMBSTONE_TTL_SECONDS = 3600


def reclaim_expired(table: LedgerTable, item: Item, now: int) -> list[int]:
    """Give back the holds of requests that died (expired), leaving tombstones; amounts returned."""
    returned = []
    for hold_id in list(item.holds):
        stored = item.stored(hold_id)
        if stored.reclaimed_at is not None or stored.hold.expires_at > now:
            continue
        update, _ = close_update(stored, 0, item.keys, item.prev_keys, tombstone_at=now)
        try:
            table.write(item.tenant_id, update)
        except ConditionFailed:
            continue  # settled or reclaimed meanwhile
        logger.warning("reclaimed a stale hold", extra={"tenant_id": item.tenant_id, "hold_id": hold_id})
        returned.append(stored.hold.amount)
    if returned:
        fresh = table.read(item.tenant_id)
        item.holds, item.win = fresh.holds, fresh.win
    return returned


def sweep(table: LedgerTable, now: int) -> ReclaimReport:
    """Reclaim expired holds of the tenants that may have holds (a sparse index, not a table scan)."""
    report = ReclaimReport()
    for tenant_id in table.tenants_with_holds():
        item = table.read(tenant_id)
        returned = reclaim_expired(table, item, now)
        removed = 0
        for hold_id, value in list(item.holds.items()):
            stored = item.stored(hold_id)
            if stored.reclaimed_at is not None and stored.reclaimed_at + TOMBSTONE_TTL_SECONDS <= now:
                update = Update(removes=["hold_map.#h"], conditions=["hold_map.#h = :v"])
                update.names["#h"] = hold_id
                update.values[":v"] = s(value)
                try:
                    item = table.update(tenant_id, update)
                    removed += 1
                except ConditionFailed:
                    pass
        if not item.holds:
            # Leave the index only if no hold arrived meanwhile; a new hold sets the flag again anyway.
            update = Update(removes=["hold_flag"], conditions=["size(hold_map) = :zero"])
            update.values[":zero"] = n(0)
            with contextlib.suppress(ConditionFailed):
                table.write(tenant_id, update)
        report = ReclaimReport(
            report.tenants_checked + 1,
            report.holds_reclaimed + len(returned),
            report.nanos_returned + sum(returned),
            report.tombstones_removed + removed,
        )
    return report
