"""In-memory alert publisher for tests: records what was published, or fails on demand."""

from __future__ import annotations

from spendrail.alerts.model import Alert
from spendrail.errors import AlertPublishError


class InMemoryPublisher:
    def __init__(self) -> None:
        self.published: list[Alert] = []
        self.failures = 0  # the next `failures` publishes raise, as a topic that is down would

    def publish(self, alert: Alert) -> None:
        if self.failures:
            self.failures -= 1
            raise AlertPublishError("topic unavailable")
        self.published.append(alert)
