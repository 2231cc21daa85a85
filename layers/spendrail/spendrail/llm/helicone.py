"""Asynchronous request logging to Helicone's custom-log API: never raised, never slower than its timeout.

An adapter (it speaks HTTP with httpx), wired in as a decorator around the LLM client, so the chat service never
knows whether calls are logged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from aws_lambda_powertools import Logger

from spendrail.deadline import Deadline
from spendrail.llm.openrouter import wire_body
from spendrail.llm.port import Completion, CompletionRequest, Embedder, Embedding, LLMClient

logger = Logger(child=True)  # a child of the handler's Powertools Logger: JSON, with the request's keys

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

    def wait(self, thread: threading.Thread, deadline: Deadline | None = None) -> None:
        # Lambda freezes the sandbox after the reply, so the send must finish (or give up) before it.
        limit = self._timeout + 0.1
        thread.join(deadline.cap(limit) if deadline is not None else limit)

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


class LoggedLLM:
    """An LLMClient (and Embedder) that logs each chat call to Helicone without making the answer wait for it.

    The send runs on a background thread while the service settles the budget; `drain` (called by the endpoint
    once the request is done, before Lambda freezes the sandbox) waits for it, never longer than the logger's timeout
    or the request's deadline.
    """

    def __init__(
        self,
        inner: LLMClient,
        embedder: Embedder | None,
        helicone: HeliconeLogger,
        *,
        url: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._inner = inner
        self._embedder = embedder
        self._helicone = helicone
        self._url = f"{url.rstrip('/')}/chat/completions"
        self._clock = clock
        self._pending: list[threading.Thread] = []
        self._lock = threading.Lock()

    def complete(self, request: CompletionRequest, deadline: Deadline) -> Completion:
        started = self._clock()
        completion = self._inner.complete(request, deadline)
        call = LoggedCall(
            url=self._url,
            request=wire_body(request),
            response=completion.raw(),
            status=200,
            started=started,
            ended=self._clock(),
            meta={"Helicone-Request-Id": request.request_id},
        )
        thread = self._helicone.log(call)
        with self._lock:
            self._pending.append(thread)
        return completion

    def embed(self, text: str, request_id: str, deadline: Deadline) -> Embedding:
        if self._embedder is None:
            raise TypeError("no embedder behind this client")
        return self._embedder.embed(text, request_id, deadline)

    def drain(self, deadline: Deadline | None = None) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        for thread in pending:
            self._helicone.wait(thread, deadline)
