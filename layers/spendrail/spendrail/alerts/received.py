"""An alert as a subscriber receives it: the contract's JSON message read back into an `Alert`.

The headline is the publisher's own (`Alert.headline`), rebuilt from the message, so Slack's first line and the
e-mail subject never drift apart. The message carries the reset time with its UTC offset but not the zone's name;
`resets_at` is taken from the message as is (a `timezone` field, when a publisher adds one, names the zone).
`episode` (absent until the window's first reopening: 0) is read back too, so the alert rebuilt here derives the
very `alertId` the message carries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from spendrail.alerts.model import Alert, AlertKind
from spendrail.errors import MalformedAlertError
from spendrail.money import usd_to_nanos

_WINDOWS = ("daily", "monthly", "hourly")
_CONTRACT = {
    "alertId",
    "kind",
    "tenantId",
    "window",
    "windowKey",
    "spentUsd",
    "capUsd",
    "percent",
    "resetsAt",
    "model",
    "at",
    "dashboardUrl",
    "timezone",
    "episode",
}


@dataclass(frozen=True)
class ReceivedAlert:
    alert_id: str
    alert: Alert
    resets_at: datetime  # aware, in the tenant's zone (its offset at the reset)
    zone: str | None = None  # the zone's IANA name, when the message gives it

    @property
    def headline(self) -> str:
        return self.alert.headline

    @classmethod
    def from_message(cls, message: str) -> ReceivedAlert:
        """Parse an SNS message body (the contract's JSON); raises MalformedAlertError for anything else."""
        try:
            body = json.loads(message)
            if not isinstance(body, dict):
                raise TypeError("the message is not a JSON object")
            return cls._from_body(body)
        except (ValueError, TypeError, KeyError) as exc:
            raise MalformedAlertError(f"not an alert message: {type(exc).__name__}: {exc}") from exc

    @classmethod
    def _from_body(cls, body: dict[str, Any]) -> ReceivedAlert:
        window = body["window"]
        if window not in _WINDOWS:
            raise ValueError(f"unknown window {window!r}")
        resets_at = datetime.fromisoformat(body["resetsAt"])
        at = datetime.fromisoformat(body["at"])
        if resets_at.tzinfo is None or at.tzinfo is None:
            raise ValueError("resetsAt and at must carry a UTC offset")
        extra = {str(k): str(v) for k, v in body.items() if k not in _CONTRACT}
        alert = Alert(
            kind=AlertKind(body["kind"]),
            tenant_id=str(body["tenantId"]),
            window=window,
            window_key=str(body["windowKey"]),
            spent_nanos=_nanos(body["spentUsd"]),
            cap_nanos=_nanos(body["capUsd"]),
            at=int(at.timestamp()),
            timezone=str(body.get("timezone") or "UTC"),  # resets_at below is the message's, whatever this says
            extra=extra,
            model=body.get("model"),
            dashboard_url=body.get("dashboardUrl"),
            episode=_episode(body.get("episode", 0)),
        )
        zone = body.get("timezone")
        return cls(str(body["alertId"]), alert, resets_at, str(zone) if zone else None)


def _episode(value: object) -> int:
    """The window's episode (absent: 0, its first); a whole number, not a bool or a fraction."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError(f"not an episode: {value!r}")
    return value


def _nanos(usd: object) -> int:
    if not isinstance(usd, int | float | str):
        raise TypeError(f"not an amount: {usd!r}")
    return usd_to_nanos(usd, exact=False)  # a float is read by its repr: the amount that was sent
