"""Posting an alert to a destination once: a repeat of the same alertId to the same destination is dropped.

On the idempotency table through Powertools: the record is claimed (in progress) before the post, deleted if the post
fails, and completed after it succeeds, so a failed post is retried and a delivered one is not. A duplicate is still
possible when the post succeeded and the record could not be completed (the function died, or DynamoDB failed just
then): the in-progress record expires after the invocation's timeout and the retry posts again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
)

from spendrail.alerts.slack_http import Posted
from spendrail.errors import SlackUnavailableError, StoreUnavailableError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
    from aws_lambda_powertools.utilities.typing import LambdaContext

# Longer than any window (a month): every copy of an alert (an SNS redelivery, the scheduled run publishing an alert
# whose acknowledgement failed) finds the record and is dropped.
REMEMBER_SECONDS = 35 * 86_400

Post = Callable[[], Posted]


class Once(Protocol):
    def run(self, alert_id: str, destination: str, post: Post) -> Posted:
        """`post()` unless this alert reached this destination before (then Posted.REPEAT)."""


class IdempotentPosts:
    def __init__(self, persistence: BasePersistenceLayer, *, remember_seconds: int = REMEMBER_SECONDS) -> None:
        self._persistence = persistence
        self._config = IdempotencyConfig(
            event_key_jmespath="[alertId, destination]",
            expires_after_seconds=remember_seconds,
            raise_on_no_idempotency_key=True,
        )

    def register(self, context: LambdaContext) -> None:
        """An in-progress record of an invocation that died expires with the invocation's remaining time."""
        self._config.register_lambda_context(context)

    def run(self, alert_id: str, destination: str, post: Post) -> Posted:
        ran = False

        def once(delivery: dict[str, str]) -> str:
            nonlocal ran
            ran = True
            return post().value

        wrapped = idempotent_function(
            data_keyword_argument="delivery",
            persistence_store=self._persistence,
            config=self._config,
            key_prefix="slack",
        )(once)
        try:
            result = Posted(wrapped(delivery={"alertId": alert_id, "destination": destination}))
        except IdempotencyAlreadyInProgressError:
            raise SlackUnavailableError(f"another invocation is posting {alert_id} to {destination}") from None
        except IdempotencyPersistenceLayerError as exc:
            raise StoreUnavailableError(f"the idempotency table failed: {type(exc).__name__}") from exc
        return result if ran else Posted.REPEAT


class InMemoryOnce:
    """For unit tests and a run without a table: remembers within one process."""

    def __init__(self) -> None:
        self.done: set[tuple[str, str]] = set()

    def run(self, alert_id: str, destination: str, post: Post) -> Posted:
        if (alert_id, destination) in self.done:
            return Posted.REPEAT
        result = post()
        self.done.add((alert_id, destination))
        return result
