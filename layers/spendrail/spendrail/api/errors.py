"""The one place that turns exceptions into HTTP answers: JSON `{"error": {"code", "message", ...}}`, never a trace."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from pydantic import ValidationError

from spendrail.errors import (
    BadRequestError,
    BudgetBusyError,
    BudgetExceededError,
    ContentRejectedError,
    ForbiddenError,
    InvalidInputError,
    StoreUnavailableError,
    TenantNotFoundError,
    UnauthorizedError,
    UpstreamError,
)
from spendrail.money import nanos_to_usd

logger = logging.getLogger(__name__)


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
    snapshot = exc.snapshot
    return error(
        429,
        "budget_exceeded",
        str(exc),
        headers={"Retry-After": str(exc.retry_after), "x-budget-state": "stopped", "x-budget-remaining-usd": "0"},
        fallbackMessage=exc.fallback_message,
        retryAfterSeconds=exc.retry_after,
        budget={
            "state": "stopped",
            "dailyRemainingUsd": nanos_to_usd(max(snapshot.daily.settled_room, 0)),
            "monthlyRemainingUsd": nanos_to_usd(max(snapshot.monthly.settled_room, 0)),
        },
    )


def _upstream(exc: UpstreamError) -> Response[str]:
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}
    return error(exc.status, "upstream_error", str(exc), headers=headers, reason=exc.kind)


_HANDLERS: list[tuple[type[Exception], Callable[[Any], Response[str]]]] = [
    (BadRequestError, lambda e: error(400, "invalid_request", str(e), details=e.details)),
    (ValidationError, lambda e: error(400, "invalid_request", "invalid request body", details=validation_details(e))),
    (UnauthorizedError, lambda e: error(401, "unauthorized", str(e), headers={"WWW-Authenticate": "Bearer"})),
    (ForbiddenError, lambda e: error(403, "forbidden", str(e))),
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
    (StoreUnavailableError, lambda e: error(503, "unavailable", "budget store unavailable; retry shortly")),
]


def to_response(exc: Exception) -> Response[str]:
    for kind, build in _HANDLERS:
        if isinstance(exc, kind):
            return build(exc)
    logger.exception("unhandled error")
    return error(500, "internal_error", "internal error")


def register(app: APIGatewayHttpResolver) -> None:
    """Route every exception through `to_response`; Powertools' own 404/405 stay JSON too."""
    app.exception_handler(Exception)(to_response)
    app.not_found()(lambda _exc: error(404, "not_found", "no such route"))
