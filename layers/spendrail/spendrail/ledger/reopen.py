"""A policy change on the ledger item, and the windows it reopens, in one conditional write.

The caps and headroom move by the same delta (`updates.policy_update`). A window whose new caps or thresholds put
its level below both the level announced in it (``w_alert``) and its level under the old policy has reopened: the
same write lowers the announced level to the new one, so later crossings are claimed and announced again, starts the
window's next episode (``w_ep`` + 1: every alert claimed in the window from now on carries it in its id, so none
repeats an id of the episode before), and records that episode's `budget_reset` in the outbox, conditional on the
announced level and the episode being the ones read. Of concurrent or repeated changes, the first one moves the
level down and every other then finds nothing left to reopen. The condition on the level (and on the caps, in
`policy_update`) is what makes it once; whether it also lowers a level depends on the policy compared with the old
one, so a change of nothing but the fallback message never reopens a window a refusal stopped (its spend alone says
degraded). A window that has ended is left to the roll.
"""

from __future__ import annotations

from spendrail.alerts.model import Alert
from spendrail.dynamo.expression import Update, n, s
from spendrail.ledger import alerting
from spendrail.ledger.codec import WINDOWS, Item
from spendrail.ledger.outbox import in_episode, record_alerts_read
from spendrail.ledger.updates import policy_update
from spendrail.policy import BudgetPolicy
from spendrail.state import Level, window_level
from spendrail.windows import WindowKeys


def cap_of(policy: BudgetPolicy, w: str) -> int:
    return policy.daily_cap_nanos if w == "d" else policy.monthly_cap_nanos


def reopens(was: Level, announced: Level, spent: int, cap: int, policy: BudgetPolicy) -> Level | None:
    """The window's new level if the policy reopens it (below what was announced and what the old policy said)."""
    level = window_level(spent, cap, policy.soft_cap_percent, policy.degrade_percent)
    return level if level < min(was, announced) else None


def change_update(
    item: Item, policy: BudgetPolicy, keys: WindowKeys, ver: str, now: int
) -> tuple[Update, tuple[Alert, ...]]:
    """The policy write for `item` as read, at the current window `keys`, and the resets it records."""
    update = policy_update(item, policy, ver)
    alerts: list[Alert] = []
    for w, name in WINDOWS:
        window, cap = item.win[w], cap_of(policy, w)
        level = reopens(item.level(w), Level(window.alert), window.spent, cap, policy)
        if level is None or (keys.day if w == "d" else keys.month) != window.key:
            continue
        update.sets += [f"{w}_alert = :{w}lower", f"{w}_alert_prev = {w}_alert", f"{w}_alert_by = :pby"]
        update.adds.append(f"{w}_ep :one")  # the next episode (ADD: items from before episodes have none)
        update.conditions += [f"{w}_alert = :{w}seen", f"{w}_key = :{w}open"]
        update.values |= {
            f":{w}lower": n(level),
            f":{w}seen": n(window.alert),
            f":{w}open": s(window.key),
            ":pby": s(f"policy:{ver}"),
            ":one": n(1),
        }
        in_episode(update, w, window.ep)
        alerts.append(
            alerting.reopened(
                item.tenant_id,
                name,
                window.key,
                window.spent,
                cap,
                old_cap=window.cap,
                old_level=Level(window.alert),
                at=now,
                timezone=policy.timezone,
                episode=window.ep + 1,
            )
        )
    record_alerts_read(update, alerts, item.outbox.keys())
    return update, tuple(alerts)
