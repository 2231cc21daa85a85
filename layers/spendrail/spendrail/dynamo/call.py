"""One DynamoDB call: bounded, jittered retries inside a time budget, and the package's own errors for botocore's.

botocore's own retries are off (see the client's config): retrying here keeps the replay rule and the time limit in
one place. A retry after a timeout or a reset may repeat a write whose first attempt was applied; every store's
writes are conditional on the state they expect (or idempotent), so the repeat fails its condition and the caller
recognises it as a replay.

Time: one operation spends at most `op_budget_seconds` over all its attempts and backoff sleeps, and never runs past
the deadline of the request being served (`spendrail.deadline.current()`). The next attempt is expected to take as
long as the last one did (a throttle answers in milliseconds, a stall takes the client's read timeout), and is only
started when that much time is left after the backoff; otherwise the operation gives up at once, so a stalled
store fails the request in seconds and the answer still goes out before the function times out.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from spendrail import deadline
from spendrail.errors import SpendrailError, StoreMisconfiguredError, StoreThrottledError, StoreUnavailableError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

_THROTTLE_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "LimitExceededException"}
)
_SERVER_CODES = frozenset({"InternalServerError", "ServiceUnavailable"})
_NETWORK_ERRORS = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)
# The request reached DynamoDB and its answer was lost: a write may have been applied.
_MAYBE_APPLIED = (ReadTimeoutError, ConnectionClosedError)


class ConditionFailed(Exception):
    """A conditional write found the item other than it expected (or a replay of a write already applied).

    A signal between a store and its caller, never an error a caller of the store sees.
    """


class StoreErrors(NamedTuple):
    """What a store raises when DynamoDB keeps throttling, cannot be reached, or rejects the request itself."""

    throttled: type[SpendrailError]
    unavailable: type[SpendrailError]
    misconfigured: type[SpendrailError]


STORE_ERRORS = StoreErrors(StoreThrottledError, StoreUnavailableError, StoreMisconfiguredError)


class DynamoCall:
    """Calls one DynamoDB operation: `call("get_item", TableName=..., Key=...)`."""

    def __init__(
        self,
        client: DynamoDBClient,
        *,
        name: str = "DynamoDB",
        errors: StoreErrors = STORE_ERRORS,
        max_attempts: int = 5,
        base_backoff_seconds: float = 0.025,
        op_budget_seconds: float = 2.5,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self._name = name
        self._errors = errors
        self._max_attempts = max_attempts
        self._base_backoff = base_backoff_seconds
        self._op_budget = op_budget_seconds
        self._sleep = sleep
        self._monotonic = monotonic

    def __call__(self, operation: str, *, replay_safe: bool = True, **kwargs: Any) -> dict[str, Any]:
        """`replay_safe=False` for a write that must never be sent twice: a lost answer is not retried."""
        method = getattr(self.client, operation)
        left = self._time_left()
        if left() <= 0:
            raise self._errors.unavailable(f"{self._name} {operation}: no time left before the request's deadline")
        for attempt in range(1, self._max_attempts + 1):
            began = self._monotonic()
            try:
                result: dict[str, Any] = method(**kwargs)
                return result
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code == "ConditionalCheckFailedException":
                    raise ConditionFailed from exc
                if code not in _THROTTLE_CODES | _SERVER_CODES:
                    raise self._errors.misconfigured(f"{self._name} {operation} rejected: {code}") from exc
                error = self._errors.throttled if code in _THROTTLE_CODES else self._errors.unavailable
                failure: Exception = exc
            except _NETWORK_ERRORS as exc:
                if isinstance(exc, _MAYBE_APPLIED) and not replay_safe:
                    raise self._errors.unavailable(f"{self._name} {operation} unreachable: {exc}") from exc
                error, failure = self._errors.unavailable, exc
            pause = self._base_backoff * (2 ** (attempt - 1)) * (0.5 + random.random())
            if attempt == self._max_attempts or left() - pause < self._monotonic() - began:
                raise error(f"{self._name} {operation} failed {attempt} times: {failure}") from failure
            self._sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    def _time_left(self) -> Callable[[], float]:
        """Seconds this operation may still spend: its own budget, or less if the request's deadline is nearer."""
        ends = self._monotonic() + self._op_budget
        request = deadline.current()
        request_left = request.remaining if request is not None else lambda: math.inf
        return lambda: min(ends - self._monotonic(), request_left())
