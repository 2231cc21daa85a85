"""The one place that turns exceptions into HTTP answers: JSON `{"error": {"code", "message", ...}}`, never a trace."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyInconsistentStateError,
    IdempotencyPersistenceConnectionError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from pydantic import ValidationError

from spendrail.api.models import BudgetInfo
from spendrail.errors import (
    BadRequestError,
    BudgetBusyError,
    BudgetExceededError,
    ContentRejectedError,
    DashboardUnavailableError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    SecretUnavailableError,
    StoreUnavailableError,
    TenantNotFoundError,
    UnauthorizedError,
    UnsupportedMediaTypeError,
    UpstreamError,
)
from spendrail.state import BudgetState

logger = Logger(child=True)  # a child of the handler's Powertools Logger: JSON, with the request's keys

# One answer for every key that does not work, so keys cannot be probed.
UNAUTHORIZED_MESSAGE = "a valid API key is required: send 'Authorization: Bearer <key>'"
# A store that did not answer within the request's deadline is usually back within seconds.
UNAVAILABLE_RETRY_AFTER_SECONDS = 2


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)  # only at the JSON boundary: amounts are exact Decimals up to here
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def json_body(payload: dict[str, Any]) -> str:
    return json.dumps(payload, default=_json_default, ensure_ascii=False, separators=(",", ":"))


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json_body({"error": {"code": code, "message": message, **extra}}),
        headers=headers or {},
    )


def validation_details(exc: ValidationError) -> list[dict[str, str]]:
    return [
        {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"], "type": e["type"]}
        for e in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


def _budget_exceeded(exc: BudgetExceededError) -> Response[str]:
    budget = BudgetInfo.of(exc.snapshot, BudgetState.STOPPED)
    return error(
        429,
        "budget_exceeded",
        str(exc),
        headers={"Retry-After": str(exc.retry_after), **budget.headers()},
        fallbackMessage=exc.fallback_message,
        retryAfterSeconds=exc.retry_after,
        budget=budget.model_dump(mode="json", by_alias=True),
    )


def _upstream(exc: UpstreamError) -> Response[str]:
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}
    return error(exc.status, "upstream_error", str(exc), headers=headers, reason=exc.kind)


def _unavailable(exc: Exception) -> Response[str]:
    headers = {"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)}
    return error(503, "unavailable", "a storage service did not answer in time; retry shortly", headers=headers)


def _misconfigured(exc: SecretUnavailableError) -> Response[str]:
    logger.error("a secret the deployment needs cannot be read", extra={"problem": str(exc)})
    return error(503, "unavailable", "the service is not fully configured; its operator has been alerted")


_HANDLERS: list[tuple[type[Exception], Callable[[Any], Response[str]]]] = [
    (BadRequestError, lambda e: error(400, "invalid_request", str(e), details=e.details)),
    (ValidationError, lambda e: error(400, "invalid_request", "invalid request body", details=validation_details(e))),
    (UnsupportedMediaTypeError, lambda e: error(415, "unsupported_media_type", str(e))),
    (UnauthorizedError, lambda e: error(401, "unauthorized", UNAUTHORIZED_MESSAGE, {"WWW-Authenticate": "Bearer"})),
    (ForbiddenError, lambda e: error(403, "forbidden", str(e))),
    (NotFoundError, lambda e: error(404, "not_found", str(e))),
    (ContentRejectedError, lambda e: error(400, "invalid_request", str(e), reason="moderation")),
    (InvalidInputError, lambda e: error(400, "invalid_request", str(e))),
    (TenantNotFoundError, lambda e: error(403, "forbidden", "this API key's tenant has no budget configured")),
    (BudgetExceededError, _budget_exceeded),
    (BudgetBusyError, lambda e: error(503, "budget_busy", str(e), headers={"Retry-After": str(e.retry_after)})),
    (IdempotencyAlreadyInProgressError, lambda e: error(409, "idempotency_conflict", "request already in progress")),
    (
        IdempotencyValidationError,
        lambda e: error(409, "idempotency_conflict", "Idempotency-Key was used with a different request body"),
    ),
    (UpstreamError, _upstream),
    (SecretUnavailableError, _misconfigured),
    (DashboardUnavailableError, _unavailable),
    (StoreUnavailableError, _unavailable),
    (IdempotencyPersistenceLayerError, _unavailable),
    (IdempotencyPersistenceConnectionError, _unavailable),
    (IdempotencyInconsistentStateError, _unavailable),
]


def to_response(exc: Exception) -> Response[str]:
    for kind, build in _HANDLERS:
        if isinstance(exc, kind):
            return build(exc)
    logger.exception("unhandled error")
    return error(500, "internal_error", "internal error")


# OpenAI's error types by status (https://platform.openai.com/docs/guides/error-codes): the SDKs raise by status,
# chatbots log the type. A budget stop has its own type, `budget_exceeded`.
_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    415: "invalid_request_error",
}
# The OpenAI SDKs retry a 429 twice by default; a stopped budget stays stopped until its window resets (hours), so
# retrying would only hammer it. Both SDKs obey `x-should-retry: false` before anything else and raise at once.
_NOT_RETRIED = frozenset({"budget_exceeded"})


def openai_error(exc: Exception) -> Response[str]:
    """`to_response`'s answer (same status and headers) in OpenAI's error shape, for /v1/chat/completions:
    `{"error": {"message", "type", "code", "param", ...}}`, `code` our error code, `param` the first field named."""
    plain = to_response(exc)
    fields: dict[str, Any] = json.loads(plain.body or "{}")["error"]
    code, message = fields.pop("code"), fields.pop("message")
    details = fields.get("details") or []
    status = plain.status_code
    kind = _OPENAI_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    headers = dict(plain.headers)
    if code in _NOT_RETRIED:
        kind = code
        headers["x-should-retry"] = "false"
    body = {"message": message, "type": kind, "code": code, "param": details[0]["field"] if details else None}
    return Response(
        status_code=status,
        content_type="application/json",
        body=json_body({"error": {**body, **fields}}),
        headers=headers,
    )


def register(app: APIGatewayHttpResolver) -> None:
    """Route every exception through `to_response`; Powertools' own 404/405 stay JSON too."""
    app.exception_handler(Exception)(to_response)
    app.not_found()(lambda _exc: error(404, "not_found", "no such route"))
