"""POST /v1/chat between API Gateway and the chat service: authenticate, read the body, answer, observe."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.typing import LambdaContext

from spendrail.api.errors import json_body
from spendrail.chat.models import MAX_BODY_BYTES, ChatRequest
from spendrail.chat.service import ChatOutcome, ChatService
from spendrail.errors import BadRequestError, BudgetBusyError, BudgetExceededError, UpstreamError
from spendrail.tenants.auth import Authenticator
from spendrail.tenants.model import Tenant

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")


class IdempotencyGate:
    """Runs a request once per (tenant, Idempotency-Key): a retry gets the stored answer and is not charged again."""

    def __init__(self, persistence: BasePersistenceLayer, *, expires_after_seconds: int = 3600) -> None:
        self._persistence = persistence
        self._config = IdempotencyConfig(
            event_key_jmespath="[tenant, key]",
            payload_validation_jmespath="body",
            expires_after_seconds=expires_after_seconds,
            raise_on_no_idempotency_key=True,
        )

    def run(
        self, tenant_id: str, key: str, body: str, context: LambdaContext | None, answer: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        if context is not None:
            self._config.register_lambda_context(context)

        def once(request: dict[str, str]) -> dict[str, Any]:
            return answer()

        wrapped = idempotent_function(
            data_keyword_argument="request", persistence_store=self._persistence, config=self._config, key_prefix="chat"
        )(once)
        body_hash = hashlib.sha256(body.encode("utf-8")).hexdigest()
        result: dict[str, Any] = wrapped(request={"tenant": tenant_id, "key": key, "body": body_hash})
        return result


class ChatEndpoint:
    def __init__(
        self,
        authenticator: Authenticator,
        service: ChatService,
        *,
        idempotency: IdempotencyGate | None,
        logger: Logger,
        metrics: Metrics,
    ) -> None:
        self._auth = authenticator
        self._service = service
        self._idempotency = idempotency
        self._logger = logger
        self._metrics = metrics

    def handle(self, event: APIGatewayProxyEventV2, context: LambdaContext | None) -> Response[str]:
        request_id = event.request_context.request_id
        tenant = self._auth.tenant_for(event.headers.get("authorization"))
        self._logger.append_keys(tenant_id=tenant.tenant_id, request_id=request_id)
        raw = self._body(event)
        request = ChatRequest.model_validate(self._json(raw))
        key = event.headers.get("idempotency-key")
        if key is not None and not _IDEMPOTENCY_KEY.fullmatch(key):
            raise BadRequestError("Idempotency-Key must be 1-128 visible ASCII characters")
        try:
            if key is None or self._idempotency is None:
                body = self._answer(tenant, request, request_id)
            else:
                body = self._idempotency.run(
                    tenant.tenant_id, key, raw, context, lambda: self._answer(tenant, request, request_id)
                )
        except (BudgetExceededError, BudgetBusyError, UpstreamError) as exc:
            self._count_refusal(exc)
            raise
        budget = body["budget"]
        remaining = min(float(budget["dailyRemainingUsd"]), float(budget["monthlyRemainingUsd"]))
        return Response(
            status_code=200,
            content_type="application/json",
            body=json_body(body),
            headers={
                "x-budget-state": budget["state"],
                "x-budget-remaining-usd": f"{remaining:.9f}".rstrip("0").rstrip("."),
                "x-request-id": str(body["requestId"]),
            },
        )

    def _answer(self, tenant: Tenant, request: ChatRequest, request_id: str) -> dict[str, Any]:
        outcome = self._service.answer(tenant, request, request_id)
        self._observe(outcome)
        return outcome.response.model_dump(mode="json", by_alias=True)

    @staticmethod
    def _body(event: APIGatewayProxyEventV2) -> str:
        try:
            raw = event.decoded_body
        except (ValueError, UnicodeDecodeError):
            raise BadRequestError("request body is not UTF-8 text") from None
        if not raw:
            raise BadRequestError("request body is required: a JSON object")
        if len(raw.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
            raise BadRequestError(f"request body exceeds {MAX_BODY_BYTES} bytes")
        return raw

    @staticmethod
    def _json(raw: str) -> dict[str, Any]:
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise BadRequestError(f"request body is not valid JSON: {exc.msg} at position {exc.pos}") from None
        if not isinstance(data, dict):
            raise BadRequestError("request body must be a JSON object")
        return data

    def _observe(self, outcome: ChatOutcome) -> None:
        response = outcome.response
        metrics = self._metrics
        metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="CostNanoUsd", unit=MetricUnit.Count, value=outcome.cost_nanos)
        metrics.add_metric(name="InputTokens", unit=MetricUnit.Count, value=response.input_tokens)
        metrics.add_metric(name="OutputTokens", unit=MetricUnit.Count, value=response.output_tokens)
        metrics.add_metric(name="LatencyMs", unit=MetricUnit.Milliseconds, value=response.latency_ms)
        metrics.add_metric(name=f"State{response.budget.state.value.title()}", unit=MetricUnit.Count, value=1)
        if outcome.cache_tier is not None:
            metrics.add_metric(name=f"CacheHits{outcome.cache_tier.title()}", unit=MetricUnit.Count, value=1)
            metrics.add_metric(name="SavedNanoUsd", unit=MetricUnit.Count, value=int(response.saved_usd * 10**9))
        if response.downgraded:
            metrics.add_metric(name="Downgrades", unit=MetricUnit.Count, value=1)
        if outcome.overshoot_nanos:
            metrics.add_metric(name="OvershootNanoUsd", unit=MetricUnit.Count, value=outcome.overshoot_nanos)
        for crossing in outcome.crossings:
            metrics.add_metric(name=f"Crossed{crossing.state.value.title()}", unit=MetricUnit.Count, value=1)
            self._logger.warning(
                "budget threshold crossed",
                extra={"window": crossing.window, "window_key": crossing.window_key, "state": crossing.state.value},
            )
        self._logger.info(
            "answered",
            extra={
                "model": response.model,
                "routed_model": outcome.route.primary if outcome.route else None,
                "cache": outcome.cache_tier,
                "downgraded": response.downgraded,
                "cost_usd": str(response.cost_usd),
                "budget_state": response.budget.state.value,
                "input_tokens": response.input_tokens,
                "output_tokens": response.output_tokens,
                "latency_ms": response.latency_ms,
            },
        )

    def _count_refusal(self, exc: Exception) -> None:
        if isinstance(exc, UpstreamError):
            self._metrics.add_metric(name="UpstreamErrors", unit=MetricUnit.Count, value=1)
            self._logger.warning("upstream error", extra={"reason": exc.kind, "status": exc.status})
        else:
            name = "BudgetExceeded" if isinstance(exc, BudgetExceededError) else "BudgetBusy"
            self._metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
            self._logger.info("refused", extra={"reason": name})
