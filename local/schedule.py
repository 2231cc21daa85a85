"""EventBridge Scheduler for `make dev`: runs the windows function every few seconds in a worker like a Lambda."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from local.apigw import FunctionPool
from local.background import BackgroundFeed

WINDOWS_FUNCTION = "functions/windows:app.lambda_handler"
TIMEOUT_S = 240.0  # the windows function's Timeout in template.yaml


def scheduled_event() -> dict[str, Any]:
    """What EventBridge Scheduler hands a Lambda target without an input of its own."""
    return {"id": str(uuid.uuid4()), "source": "aws.scheduler", "time": datetime.now(UTC).isoformat()}


class Schedule(BackgroundFeed):
    def __init__(
        self, period_s: float, env: Mapping[str, str], say: Callable[[str], None], spec: str = WINDOWS_FUNCTION
    ) -> None:
        super().__init__("schedule", FunctionPool(spec, 1, env, TIMEOUT_S, TIMEOUT_S))
        self._period_s = period_s
        self._say = say
        self.runs = 0

    def _run(self) -> None:
        while not self._stopping.wait(self._period_s):
            try:
                outcome = self._pool.invoke(scheduled_event())
            except Exception:
                if self._stopping.is_set():
                    return
                self._say("windows function: the instance died or timed out")
                continue
            self.runs += 1
            if "error" in outcome:  # one line, not a traceback: the next run tries again
                self._say(f"windows function failed: {outcome['error'].strip().splitlines()[-1]}")
