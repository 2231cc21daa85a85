"""Threshold crossings claimed on the ledger item, so each is announced once per tenant per window."""

from __future__ import annotations

from spendrail.dynamo.call import ConditionFailed
from spendrail.ledger.codec import WINDOWS, Item
from spendrail.ledger.model import Crossing
from spendrail.ledger.table import LedgerTable
from spendrail.ledger.updates import claim_update
from spendrail.state import Level, crossed


def announce(table: LedgerTable, item: Item, by: str, stopped: tuple[str, ...] = ()) -> tuple[Crossing, ...]:
    """Claim each threshold `item` shows crossed, once per window, with a conditional marker write.

    The marker only rises within a window, so of all requests that see a crossing exactly one moves it; a
    replayed claim (our own write, its answer lost) is recognised by `w_alert_by`. Windows in `stopped` count as
    stopped (a request refused for lack of settled room).
    """
    crossings: list[Crossing] = []
    for w, name in WINDOWS:
        level = Level.STOPPED if w in stopped else item.level(w)
        window = item.win[w]
        if level <= window.alert:
            continue
        try:
            old = table.write(item.tenant_id, claim_update(w, level, by, window.key), "UPDATED_OLD")
            previous = Level(int(old.get("Attributes", {}).get(f"{w}_alert", {"N": "0"})["N"]))
        except ConditionFailed:
            latest = table.read(item.tenant_id).win[w]
            if not (latest.alert_by == by and latest.alert == level and latest.key == window.key):
                continue
            previous = Level(latest.alert_prev)
        crossings += [Crossing(item.tenant_id, name, window.key, lvl.state) for lvl in crossed(previous, level)]
    return tuple(crossings)
