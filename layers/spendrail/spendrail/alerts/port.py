"""Where alerts go: a publisher (SNS), the outbox they wait in until published (the ledger item), and the sink the
chat service hands the alerts its request claimed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from spendrail.alerts.model import Alert
from spendrail.deadline import Deadline


class AlertPublisher(Protocol):
    def publish(self, alert: Alert) -> None:
        """Send one alert to every subscriber; raises AlertPublishError when it cannot be handed over."""


class AlertOutbox(Protocol):
    def ack(self, alert: Alert) -> None:
        """The alert was published: take it out of the outbox (a no-op if it is gone already)."""

    def claim_operator_alert(self, alert: Alert) -> bool:
        """Record an operator alert (no tenant's spend caused it) in the outbox, once per id; False if it was."""


class AlertSink(Protocol):
    def deliver(self, alerts: Sequence[Alert], deadline: Deadline) -> None:
        """Publish alerts this request claimed, briefly; what is not published stays in the outbox. Never raises."""

    def provider_out_of_credits(self, deadline: Deadline) -> None:
        """OpenRouter said 402: tell the operator (at most once an hour). Never raises."""
