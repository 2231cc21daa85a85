"""The conditional writes that change the ledger item: each states the item it expects, so a replay fails."""

from __future__ import annotations

import uuid

from spendrail.dynamo.expression import Update, n, s
from spendrail.ledger.codec import SLOT_PREFIX, Item, roll_shard, slot_of
from spendrail.ledger.model import Hold, StoredHold
from spendrail.policy import BudgetPolicy
from spendrail.windows import WindowKeys, day_end


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
    stored: StoredHold,
    actual: int,
    current: WindowKeys,
    prev: WindowKeys,
    saved: int = 0,
    in_doubt: int = 0,
    *,
    downgraded: bool = False,
    now: int | None = None,
) -> tuple[Update, int]:
    """Close a hold: record `actual` (of which `in_doubt` is unconfirmed), give back the rest, drop the hold.

    Each window is charged where the hold was taken: the current window, the one before it (the window
    rolled while the request ran), or nowhere (older than that; only the history would change). A reclaimed hold
    (a tombstone) was charged its amount, all in doubt: the settle puts the truth in place of that charge. The
    request is counted (and its cache hit, its downgrade) where it is charged, unless its hold was reclaimed (the
    reclaim counted it); the all-time totals and the burn rate of the slot `now` falls in count the money anyway.
    Returns the update and the overshoot (what `actual` exceeds the hold by).
    """
    hold = stored.hold
    is_open = stored.reclaimed_at is None
    spent, doubt = (actual, in_doubt) if is_open else (actual - hold.amount, in_doubt - hold.amount)
    update = Update(conditions=["hold_map.#h = :stored"], removes=["hold_map.#h"], names={"#h": hold.hold_id})
    update.values[":stored"] = s(hold.encode() if is_open else hold.tombstone(stored.reclaimed_at or 0))
    update.values |= {":x": n(spent), ":dbt": n(doubt)}
    # ADD: items from before the totals lack them (read as 0); adding 0 would only lengthen the hot write.
    update.adds += ["total_spent :x"] * bool(spent) + ["total_doubt :dbt"] * bool(doubt)
    counted = [
        name
        for name, yes in (("req", is_open), ("hits", is_open and saved > 0), ("down", is_open and downgraded))
        if yes
    ]
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
            update.values[":r"] = n(hold.amount - actual)
            if is_open:
                update.sets.append(f"{w}_held = {w}_held - :a")
                update.values[":a"] = n(hold.amount)
            update.adds += [f"{w}_saved :saved"] * bool(saved) + [f"{w}_{name} :one" for name in counted]
        elif hold_key == before:
            update.sets.append(f"{w}_prev_spent = {w}_prev_spent + :x")
            update.adds.append(f"{w}_prev_doubt :dbt")
            update.adds += [f"{w}_prev_saved :saved"] * bool(saved) + [f"{w}_prev_{name} :one" for name in counted]
    if saved:
        update.values[":saved"] = n(saved)
    if spent and now is not None:
        update.adds.append("#slot :x")
        update.names["#slot"] = f"{SLOT_PREFIX}{slot_of(now)}"
    overshoot = actual - hold.amount
    if overshoot > 0:
        update.adds += ["over_nanos :over", "over_count :one"]
        update.values[":over"] = n(overshoot)
    if counted or overshoot > 0:
        update.values[":one"] = n(1)
    return update, max(overshoot, 0)


def settle_update(
    hold: Hold,
    policy_ver: str,
    actual: int,
    saved: int,
    in_doubt: int,
    *,
    downgraded: bool = False,
    now: int,
    levels: bool = True,
) -> tuple[Update, int]:
    """The hot path's close: the hold open, taken in the windows still current, under the policy the caller knows.

    `levels`: also return the announced levels and the windows' episodes (what a claim needs), at the cost of four
    no-op clauses; a caller that knows no claim can be due leaves them out (they cost DynamoDB and botocore work).
    """
    update, overshoot = close_update(
        StoredHold(hold, None), actual, hold.windows, hold.windows, saved, in_doubt, downgraded=downgraded, now=now
    )
    update.conditions.append("policy_ver = :pv")
    update.values[":pv"] = s(policy_ver)
    if levels:
        # Adding zero changes nothing but makes UPDATED_NEW return the announced levels and the windows' episodes
        # (ADD: items from before episodes lack them) with the counters: what a claim needs, without a read.
        update.values[":zero"] = n(0)
        update.sets += ["d_alert = d_alert + :zero", "m_alert = m_alert + :zero"]
        update.adds += ["d_ep :zero", "m_ep :zero"]
    return update, overshoot


def savings_update(saved: int, keys: WindowKeys) -> Update:
    """Count an answer from the cache (a request, a hit, what it saved) in both windows, if they are still current."""
    return Update(
        # ADD: items from before savings and the history counters existed lack them
        adds=["d_saved :s", "m_saved :s", "d_req :one", "m_req :one", "d_hits :one", "m_hits :one"],
        conditions=["d_key = :dkey", "m_key = :mkey"],
        values={":s": n(saved), ":dkey": s(keys.day), ":mkey": s(keys.month), ":one": n(1)},
    )


def policy_update(current: Item, policy: BudgetPolicy, ver: str | None = None) -> Update:
    """Move caps and headroom by the same delta, so holds and spend already counted stay counted.

    `ver` is the new policy version (a fresh one if None): a writer whose answer was lost recognises its own write.
    """
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
    # The day ends at another instant in another zone: the roll index learns it (and old items join it).
    update.sets += ["roll_at = :rollat", "roll_shard = :shard"]
    update.conditions.append("d_key = :dkey")
    update.values |= {
        ":soft": n(policy.soft_cap_percent),
        ":degrade": n(policy.degrade_percent),
        ":tz": s(policy.timezone),
        ":ver": s(ver or uuid.uuid4().hex),
        ":rollat": n(int(day_end(current.win["d"].key, policy.timezone).timestamp())),
        ":shard": s(roll_shard(current.tenant_id)),
        ":dkey": s(current.win["d"].key),
    }
    return update
