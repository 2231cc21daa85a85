"""Alerts as the contract defines them (../shared/DESIGN.md, "Alerts"): what each says, to whom, and its identity.

One alert per tenant, kind and window episode: `alert_id` is derived from exactly those, so every copy of an alert
(the request that crossed, the scheduled run that delivered it late, an SNS redelivery) carries the same id and a
subscriber drops repeats by it. An episode is the window's life between reopenings (a raised cap that lowers the
level announced in it): the first is 0 and leaves the id as it always was, `<tenant>/<kind>/<window>/<key>`; a
later one is appended (`.../2026-11-28/1`), so a crossing announced again after a reopening is a new alert. An
alert is recorded in the ledger's outbox as a compact `record()` when it is claimed, and rendered (`message`,
`subject`, `attributes`, `email_text`) only when it is published, so what the merchant reads (the model now in use,
the dashboard link) is current.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo

from spendrail.money import nanos_to_usd
from spendrail.state import BudgetState

# Operator-only alerts (the OpenRouter account, the reconciliation) name this instead of a tenant. Tenant ids start
# with a letter or digit, so it can never be one; tenants' subscription filters never match it.
OPERATOR = "_operator"

AlertWindow = Literal["daily", "monthly", "hourly"]
Severity = Literal["info", "warning", "critical"]


class AlertKind(StrEnum):
    SOFT_CAP = "soft_cap"
    DEGRADED = "degraded"
    HARD_STOP = "hard_stop"
    PROJECTED_EXHAUSTION = "projected_exhaustion"
    BUDGET_RESET = "budget_reset"
    PROVIDER_CREDITS = "provider_credits"
    RECONCILIATION_DRIFT = "reconciliation_drift"

    @property
    def headline(self) -> str:
        """How the e-mail subject and the first line in Slack begin (the contract's wording)."""
        return _HEADLINES[self]

    @property
    def severity(self) -> Severity:
        return _SEVERITY[self]

    @classmethod
    def of_crossing(cls, state: BudgetState) -> AlertKind:
        """The alert a threshold crossing into `state` raises."""
        return _CROSSINGS[state]


_HEADLINES = {
    AlertKind.SOFT_CAP: "Soft cap reached",
    AlertKind.DEGRADED: "Budget degraded",
    AlertKind.HARD_STOP: "Hard stop",
    AlertKind.PROJECTED_EXHAUSTION: "Projected to hit the cap",
    AlertKind.BUDGET_RESET: "Budget restored",
    AlertKind.PROVIDER_CREDITS: "OpenRouter credits exhausted",
    AlertKind.RECONCILIATION_DRIFT: "Spend drift",
}
_SEVERITY: dict[AlertKind, Severity] = {
    AlertKind.SOFT_CAP: "warning",
    AlertKind.DEGRADED: "warning",
    AlertKind.HARD_STOP: "critical",
    AlertKind.PROJECTED_EXHAUSTION: "warning",
    AlertKind.BUDGET_RESET: "info",
    AlertKind.PROVIDER_CREDITS: "critical",
    AlertKind.RECONCILIATION_DRIFT: "warning",
}
_CROSSINGS = {
    BudgetState.WARNED: AlertKind.SOFT_CAP,
    BudgetState.DEGRADED: AlertKind.DEGRADED,
    BudgetState.STOPPED: AlertKind.HARD_STOP,
}
# The budget state each kind leaves the tenant in: what the "model now in use" follows.
STATE_AFTER = {
    AlertKind.SOFT_CAP: BudgetState.WARNED,
    AlertKind.DEGRADED: BudgetState.DEGRADED,
    AlertKind.HARD_STOP: BudgetState.STOPPED,
    AlertKind.BUDGET_RESET: BudgetState.ACTIVE,
}


def alert_id(tenant_id: str, kind: AlertKind, window: str, window_key: str, episode: int = 0) -> str:
    """The one identity of an alert: tenant, kind, window and its episode (readable, and safe as an attribute name).

    Episode 0, the window's first, adds nothing: ids claimed before episodes existed stay what they were.
    """
    base = f"{tenant_id}/{kind.value}/{window}/{window_key}"
    return f"{base}/{episode}" if episode > 0 else base


def window_end(window: AlertWindow, window_key: str, timezone: str) -> datetime:
    """When the window `window_key` ends, in the tenant's zone (its local midnight, first of the month, next hour)."""
    zone = ZoneInfo(timezone)
    if window == "daily":
        day = date.fromisoformat(window_key) + timedelta(days=1)
    elif window == "monthly":
        year, month = (int(part) for part in window_key.split("-"))
        day = date(year + month // 12, month % 12 + 1, 1)
    else:  # hourly keys are UTC hours: 2026-11-28T14
        start = datetime.strptime(window_key, "%Y-%m-%dT%H").replace(tzinfo=UTC)
        return (start + timedelta(hours=1)).astimezone(zone)
    return datetime.combine(day, time(0), tzinfo=zone)


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    tenant_id: str
    window: AlertWindow
    window_key: str
    spent_nanos: int
    cap_nanos: int
    at: int  # epoch seconds when it was claimed
    timezone: str = "UTC"
    extra: dict[str, str] = field(default_factory=dict)  # kind-specific facts (projection, drift amounts)
    model: str | None = None  # the model now in use; filled in when published
    dashboard_url: str | None = None  # filled in when published, if the deployment issues dashboard links
    episode: int = 0  # the window's episode it was claimed in: 0 until a reopening (ledger/reopen.py), then 1, 2...

    @property
    def alert_id(self) -> str:
        return alert_id(self.tenant_id, self.kind, self.window, self.window_key, self.episode)

    @property
    def percent(self) -> Decimal:
        if self.cap_nanos <= 0:
            return Decimal(100)
        return (Decimal(self.spent_nanos) * 100 / self.cap_nanos).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def resets_at(self) -> datetime:
        return window_end(self.window, self.window_key, self.timezone)

    def with_details(self, *, model: str | None, dashboard_url: str | None) -> Alert:
        return replace(self, model=model, dashboard_url=dashboard_url)

    # ---- the outbox record (compact; what the ledger stores when the alert is claimed) --------------------------

    def record(self) -> str:
        data: dict[str, Any] = {
            "k": self.kind.value,
            "t": self.tenant_id,
            "w": self.window,
            "wk": self.window_key,
            "s": self.spent_nanos,
            "c": self.cap_nanos,
            "at": self.at,
            "tz": self.timezone,
        }
        if self.extra:
            data["x"] = self.extra
        if self.episode > 0:
            data["ep"] = self.episode
        return json.dumps(data, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_record(cls, record: str) -> Alert:
        data = json.loads(record)
        return cls(
            kind=AlertKind(data["k"]),
            tenant_id=data["t"],
            window=data["w"],
            window_key=data["wk"],
            spent_nanos=int(data["s"]),
            cap_nanos=int(data["c"]),
            at=int(data["at"]),
            timezone=data.get("tz", "UTC"),
            extra=dict(data.get("x", {})),
            episode=int(data.get("ep", 0)),
        )

    # ---- what subscribers receive ----------------------------------------------------------------------------

    @property
    def headline(self) -> str:
        who = "operator" if self.tenant_id == OPERATOR else self.tenant_id
        if self.kind in (AlertKind.PROVIDER_CREDITS, AlertKind.RECONCILIATION_DRIFT):
            return f"{self.kind.headline}: {who}"
        return f"{self.kind.headline}: {who}, {self.window} budget {self.percent}% used"

    def subject(self) -> str:
        """The SNS subject (an e-mail's subject line): at most 100 characters, as SNS requires."""
        return self.headline[:100]

    def message(self) -> dict[str, Any]:
        """The contract's JSON body."""
        body: dict[str, Any] = {
            "alertId": self.alert_id,
            "kind": self.kind.value,
            "tenantId": self.tenant_id,
            "window": self.window,
            "windowKey": self.window_key,
            "spentUsd": float(nanos_to_usd(self.spent_nanos)),
            "capUsd": float(nanos_to_usd(self.cap_nanos)),
            "percent": float(self.percent),
            "resetsAt": self.resets_at.isoformat(),
            "timezone": self.timezone,  # the IANA zone resetsAt is in, so a reader can name it (EST, not -05:00)
            "model": self.model,
            "at": datetime.fromtimestamp(self.at, UTC).isoformat(),
        }
        if self.dashboard_url:
            body["dashboardUrl"] = self.dashboard_url
        if self.episode > 0:
            body["episode"] = self.episode  # the window reopened this many times before this alert
        body.update(self.extra)
        return body

    def attributes(self) -> dict[str, str]:
        """SNS message attributes: what subscription filter policies match on."""
        return {"tenantId": self.tenant_id, "kind": self.kind.value, "severity": self.kind.severity}

    def email_text(self) -> str:
        """The plain-text e-mail: the headline first, then the facts a merchant acts on."""
        lines = [self.headline, ""]
        if self.kind not in (AlertKind.PROVIDER_CREDITS, AlertKind.RECONCILIATION_DRIFT):
            spent, cap = (format(nanos_to_usd(n).normalize(), "f") for n in (self.spent_nanos, self.cap_nanos))
            lines += [
                f"Store:     {self.tenant_id}",
                f"Window:    {self.window} ({self.window_key})",
                f"Spent:     ${spent} of ${cap} ({self.percent}%)",
                f"Model:     {self.model or 'none (answers paused)'}",
                f"Resets at: {self.resets_at:%Y-%m-%d %H:%M %Z} ({self.timezone})",
            ]
        lines += [f"{name}: {value}" for name, value in sorted(self.extra.items())]
        if self.dashboard_url:
            lines += ["", f"Budget page: {self.dashboard_url}"]
        lines += ["", f"Alert {self.alert_id}"]
        return "\n".join(lines)
