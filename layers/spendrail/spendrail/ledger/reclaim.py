"""Holds of requests that died between reserve and settle: charged in doubt once expired, by one conditional write.

Such a request most likely reached the provider before it died, so its hold is not given back: it moves from held
to spent and is recorded as in doubt (headroom is unchanged: cap - spent - held stays as it was). A tombstone is
left for an hour, so a settle that arrives after all puts the real cost in place of the charge, exactly once.
The request a hold blocks reclaims it (reserve), and the scheduled sweep reclaims the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_lambda_powertools import Logger

from spendrail.dynamo.call import ConditionFailed
from spendrail.dynamo.expression import Update, n, s
from spendrail.ledger.codec import SLOT_PREFIX, WINDOWS, Item, slot_of
from spendrail.ledger.model import Hold, StoredHold
from spendrail.ledger.table import LedgerTable

logger = Logger(child=True)  # a child of the handler's Powertools Logger: JSON, with the request's keys

TOMBSTONE_TTL_SECONDS = 3600
# Holds changed by one write: keeps each expression well inside DynamoDB's 4 KB limit. More wait for the next write.
BATCH = 50
_MAX_ROUNDS = 8


def expired(item: Item, now: int) -> list[Hold]:
    """Open holds whose time has passed, the oldest first, at most one batch."""
    return sorted((h for h in item.open_holds() if h.expires_at <= now), key=lambda h: h.expires_at)[:BATCH]


def reclaim_update(item: Item, stale: Sequence[Hold], now: int, old: Sequence[StoredHold] = ()) -> Update:
    """Charge `stale` holds as spent and in doubt where each was taken, and drop the `old` tombstones.

    Conditional on every hold and tombstone being as read and on the windows not having moved, so a hold settled
    meanwhile is never charged twice.
    """
    update = Update()
    for w, _ in WINDOWS:
        cur, before = item.win[w].key, item.win[w].prev_key
        update.conditions.append(f"{w}_key = :{w}key")
        update.values[f":{w}key"] = s(cur)
        here = [h.amount for h in stale if _taken_in(h, w) == cur]
        earlier = [h.amount for h in stale if _taken_in(h, w) == before]
        if here:
            update.sets += [f"{w}_held = {w}_held - :{w}here", f"{w}_spent = {w}_spent + :{w}here"]
            update.adds += [f"{w}_doubt :{w}here", f"{w}_req :{w}nhere"]  # a dead request is a request too
            update.values |= {f":{w}here": n(sum(here)), f":{w}nhere": n(len(here))}
        if earlier:
            update.sets.append(f"{w}_prev_spent = {w}_prev_spent + :{w}before")
            update.adds += [f"{w}_prev_doubt :{w}before", f"{w}_prev_req :{w}nbefore"]
            update.values |= {f":{w}before": n(sum(earlier)), f":{w}nbefore": n(len(earlier))}
    if stale:
        # Charged wherever the windows are: the all-time totals and the burn rate count every dead hold.
        update.adds += ["total_spent :all", "total_doubt :all", "#slot :all"]
        update.names["#slot"] = f"{SLOT_PREFIX}{slot_of(now)}"
        update.values[":all"] = n(sum(h.amount for h in stale))
    for i, hold in enumerate(stale):
        update.sets.append(f"hold_map.#r{i} = :t{i}")
        update.conditions.append(f"hold_map.#r{i} = :o{i}")
        update.names[f"#r{i}"] = hold.hold_id
        update.values |= {f":t{i}": s(hold.tombstone(now)), f":o{i}": s(hold.encode())}
    for i, tomb in enumerate(old):
        update.removes.append(f"hold_map.#x{i}")
        update.conditions.append(f"hold_map.#x{i} = :x{i}")
        update.names[f"#x{i}"] = tomb.hold.hold_id
        update.values[f":x{i}"] = s(tomb.hold.tombstone(tomb.reclaimed_at or 0))
    return update


def _taken_in(hold: Hold, w: str) -> str:
    return hold.windows.day if w == "d" else hold.windows.month


def reclaim_expired(table: LedgerTable, item: Item, now: int) -> Item | None:
    """Reclaim `item`'s expired holds in one conditional write: the item after it, or None if none had expired.

    Raises ConditionFailed if the item changed since it was read (the caller reads it again).
    """
    stale = expired(item, now)
    if not stale:
        return None
    after = table.update(item.tenant_id, reclaim_update(item, stale, now))
    _log(item.tenant_id, stale)
    return after


def reclaim_all(table: LedgerTable, item: Item, now: int) -> tuple[Item, list[Hold], int]:
    """The sweep's part: charge every expired hold and drop tombstones older than an hour, a batch a write.

    Returns the item after it, the holds charged and how many tombstones were dropped.
    """
    charged: list[Hold] = []
    removed = 0
    for _ in range(_MAX_ROUNDS):
        stale = expired(item, now)
        old = [
            t for t in item.all_stored() if t.reclaimed_at is not None and t.reclaimed_at + TOMBSTONE_TTL_SECONDS <= now
        ]
        old = old[: BATCH - len(stale)]
        if not stale and not old:
            break
        try:
            item = table.update(item.tenant_id, reclaim_update(item, stale, now, old))
        except ConditionFailed:  # a hold was settled or taken meanwhile: decide again on what is there now
            item = table.read(item.tenant_id)
            continue
        _log(item.tenant_id, stale)
        charged += stale
        removed += len(old)
    return item, charged, removed


def _log(tenant_id: str, stale: Sequence[Hold]) -> None:
    if stale:
        logger.warning(
            "charged expired holds in doubt",
            extra={
                "tenant_id": tenant_id,
                "hold_ids": [h.hold_id for h in stale],
                "nanos": sum(h.amount for h in stale),
            },
        )
