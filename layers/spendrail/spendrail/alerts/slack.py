"""Alerts to Slack: every alert to the operator's channel, a tenant's alerts also to the tenant's own webhook.

Each destination gets each alert once (`Once`). A destination that Slack cannot take now (429, 5xx, timeout) does
not stop the others; the delivery then raises SlackUnavailableError so the invocation fails and Lambda retries it,
and the destinations already served drop the repeat. After Lambda's retries the event goes to the dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from spendrail.alerts.model import OPERATOR
from spendrail.alerts.once import Once
from spendrail.alerts.received import ReceivedAlert
from spendrail.alerts.slack_blocks import slack_message
from spendrail.alerts.slack_http import Posted
from spendrail.errors import SecretUnavailableError, SlackUnavailableError, SpendrailError, StoreUnavailableError

logger = Logger(child=True)


class Webhooks(Protocol):
    def operator(self) -> str | None: ...

    def tenant(self, tenant_id: str) -> str | None: ...


class Poster(Protocol):
    def post(self, url: str, payload: dict[str, Any], *, destination: str) -> Posted: ...


@dataclass(frozen=True)
class Destination:
    name: str  # "operator" or "tenant:<id>": what logs, metrics and the idempotency key use
    url: str = field(repr=False)  # a secret


@dataclass(frozen=True)
class Delivered:
    alert_id: str
    destination: str
    posted: Posted


class SlackAlerts:
    def __init__(
        self,
        webhooks: Webhooks,
        poster: Poster,
        once: Once,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._webhooks = webhooks
        self._poster = poster
        self._once = once
        self._clock = clock

    def deliver(self, message: str) -> list[Delivered]:
        """Post one SNS message (the contract's JSON) to each destination.

        Raises, after trying every destination, the first failure worth a retry (Slack unavailable, a secret or the
        idempotency table unreadable); a message that is not an alert raises MalformedAlertError (the DLQ keeps it).
        """
        received = ReceivedAlert.from_message(message)
        payload = slack_message(received, self._clock())
        delivered: list[Delivered] = []
        failed: list[SpendrailError] = []
        for destination in self._destinations(received, failed):
            post = partial(self._poster.post, destination.url, payload, destination=destination.name)
            try:
                posted = self._once.run(received.alert_id, destination.name, post)
            except (SlackUnavailableError, StoreUnavailableError) as exc:
                failed.append(exc)
                logger.warning("Slack post failed; to be retried", extra={"destination": destination.name})
                continue
            delivered.append(Delivered(received.alert_id, destination.name, posted))
            logger.info(
                "alert to Slack",
                extra={"alert_id": received.alert_id, "destination": destination.name, "outcome": posted.value},
            )
        if failed:
            raise failed[0]
        return delivered

    def _destinations(self, received: ReceivedAlert, failed: list[SpendrailError]) -> Iterator[Destination]:
        """The operator's webhook, then the tenant's; one whose secret cannot be read now fails after the rest."""
        tenant_id = received.alert.tenant_id
        wanted = [("operator", self._webhooks.operator)]
        if tenant_id != OPERATOR:
            wanted.append((f"tenant:{tenant_id}", partial(self._webhooks.tenant, tenant_id)))
        for name, webhook in wanted:
            try:
                url = webhook()
            except SecretUnavailableError as exc:
                failed.append(exc)
                logger.warning("Slack webhook secret unreadable; to be retried", extra={"destination": name})
                continue
            if url:
                yield Destination(name, url)
