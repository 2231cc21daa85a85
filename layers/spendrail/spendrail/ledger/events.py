"""A tenant's budget events: its alerts (crossings, resets, projections) as the admin API and the budget page list them.

An alert becomes an event when it is acknowledged (published): an item of its own in the tenant's partition,
``pk TENANT#<id>, sk EVT#<at, 12 digits>#<alert id>``, so a second acknowledgement or a republished alert (same
record, same claim time) writes the same key, once. It is written before the alert leaves the outbox, so an
acknowledgement that dies halfway leaves the alert to be published again rather than an event lost. It is an
UpdateItem (an upsert), not a PutItem: the chat function, which acknowledges the alerts it publishes, may only get
and update the budget table. ``expires_at`` (epoch s, 60 days on) is there for DynamoDB's TTL; the table has no TTL
configured yet, so reads leave out expired events themselves. Alerts still waiting in the outbox are listed too, as
not delivered, so the page never waits for the scheduled run. Operator alerts are no tenant's events.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from spendrail.alerts.model import OPERATOR, Alert, AlertKind
from spendrail.dynamo.call import ConditionFailed
from spendrail.dynamo.expression import Update, n, s
from spendrail.ledger.codec import Item
from spendrail.ledger.model import KIND_ORDER, WindowName
from spendrail.ledger.table import LedgerTable

EVENT_TTL_SECONDS = 60 * 86_400
PREFIX = "EVT#"
_END_OF_ID = "\uffff"  # sorts after any alert id (DynamoDB compares the UTF-8 bytes)
_END = PREFIX + _END_OF_ID


@dataclass(frozen=True)
class LedgerEvent:
    """One alert of a tenant, as its budget history tells it (newest first in `events()`)."""

    tenant_id: str
    alert_id: str
    kind: AlertKind  # soft_cap, degraded, hard_stop, projected_exhaustion, budget_reset
    window: WindowName
    window_key: str  # 2026-11-28, or 2026-11
    at: int  # epoch s, when it was claimed
    spent: int  # nano-USD spent in the window, as the claimer saw it (0 for a new window's reset)
    cap: int  # nano-USD, the window's cap then
    timezone: str = "UTC"
    extra: dict[str, str] = field(default_factory=dict)  # the alert's kind-specific facts (previous state, ...)
    delivered: bool = True  # False: still in the outbox, not published yet

    @classmethod
    def of(cls, alert: Alert, *, delivered: bool) -> LedgerEvent:
        window: WindowName = "monthly" if alert.window == "monthly" else "daily"
        return cls(
            alert.tenant_id,
            alert.alert_id,
            alert.kind,
            window,
            alert.window_key,
            alert.at,
            alert.spent_nanos,
            alert.cap_nanos,
            alert.timezone,
            dict(alert.extra),
            delivered,
        )


def is_event(alert: Alert) -> bool:
    return alert.tenant_id != OPERATOR


def sort_key(at: int, alert_id: str) -> str:
    return f"{PREFIX}{at:012d}#{alert_id}"


def newest_first(events: Iterable[LedgerEvent], now: int, limit: int) -> list[LedgerEvent]:
    """Each alert once (its delivered copy if there are two), unexpired, newest first; one claim's alerts in reverse
    delivery order (the hard stop above the soft cap it passed)."""
    unique: dict[tuple[int, str], LedgerEvent] = {}
    for event in events:
        seen = unique.get((event.at, event.alert_id))
        if event.at + EVENT_TTL_SECONDS > now and (seen is None or (event.delivered and not seen.delivered)):
            unique[(event.at, event.alert_id)] = event
    order = sorted(unique.values(), key=lambda e: (e.at, KIND_ORDER[e.kind], e.window, e.window_key), reverse=True)
    return order[:limit]


# ---- on DynamoDB ----------------------------------------------------------------------------------------------


def key(alert: Alert) -> dict[str, Any]:
    return {"pk": s(f"TENANT#{alert.tenant_id}"), "sk": s(sort_key(alert.at, alert.alert_id))}


def record_update(alert: Alert) -> Update:
    """Create the event item, unless it is there (conditional: a repeat changes nothing, and says so)."""
    update = Update(conditions=["attribute_not_exists(pk)"])
    fields: dict[str, dict[str, Any]] = {
        "e_id": s(alert.alert_id),
        "e_kind": s(alert.kind.value),
        "e_window": s(alert.window),
        "e_key": s(alert.window_key),
        "e_at": n(alert.at),
        "e_spent": n(alert.spent_nanos),
        "e_cap": n(alert.cap_nanos),
        "e_tz": s(alert.timezone),
        "expires_at": n(alert.at + EVENT_TTL_SECONDS),
    }
    if alert.extra:
        fields["e_extra"] = {"M": {k: s(v) for k, v in alert.extra.items()}}
    for name, value in fields.items():
        update.sets.append(f"{name} = :{name}")
        update.values[f":{name}"] = value
    return update


def parse(raw: Mapping[str, Any]) -> LedgerEvent:
    window: WindowName = "monthly" if raw["e_window"]["S"] == "monthly" else "daily"
    return LedgerEvent(
        tenant_id=str(raw["pk"]["S"]).removeprefix("TENANT#"),
        alert_id=str(raw["e_id"]["S"]),
        kind=AlertKind(raw["e_kind"]["S"]),
        window=window,
        window_key=str(raw["e_key"]["S"]),
        at=int(raw["e_at"]["N"]),
        spent=int(raw["e_spent"]["N"]),
        cap=int(raw["e_cap"]["N"]),
        timezone=str(raw["e_tz"]["S"]),
        extra={k: str(v["S"]) for k, v in raw.get("e_extra", {}).get("M", {}).items()},
    )


def record(table: LedgerTable, alert: Alert) -> None:
    """Record a tenant's published alert as its event, once (a repeat fails the condition and changes nothing)."""
    with contextlib.suppress(ConditionFailed):
        table.write(alert.tenant_id, record_update(alert), key=key(alert))


def read(table: LedgerTable, item: Item, now: int, limit: int) -> list[LedgerEvent]:
    """The newest `limit` unexpired events of `item`'s tenant, with the alerts still waiting in its outbox."""
    tenant_id = item.tenant_id
    stored = [
        parse(raw) for raw in table.query_events(tenant_id, sort_key(now - EVENT_TTL_SECONDS + 1, ""), _END, limit)
    ]
    if len(stored) == limit:  # the page may cut one second's events in two: read that second whole, to order it
        edge = sort_key(stored[-1].at, "")
        stored += [parse(raw) for raw in table.query_events(tenant_id, edge, edge + _END_OF_ID, limit)]
    waiting = [LedgerEvent.of(alert, delivered=False) for alert in item.pending_alerts()]
    return newest_first([*stored, *waiting], now, limit)
