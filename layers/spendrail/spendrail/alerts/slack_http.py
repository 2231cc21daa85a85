"""Posting to a Slack incoming webhook over HTTP (httpx, a short timeout, no retries of its own).

What Slack says decides what happens next: 2xx is delivered; 429, 5xx, a timeout or no connection are worth another
try (SlackUnavailableError fails the invocation and Lambda retries it); any other 4xx (a revoked webhook: 404
`no_service`, 403 `invalid_token`, 410 `channel_is_archived`) will never succeed, so it is reported, not retried.
The URL is a secret: it is never logged, and no message raised here contains it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import httpx
from aws_lambda_powertools import Logger

from spendrail.errors import SlackUnavailableError

logger = Logger(child=True)


class Posted(StrEnum):
    POSTED = "posted"
    REJECTED = "rejected"  # Slack refused the webhook itself; retrying cannot help
    REPEAT = "repeat"  # this alert went to this destination before


class SlackWebhookClient:
    def __init__(self, *, timeout_seconds: float = 3.0, client: httpx.Client | None = None) -> None:
        self._client = client or httpx.Client(timeout=httpx.Timeout(timeout_seconds), follow_redirects=False)

    def post(self, url: str, payload: dict[str, Any], *, destination: str) -> Posted:
        """POST the payload; `destination` names the webhook in logs and errors (its URL never appears)."""
        try:
            response = self._client.post(url, json=payload)
        except httpx.HTTPError as exc:  # a timeout, no connection, a broken response
            raise SlackUnavailableError(f"Slack ({destination}) did not answer: {type(exc).__name__}") from None
        status = response.status_code
        if status < 300:
            return Posted.POSTED
        said = response.text[:80].strip()  # Slack's short error code ("no_service"); never the URL
        if status == 429 or status >= 500:
            raise SlackUnavailableError(f"Slack ({destination}) answered {status} {said}")
        logger.warning(
            "Slack refused the webhook; not retrying",
            extra={"destination": destination, "status": status, "said": said},
        )
        return Posted.REJECTED
