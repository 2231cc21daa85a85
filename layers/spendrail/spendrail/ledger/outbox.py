"""The alerts' outbox on the ledger item: every claim records its alerts in the same conditional write.

An alert is one top-level attribute ``ob#<alert id>`` holding `Alert.record()` (top-level, not a map entry: a SET
on a path inside a map that does not exist fails, and items written before the outbox have none), and ``ob_n``
counts them. Claiming an alert also sets ``hold_flag`` (the tenant needs a sweep), so the scheduled run delivers
it if the request that claimed it does not. Acknowledging removes the attribute, only if it is there, so a second
acknowledgement (or a replayed one) changes nothing. Operator alerts live on an item of their own.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from spendrail.alerts.model import Alert
from spendrail.dynamo.expression import Update, n, s
from spendrail.ledger.codec import OUTBOX_PREFIX
from spendrail.state import Level

# Operator alerts (no tenant's spend caused them) and the reconciliation's baseline: one item, never in an index.
OPERATOR_KEY: dict[str, Any] = {"pk": s("OPERATOR"), "sk": s("STATE")}
_CLAIMED_PREFIX = "ck#"


def record_alerts(update: Update, alerts: Sequence[Alert], *, flag: bool = True) -> Update:
    """Add `alerts` to the outbox in `update` (and flag the tenant for a sweep)."""
    if not alerts:
        return update
    for i, alert in enumerate(alerts):
        update.sets.append(f"#ob{i} = :ob{i}")
        update.names[f"#ob{i}"] = OUTBOX_PREFIX + alert.alert_id
        update.values[f":ob{i}"] = s(alert.record())
    update.adds.append("ob_n :obn")
    update.values[":obn"] = n(len(alerts))
    if flag:
        update.sets.append("hold_flag = :flag")
        update.values[":flag"] = s("1")
    return update


def record_alerts_read(update: Update, alerts: Sequence[Alert], present: Collection[str]) -> Update:
    """Add `alerts` to the outbox for a writer that read it: an alert whose id is there already (not published yet)
    is replaced, not counted again, on the condition that the outbox still is as read, so ``ob_n`` stays exact."""
    for i, alert in enumerate(alerts):
        update.sets.append(f"#ro{i} = :ro{i}")
        update.names[f"#ro{i}"] = OUTBOX_PREFIX + alert.alert_id
        update.values[f":ro{i}"] = s(alert.record())
        there = alert.alert_id in present
        update.conditions.append(f"attribute_exists(#ro{i})" if there else f"attribute_not_exists(#ro{i})")
    added = sum(1 for alert in alerts if alert.alert_id not in present)
    if added:
        update.adds.append("ob_n :ron")
        update.values[":ron"] = n(added)
    if alerts:
        update.sets.append("hold_flag = :flag")
        update.values[":flag"] = s("1")
    return update


def recount_update(seen: int) -> Update:
    """An empty outbox whose count says otherwise (an alert claimed again, under the same id, before it was
    published: the claim counted it twice) counts 0 again, if nothing was claimed or acknowledged since."""
    return Update(sets=["ob_n = :zero"], conditions=["ob_n = :seen"], values={":zero": n(0), ":seen": n(seen)})


def in_episode(update: Update, w: str, episode: int) -> Update:
    """Condition `update` on window `w` being in `episode` (items written before episodes have none: 0)."""
    update.values[f":{w}ep"] = n(episode)
    update.conditions.append(
        f"(attribute_not_exists({w}_ep) OR {w}_ep = :{w}ep)" if episode == 0 else f"{w}_ep = :{w}ep"
    )
    return update


def claim_update(w: str, old: int, level: Level, by: str, key: str, episode: int, alerts: Sequence[Alert]) -> Update:
    """Raise window `w`'s claimed level from `old` to `level` and record the alerts of the levels in between.

    Conditional on the level being exactly `old`, so the alerts recorded are exactly those passed: of all the
    writers that see a crossing, one moves the marker from each value. And on the window's episode being the one the
    alerts carry: a reopening lowers the marker and a later claim may raise it back to `old`, and what this writer
    saw before the reopening is no crossing of the new episode.
    """
    update = Update(
        sets=[f"{w}_alert = :lvl", f"{w}_alert_prev = {w}_alert", f"{w}_alert_by = :by"],
        conditions=[f"{w}_key = :key", f"{w}_alert = :old"],
        values={":lvl": n(level), ":by": s(by), ":key": s(key), ":old": n(old)},
    )
    return record_alerts(in_episode(update, w, episode), alerts)


def prev_claim_update(w: str, old: int, level: Level, key: str, alerts: Sequence[Alert]) -> Update:
    """Claim a crossing of the window before (settled just before another request rolled it, never claimed)."""
    update = Update(sets=[f"{w}_prev_alert = :lvl"], conditions=[f"{w}_prev_key = :key"])
    update.values |= {":lvl": n(level), ":key": s(key), ":old": n(old)}
    # Items rolled before the window before's level was kept have none: read as 0.
    update.conditions.append(
        f"(attribute_not_exists({w}_prev_alert) OR {w}_prev_alert = :old)" if old == 0 else f"{w}_prev_alert = :old"
    )
    return record_alerts(update, alerts)


def projection_update(w: str, key: str, alert: Alert) -> Update:
    """Claim window `w`'s projected exhaustion, once per window (the marker holds the window's key)."""
    update = Update(
        sets=[f"{w}_proj = :key"],
        conditions=[f"{w}_key = :key", f"(attribute_not_exists({w}_proj) OR {w}_proj <> :key)"],
        values={":key": s(key)},
    )
    return record_alerts(update, [alert])


def ack_update(alert: Alert) -> Update:
    """Take a published alert out of the outbox, if it is still there."""
    return Update(
        removes=["#ob"],
        adds=["ob_n :minus"],
        conditions=["attribute_exists(#ob)"],
        names={"#ob": OUTBOX_PREFIX + alert.alert_id},
        values={":minus": n(-1)},
    )


def operator_claim_update(alert: Alert) -> Update:
    """Record an operator alert once per id: a marker stays after the alert is acknowledged (pruned days later)."""
    update = Update(
        sets=["#ck = :at"],
        conditions=["attribute_not_exists(#ck)"],
        names={"#ck": _CLAIMED_PREFIX + alert.alert_id},
        values={":at": n(alert.at)},
    )
    return record_alerts(update, [alert], flag=False)


def operator_markers(raw: dict[str, Any]) -> dict[str, int]:
    """The operator item's claim markers: alert id -> when it was claimed."""
    return {k.removeprefix(_CLAIMED_PREFIX): int(v["N"]) for k, v in raw.items() if k.startswith(_CLAIMED_PREFIX)}


def prune_markers_update(markers: dict[str, int], before: int) -> Update | None:
    """Drop the operator's claim markers older than `before` (their hour or day is long over)."""
    old = [alert_id for alert_id, at in markers.items() if at < before][:50]
    if not old:
        return None
    update = Update()
    for i, alert_id in enumerate(old):
        update.removes.append(f"#x{i}")
        update.names[f"#x{i}"] = _CLAIMED_PREFIX + alert_id
    return update
