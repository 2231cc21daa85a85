"""An alert as a Slack Block Kit message: the headline first, then the facts a merchant acts on."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from spendrail.alerts.model import OPERATOR, AlertKind
from spendrail.alerts.received import ReceivedAlert
from spendrail.money import nanos_to_usd

_OPERATOR_KINDS = (AlertKind.PROVIDER_CREDITS, AlertKind.RECONCILIATION_DRIFT)
_HEADER_LIMIT = 150  # Slack's limit on a header block's text


def slack_message(received: ReceivedAlert, now: datetime) -> dict[str, Any]:
    """The webhook payload: `text` (what notifications show) and the blocks, the first of which is the headline."""
    alert = received.alert
    fields: list[tuple[str, str]] = []
    if alert.kind not in _OPERATOR_KINDS:
        fields += [
            ("Store", alert.tenant_id),
            ("Window", f"{alert.window} ({alert.window_key})"),
            ("Spent", f"{_usd(alert.spent_nanos)} of {_usd(alert.cap_nanos)} ({alert.percent}%)"),
            ("Model now in use", alert.model or "none (answers paused)"),
            ("Resets", time_to_reset(received.resets_at, now, received.zone)),
        ]
    fields += sorted(alert.extra.items())
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": received.headline[:_HEADER_LIMIT]}},
    ]
    if fields:
        blocks.append({"type": "section", "fields": [_field(name, value) for name, value in fields[:10]]})
    if alert.dashboard_url:
        button = {"type": "button", "text": {"type": "plain_text", "text": "Open the budget page"}}
        blocks.append({"type": "actions", "elements": [button | {"url": alert.dashboard_url}]})
    who = "the operator" if alert.tenant_id == OPERATOR else alert.tenant_id
    context = f"Alert `{_escape(received.alert_id)}` for {_escape(who)}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return {"text": received.headline, "blocks": blocks}


def time_to_reset(resets_at: datetime, now: datetime, zone: str | None = None) -> str:
    """ "in 3 h 12 min, at 00:00 EST" in the tenant's zone (its UTC offset when the zone's name is unknown)."""
    local = resets_at
    if zone:
        try:
            local = resets_at.astimezone(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            local = resets_at
    when = f"{local:%H:%M} {local.tzname()}"
    left = resets_at - now
    if left <= timedelta(0):
        return f"now (at {when})"
    if left >= timedelta(days=1):
        return f"in {left.days} d {left.seconds // 3600} h, on {local:%a %d %b} at {when}"
    minutes = int(left.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"in {hours} h {minutes} min, at {when}" if hours else f"in {minutes} min, at {when}"


def _usd(nanos: int) -> str:
    return f"${format(nanos_to_usd(nanos).normalize(), 'f')}"


def _field(name: str, value: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": f"*{name}*\n{_escape(value)}"}


def _escape(text: str) -> str:
    """Slack's mrkdwn control characters, so a value is shown, never read as a link or a mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
