"""The reconciliation's writes on DynamoDB: its baseline on the operator item, and resolving a tenant's doubt."""

from __future__ import annotations

from typing import Any

from spendrail.dynamo.expression import Update, n
from spendrail.ledger.codec import WINDOWS, Item
from spendrail.ledger.upkeep import Baseline


def baseline(raw: dict[str, Any]) -> Baseline | None:
    if "rc_at" not in raw:
        return None
    return Baseline(int(raw["rc_usage"]["N"]), int(raw["rc_ledger"]["N"]), int(raw["rc_at"]["N"]))


def move_update(old: Baseline | None, new: Baseline) -> Update:
    """Replace the baseline if it is still `old`: one run reconciles each period."""
    update = Update(
        sets=["rc_usage = :usage", "rc_ledger = :ledger", "rc_at = :at"],
        values={":usage": n(new.usage), ":ledger": n(new.ledger), ":at": n(new.at)},
    )
    if old is None:
        update.conditions.append("attribute_not_exists(rc_at)")
    else:
        update.conditions.append("rc_at = :old")
        update.values[":old"] = n(old.at)
    return update


def _same(update: Update, attr: str, value: int) -> None:
    """Condition: `attr` is `value` (a missing attribute of an older item reads as 0)."""
    placeholder = f":is_{attr}"
    update.values[placeholder] = n(value)
    update.conditions.append(
        f"(attribute_not_exists({attr}) OR {attr} = {placeholder})" if value == 0 else f"{attr} = {placeholder}"
    )


def resolve_update(item: Item, amount: int, *, give_back: bool) -> Update | None:
    """Confirm (doubt -> 0) or give back (spend -= doubt) what `item` has in doubt, if it is still `amount`.

    None if a reclaimed hold's tombstone is still there: its late settle would correct a charge that is gone.
    Every window's own doubt is resolved where it is counted; the all-time total by `amount`.
    """
    if item.total_doubt != amount or any(v.startswith("R|") for v in item.holds.values()):
        return None
    update = Update(values={":zero": n(0)})
    _same(update, "total_doubt", amount)
    update.sets.append("total_doubt = :zero")
    if give_back:
        update.sets.append("total_spent = total_spent - :amount")
        update.values[":amount"] = n(amount)
    for w, _ in WINDOWS:
        window = item.win[w]
        update.conditions.append(f"{w}_key = :{w}key")
        update.values[f":{w}key"] = {"S": window.key}
        for attr, doubt, spent, room in (
            (f"{w}_doubt", window.doubt, f"{w}_spent", f"{w}_room"),
            (f"{w}_prev_doubt", window.prev_doubt, f"{w}_prev_spent", None),
        ):
            _same(update, attr, doubt)
            if not doubt:
                continue
            update.sets.append(f"{attr} = :zero")
            if give_back:
                update.sets.append(f"{spent} = {spent} - :is_{attr}")
                if room:
                    update.sets.append(f"{room} = {room} + :is_{attr}")
    return update
