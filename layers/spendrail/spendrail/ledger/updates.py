"""The conditional writes that change the ledger item: each states the item it expects, so a replay fails."""

from __future__ import annotations

import uuid

from spendrail.dynamo.expression import Update, n, s
from spendrail.ledger.codec import Item
from spendrail.ledger.model import Hold, StoredHold
from spendrail.policy import BudgetPolicy
from spendrail.state import Level
from spendrail.windows import WindowKeys


def reserve_update(hold: Hold, policy_ver: str) -> Update:
    """Hold `hold.amount` in both windows if both have the room (and the policy is the one the caller knows)."""
    update = Update(
        sets=["hold_map.#h = :hold", "hold_flag = :flag"],
        conditions=["attribute_not_exists(hold_map.#h)", "policy_ver = :pv"],
        names={"#h": hold.hold_id},
        values={":hold": s(hold.encode()), ":flag": s("1"), ":pv": s(policy_ver), ":a": n(hold.amount)},
    )
    for w, key in (("d", hold.windows.day), ("m", hold.windows.month)):
        update.sets += [f"{w}_held = {w}_held + :a", f"{w}_room = {w}_room - :a"]
        update.conditions += [f"{w}_key = :{w}key", f"{w}_room >= :a"]
        update.values[f":{w}key"] = s(key)
    return update


def close_update(
    stored: StoredHold, actual: int, current: WindowKeys, prev: WindowKeys, saved: int = 0, in_doubt: int = 0
) -> tuple[Update, int]:
    """Close a hold: record `actual` (of which `in_doubt` is unconfirmed), give back the rest, drop the hold.

    Each window is charged where the hold was taken: the current window, the one before it (the window
    rolled while the request ran), or nowhere (older than that; only the history would change). A reclaimed hold
    (a tombstone) was charged its amount, all in doubt: the settle puts the truth in place of that charge.
    Returns the update and the overshoot (what `actual` exceeds the hold by).
    """
    hold = stored.hold
    is_open = stored.reclaimed_at is None
    spent, doubt = (actual, in_doubt) if is_open else (actual - hold.amount, in_doubt - hold.amount)
    update = Update(conditions=["hold_map.#h = :stored"], removes=["hold_map.#h"], names={"#h": hold.hold_id})
    update.values[":stored"] = s(hold.encode() if is_open else hold.tombstone(stored.reclaimed_at or 0))
    charge = {":x": n(spent), ":dbt": n(doubt)}  # set only where used: DynamoDB refuses unused values
    for w, hold_key, cur, before in (
        ("d", hold.windows.day, current.day, prev.day),
        ("m", hold.windows.month, current.month, prev.month),
    ):
        update.conditions.append(f"{w}_key = :{w}key")
        update.values[f":{w}key"] = s(cur)
        if hold_key == cur:
            update.sets += [f"{w}_spent = {w}_spent + :x", f"{w}_room = {w}_room + :r"]
            update.adds.append(f"{w}_doubt :dbt")  # ADD, even of 0: old items lack it, and UPDATED_NEW returns it
            # Headroom moves by the same amount for an open and for a reclaimed hold.
            update.values |= charge | {":r": n(hold.amount - actual)}
            if is_open:
                update.sets.append(f"{w}_held = {w}_held - :a")
                update.values[":a"] = n(hold.amount)
            if saved:
                update.adds.append(f"{w}_saved :saved")  # ADD: items from before savings existed lack it
                update.values[":saved"] = n(saved)
        elif hold_key == before:
            update.sets.append(f"{w}_prev_spent = {w}_prev_spent + :x")
            update.adds.append(f"{w}_prev_doubt :dbt")
            update.values |= charge
    overshoot = actual - hold.amount
    if overshoot > 0:
        update.adds += ["over_nanos :over", "over_count :one"]
        update.values |= {":over": n(overshoot), ":one": n(1)}
    return update, max(overshoot, 0)


def settle_update(hold: Hold, policy_ver: str, actual: int, saved: int, in_doubt: int) -> tuple[Update, int]:
    """The hot path's close: the hold open, taken in the windows still current, under the policy the caller knows."""
    update, overshoot = close_update(StoredHold(hold, None), actual, hold.windows, hold.windows, saved, in_doubt)
    update.conditions.append("policy_ver = :pv")
    update.values |= {":pv": s(policy_ver), ":zero": n(0)}
    # Adding zero changes nothing but makes UPDATED_NEW return the announced levels with the counters.
    update.sets += ["d_alert = d_alert + :zero", "m_alert = m_alert + :zero"]
    return update, overshoot


def savings_update(saved: int, keys: WindowKeys) -> Update:
    """Count what a cache hit saved in both windows, if they are still the ones at `keys`."""
    return Update(
        adds=["d_saved :s", "m_saved :s"],  # ADD: items from before savings existed lack them
        conditions=["d_key = :dkey", "m_key = :mkey"],
        values={":s": n(saved), ":dkey": s(keys.day), ":mkey": s(keys.month)},
    )


def roll_update(item: Item, keys: WindowKeys) -> Update:
    """Start the windows whose time has come; holds still in flight settle into the window before."""
    update = Update()
    for w, key in (("d", keys.day), ("m", keys.month)):
        update.conditions.append(f"{w}_key = :{w}old")
        update.values[f":{w}old"] = s(item.win[w].key)
        if key != item.win[w].key:
            update.sets += [
                f"{w}_prev_key = {w}_key",
                f"{w}_prev_spent = {w}_spent",
                f"{w}_prev_doubt = if_not_exists({w}_doubt, :zero)",
                f"{w}_key = :{w}new",
                f"{w}_spent = :zero",
                f"{w}_held = :zero",
                f"{w}_room = {w}_cap",
                f"{w}_alert = :zero",
                f"{w}_saved = :zero",
                f"{w}_doubt = :zero",
            ]
            update.values[f":{w}new"] = s(key)
    update.values[":zero"] = n(0)
    return update


def policy_update(current: Item, policy: BudgetPolicy) -> Update:
    """Move caps and headroom by the same delta, so holds and spend already counted stay counted."""
    update = Update()
    for w, cap in (("d", policy.daily_cap_nanos), ("m", policy.monthly_cap_nanos)):
        update.sets += [f"{w}_cap = :{w}cap", f"{w}_room = {w}_room + :{w}delta"]
        update.conditions.append(f"{w}_cap = :{w}old")
        update.values |= {
            f":{w}cap": n(cap),
            f":{w}delta": n(cap - current.win[w].cap),
            f":{w}old": n(current.win[w].cap),
        }
    # A new version makes every instance's hot-path condition fail once, so each re-reads the policy.
    update.sets += ["soft_pct = :soft", "degrade_pct = :degrade", "time_zone = :tz", "policy_ver = :ver"]
    update.values |= {
        ":soft": n(policy.soft_cap_percent),
        ":degrade": n(policy.degrade_percent),
        ":tz": s(policy.timezone),
        ":ver": s(uuid.uuid4().hex),
    }
    return update


def claim_update(w: str, level: Level, by: str, key: str) -> Update:
    """Raise window `w`'s announced level to `level`; only the one writer that moves it learns the crossing."""
    return Update(
        sets=[f"{w}_alert = :lvl", f"{w}_alert_prev = {w}_alert", f"{w}_alert_by = :by"],
        conditions=[f"{w}_key = :key", f"{w}_alert < :lvl"],
        values={":lvl": n(level), ":by": s(by), ":key": s(key)},
    )
