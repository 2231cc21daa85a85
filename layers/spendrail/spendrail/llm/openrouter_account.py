"""OpenRouter's account endpoint, for reconciliation: GET /api/v1/key reports the key's billed usage.

The answer is `{"data": {"usage": <USD credits used by the key, all time>, "limit": ..., ...}}`. An adapter (it
speaks HTTP with httpx), with a short timeout inside the run's deadline: when it cannot answer, reconciliation
waits for the next run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import httpx

from spendrail import deadline
from spendrail.errors import ProviderAccountError, SecretUnavailableError
from spendrail.money import MoneyError, usd_to_nanos

TIMEOUT_SECONDS = 3.0


class OpenRouterAccount:
    def __init__(
        self,
        api_key: Callable[[], str],
        base_url: str,
        *,
        timeout_seconds: float = TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._api_key = api_key
        self._url = base_url.rstrip("/") + "/key"
        self._timeout = timeout_seconds
        self._client = httpx.Client(transport=transport)

    def usage_nanos(self) -> int:
        running = deadline.current()
        timeout = running.cap(self._timeout) if running is not None else self._timeout
        try:
            key = self._api_key().strip()
            headers = {"Authorization": f"Bearer {key}"} if key else {}  # none configured: OpenRouter says 401
            answer = self._client.get(self._url, headers=headers, timeout=timeout)
        except (httpx.HTTPError, SecretUnavailableError) as exc:
            raise ProviderAccountError(f"GET /key failed: {type(exc).__name__}") from exc
        if answer.status_code != 200:
            raise ProviderAccountError(f"GET /key answered {answer.status_code}")
        try:
            usage = json.loads(answer.content, parse_float=Decimal)["data"]["usage"]
            if isinstance(usage, bool) or not isinstance(usage, int | Decimal):
                raise TypeError(f"usage is {type(usage).__name__}")
            return usd_to_nanos(usage, exact=False)
        except (ValueError, KeyError, TypeError, MoneyError) as exc:
            raise ProviderAccountError(f"GET /key gave no usage: {exc}") from exc
