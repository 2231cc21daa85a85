"""Publishing claimed alerts: briefly from the request that crossed, at leisure from the scheduled run.

An alert is in the outbox from the moment it is claimed (in the same write as the claim) until it is published and
acknowledged. A request publishes what it claimed within a short bound and acknowledges it; if the publish fails,
times out or the function dies, the alert is still in the outbox and the scheduled run publishes it. The one
duplicate left possible is a publish that succeeded whose acknowledgement did not: the next run publishes it again
with the same `alertId`, which subscribers drop (the Slack function does).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from aws_lambda_powertools import Logger

from spendrail.alerts.model import OPERATOR, Alert, AlertKind
from spendrail.alerts.port import AlertOutbox, AlertPublisher
from spendrail.deadline import Deadline
from spendrail.errors import AlertPublishError, StoreUnavailableError

logger = Logger(child=True)  # a child of the handler's Powertools Logger: JSON, with the request's keys

# A request that crossed a threshold waits at most this long for its alerts to be handed over.
REQUEST_PUBLISH_SECONDS = 1.0
Enrich = Callable[[Alert], Alert]


def _as_is(alert: Alert) -> Alert:
    return alert


class AlertDelivery:
    def __init__(
        self,
        publisher: AlertPublisher,
        outbox: AlertOutbox,
        *,
        enrich: Enrich = _as_is,
        publish_seconds: float = REQUEST_PUBLISH_SECONDS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._publisher = publisher
        self._outbox = outbox
        self._enrich = enrich
        self._publish_seconds = publish_seconds
        self._clock = clock
        self.published = 0
        self.failed = 0

    def deliver(self, alerts: Sequence[Alert], deadline: Deadline) -> None:
        """Publish and acknowledge each alert within `publish_seconds` (and the deadline); never raises."""
        window = deadline.sooner(self._publish_seconds)
        for alert in alerts:
            if window.expired():
                logger.warning("alert left for the scheduled run", extra={"alert_id": alert.alert_id})
                continue
            try:
                self.publish(alert)
            except Exception:  # alerting must never fail the request; the outbox still has the alert
                logger.exception("alert delivery failed; the scheduled run will publish it")

    def publish(self, alert: Alert) -> bool:
        """One alert: published and acknowledged (True), or left in the outbox (False)."""
        try:
            self._publisher.publish(self._enrich(alert))
        except AlertPublishError as exc:
            self.failed += 1
            logger.warning(
                "alert not published; it stays in the outbox", extra={"alert_id": alert.alert_id, "error": str(exc)}
            )
            return False
        self.published += 1
        logger.info("alert published", extra={"alert_id": alert.alert_id, "kind": alert.kind.value})
        try:
            self._outbox.ack(alert)
        except StoreUnavailableError:
            # Published but still in the outbox: the next run publishes it again, and subscribers drop the repeat.
            logger.warning("alert published but not acknowledged", extra={"alert_id": alert.alert_id})
        return True

    def provider_out_of_credits(self, deadline: Deadline) -> None:
        now = self._clock()
        alert = Alert(
            kind=AlertKind.PROVIDER_CREDITS,
            tenant_id=OPERATOR,
            window="hourly",
            window_key=now.strftime("%Y-%m-%dT%H"),
            spent_nanos=0,
            cap_nanos=0,
            at=int(now.timestamp()),
        )
        try:
            claimed = self._outbox.claim_operator_alert(alert)
        except StoreUnavailableError:
            logger.warning("could not record the out-of-credits alert; the next 402 tries again")
            return
        if claimed:
            self.deliver([alert], deadline)
