"""Threshold crossings claimed on the ledger item, each with its alert, so each is announced once per window episode."""

from __future__ import annotations

from spendrail.alerts.model import Alert
from spendrail.dynamo.call import ConditionFailed
from spendrail.ledger import alerting
from spendrail.ledger.codec import WINDOWS, Item
from spendrail.ledger.model import Crossing
from spendrail.ledger.outbox import claim_update, prev_claim_update
from spendrail.ledger.table import LedgerTable
from spendrail.state import Level

_ROUNDS = 4  # the marker has four values: it can be raised under us at most three times


def announce(table: LedgerTable, item: Item, by: str, now: int, stopped: tuple[str, ...] = ()) -> tuple[Crossing, ...]:
    """Claim each threshold `item` shows crossed, once per window, and record its alert in the outbox.

    The claim is conditional on the marker being the level this writer saw, so of all requests that see a crossing
    exactly one moves the marker past it, and the alerts it records are exactly the levels it passed. A replayed
    claim (our own write, its answer lost) is recognised by `w_alert_by`. A window that rolled meanwhile is left to
    the sweep, which claims what the window before missed. Windows in `stopped` count as stopped (a request
    refused for lack of settled room). The alerts carry the window's episode and the claim is conditional on it: a
    window that reopened meanwhile is judged again on what it now holds, under the new policy.
    """
    found: list[Crossing] = []
    for w, name in WINDOWS:
        seen = item
        level = Level.STOPPED if w in stopped else item.level(w)
        window = item.win[w]
        old = Level(window.alert)
        for _ in range(_ROUNDS):
            if level <= old:
                break
            claimed = alerting.crossings(
                item.tenant_id,
                name,
                window.key,
                window.spent,
                window.cap,
                old=old,
                level=level,
                at=now,
                timezone=seen.policy.timezone,
                episode=window.ep,
            )
            update = claim_update(w, old, level, by, window.key, window.ep, [c.alert for c in claimed])
            try:
                table.write(item.tenant_id, update)
            except ConditionFailed:
                latest = table.read(item.tenant_id)
                mine = latest.win[w]
                if mine.key != window.key:
                    break
                if not (mine.alert_by == by and mine.alert == level):
                    if mine.ep != window.ep:  # reopened: judged as it is now (a refusal's stop was under the old cap)
                        seen, window, level = latest, mine, latest.level(w)
                    old = Level(mine.alert)
                    continue
                # Our own claim was applied and its answer lost: report what it recorded.
                claimed = tuple(c for c in claimed if c.state.level > mine.alert_prev)
            found += claimed
            break
    return tuple(found)


def announce_closed(table: LedgerTable, item: Item, now: int) -> tuple[Alert, ...]:
    """Claim crossings of the windows before that nobody claimed (settled just before another request rolled).

    They carry the episode the window closed in. If the window before had claimed nothing, its reopening was not
    announced either: the same write records the budget reset of the window that followed it.
    """
    found: list[Alert] = []
    for w, name in WINDOWS:
        window, level = item.win[w], item.prev_level(w)
        old = Level(window.prev_alert)
        if level <= old:
            continue
        alerts = alerting.closed_window(
            item.tenant_id,
            name,
            (window.prev_key, window.prev_spent, window.prev_cap or window.cap),
            (window.key, window.cap),
            old=old,
            level=level,
            at=now,
            timezone=item.policy.timezone,
            episode=window.prev_ep,
        )
        try:
            table.write(item.tenant_id, prev_claim_update(w, old, level, window.prev_key, alerts))
        except ConditionFailed:
            continue  # changed meanwhile: the next sweep looks again
        found += alerts
    return tuple(found)
