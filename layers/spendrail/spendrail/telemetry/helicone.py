"""Asynchronous request logging to Helicone's custom-log API: never raised, never slower than its timeout."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

logger = logging.getLogger(__name__)

HELICONE_LOG_URL = "https://api.worker.helicone.ai/custom/v1/log"


def _timing(moment: datetime) -> dict[str, int]:
    epoch_ms = int(moment.timestamp() * 1000)
    return {"seconds": epoch_ms // 1000, "milliseconds": epoch_ms % 1000}


@dataclass(frozen=True)
class LoggedCall:
    url: str
    request: dict[str, Any]
    response: dict[str, Any]
    status: int
    started: datetime
    ended: datetime
    meta: dict[str, str]


class HeliconeLogger:
    """Sends each LLM call on a background thread; `wait` bounds how long the reply can be held up by it."""

    def __init__(
        self,
        api_key: Callable[[], str],
        *,
        url: str = HELICONE_LOG_URL,
        timeout_seconds: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._api_key = api_key
        self._url = url
        self._timeout = timeout_seconds
        self._client = httpx.Client(timeout=timeout_seconds, transport=transport)
        self._lock = threading.Lock()
        self.sent = 0
        self.failed = 0

    def log(self, call: LoggedCall) -> threading.Thread:
        thread = threading.Thread(target=self._send, args=(call,), daemon=True, name="helicone-log")
        thread.start()
        return thread

    def wait(self, thread: threading.Thread) -> None:
        # Lambda freezes the sandbox after the reply, so the send must finish (or give up) before it.
        thread.join(self._timeout + 0.1)

    def _send(self, call: LoggedCall) -> None:
        body = {
            "providerRequest": {"url": call.url, "json": call.request, "meta": call.meta},
            "providerResponse": {"json": call.response, "status": call.status, "headers": {}},
            "timing": {"startTime": _timing(call.started), "endTime": _timing(call.ended)},
        }
        try:
            response = self._client.post(self._url, json=body, headers={"Authorization": f"Bearer {self._api_key()}"})
            response.raise_for_status()
        except Exception as exc:
            with self._lock:
                self.failed += 1
            logger.warning("Helicone logging failed", extra={"error": type(exc).__name__})
            return
        with self._lock:
            self.sent += 1
