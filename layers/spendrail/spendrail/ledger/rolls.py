"""Rolling a tenant's windows: one conditional write on the keys it read, by a request or by the scheduled run.

Whichever comes first closes the window, exactly once: the write is conditional on the old keys (and on the level
claimed in the closing window, so the `budget_reset` it records is decided on what is really there). It keeps the
closing window's summary on the item (``w_prev_*``, the episode it closed in with it) and marks it pending
(``w_hist``) when anything happened in the window, starts the new window at episode 0 (so its `budget_reset` is
that episode's), records `budget_reset` in the outbox when the window had alerted, flags the tenant for a sweep when
there is anything to do, and moves ``roll_at`` to the end of the new day.
"""

from __future__ import annotations

from spendrail.alerts.model import Alert
from spendrail.dynamo.call import ConditionFailed
from spendrail.dynamo.expression import Update, n, s
from spendrail.ledger import alerting, history
from spendrail.ledger.codec import WINDOWS, Item, roll_shard
from spendrail.ledger.outbox import record_alerts
from spendrail.ledger.table import LedgerTable
from spendrail.ledger.window import SUMMARY
from spendrail.state import Level
from spendrail.windows import WindowKeys, day_end

# Fields added after the first items were written: copied with if_not_exists, so old items roll too.
_MAYBE_MISSING = frozenset({"doubt", "req", "hits", "saved", "down", "ep"})
_RESET = ("spent", "held", "alert", "saved", "doubt", "req", "hits", "down", "ep")


def roll_update(item: Item, keys: WindowKeys, now: int) -> tuple[Update, tuple[Alert, ...]]:
    """Start the windows whose time has come; holds still in flight settle into the window before."""
    update = Update(values={":zero": n(0)})
    alerts: list[Alert] = []
    pending = False
    for w, name in WINDOWS:
        window, key = item.win[w], (keys.day if w == "d" else keys.month)
        update.conditions.append(f"{w}_key = :{w}old")
        update.values[f":{w}old"] = s(window.key)
        if key == window.key:
            continue
        update.conditions.append(f"{w}_alert = :{w}lvl")
        update.values[f":{w}lvl"] = n(window.alert)
        update.sets += [f"{w}_prev_key = {w}_key"]
        update.sets += [
            f"{w}_prev_{f} = if_not_exists({w}_{f}, :zero)" if f in _MAYBE_MISSING else f"{w}_prev_{f} = {w}_{f}"
            for f in SUMMARY
        ]
        update.sets += [f"{w}_key = :{w}new", f"{w}_room = {w}_cap"] + [f"{w}_{f} = :zero" for f in _RESET]
        update.values[f":{w}new"] = s(key)
        if window.active:
            update.sets.append(f"{w}_hist = :{w}old")
            pending = True
        else:
            # Nothing happened as read: no summary to keep, on the condition that still holds.
            update.removes.append(f"{w}_hist")
            update.conditions += [f"{w}_spent = :zero", f"{w}_held = :zero"]
            update.conditions += [f"(attribute_not_exists({w}_{f}) OR {w}_{f} = :zero)" for f in ("req", "saved")]
        if window.alert > Level.ACTIVE:
            alerts.append(
                alerting.budget_reset(
                    item.tenant_id,
                    name,
                    key,
                    window.cap,
                    closed_key=window.key,
                    closed_spent=window.spent,
                    closed_level=Level(window.alert),
                    at=now,
                    timezone=item.policy.timezone,
                )
            )
    update.sets += ["roll_at = :rollat", "roll_shard = :shard"]
    update.values |= {
        ":rollat": n(int(day_end(keys.day, item.policy.timezone).timestamp())),
        ":shard": s(roll_shard(item.tenant_id)),
    }
    record_alerts(update, alerts)
    if pending and not alerts:
        update.sets.append("hold_flag = :flag")
        update.values[":flag"] = s("1")
    return update, tuple(alerts)


def roll(table: LedgerTable, item: Item, keys: WindowKeys, now: int) -> tuple[Item, tuple[Alert, ...]] | None:
    """Roll `item` to `keys`: the item after it and the alerts it claimed, or None if another writer came first.

    A summary of the window before that is still pending (no sweep ran for a whole window) is written first, so
    the roll's copy does not overwrite it unwritten.
    """
    rolling = tuple(w for w, _ in WINDOWS if (keys.day if w == "d" else keys.month) != item.win[w].key)
    history.flush(table, item, rolling)
    update, alerts = roll_update(item, keys, now)
    try:
        return table.update(item.tenant_id, update), alerts
    except ConditionFailed:
        return None
