"""The chat routes between API Gateway and the chat service: authenticate, read the body, answer, observe."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.typing import LambdaContext

from spendrail.api import completions
from spendrail.api.body import json_object
from spendrail.api.errors import json_body, openai_error
from spendrail.api.models import ChatRequest, chat_response, remaining_header
from spendrail.api.observe import REFUSALS, Observer
from spendrail.chat.question import Answer, Question
from spendrail.chat.service import ChatService
from spendrail.deadline import Deadline
from spendrail.errors import BadRequestError, ForbiddenError
from spendrail.pricing import PricingCatalog
from spendrail.tenants.auth import Authenticator
from spendrail.tenants.model import Tenant

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")
AfterRequest = Callable[[Deadline], None]


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
        self,
        tenant_id: str,
        key: str,
        body: str,
        context: LambdaContext | None,
        answer: Callable[[], dict[str, Any]],
        *,
        prefix: str = "chat",
    ) -> dict[str, Any]:
        """`answer()` once per (`prefix`, tenant, key): each endpoint keeps its own records (its own answer shape)."""
        if context is not None:
            self._config.register_lambda_context(context)

        def once(request: dict[str, str]) -> dict[str, Any]:
            return answer()

        wrapped = idempotent_function(
            data_keyword_argument="request", persistence_store=self._persistence, config=self._config, key_prefix=prefix
        )(once)
        body_hash = hashlib.sha256(body.encode("utf-8")).hexdigest()
        result: dict[str, Any] = wrapped(request={"tenant": tenant_id, "key": key, "body": body_hash})
        return result


def idempotency_key(event: APIGatewayProxyEventV2) -> str | None:
    key = event.headers.get("idempotency-key")
    if key is not None and not _IDEMPOTENCY_KEY.fullmatch(key):
        raise BadRequestError("Idempotency-Key must be 1-128 visible ASCII characters")
    return key


class ChatEndpoint:
    """Both chat routes: POST /v1/chat (our contract) and POST /v1/chat/completions (OpenAI's wire format). One
    service answers both; each reads its body into a `Question` and renders the `Answer` its own way."""

    def __init__(
        self,
        authenticator: Authenticator,
        service: ChatService,
        *,
        idempotency: IdempotencyGate | None,
        logger: Logger,
        observer: Observer,
        catalog: PricingCatalog | None = None,
        after_request: Sequence[AfterRequest] = (),
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._auth = authenticator
        self._service = service
        self._idempotency = idempotency
        self._logger = logger
        self._observer = observer
        self._catalog = catalog or PricingCatalog.load()
        self._after_request = after_request
        self._wall = wall

    def handle(self, event: APIGatewayProxyEventV2, context: LambdaContext | None) -> Response[str]:
        """POST /v1/chat; its errors are raised for the resolver's handler (`spendrail.api.errors`)."""
        return self._run(event, context, self._chat)

    def completions(self, event: APIGatewayProxyEventV2, context: LambdaContext | None) -> Response[str]:
        """POST /v1/chat/completions; its errors are answered here, in OpenAI's shape."""
        try:
            return self._run(event, context, self._completions)
        except Exception as exc:  # every error, as the resolver's handler would, in the other shape
            return openai_error(exc)

    def _run(
        self,
        event: APIGatewayProxyEventV2,
        context: LambdaContext | None,
        serve: Callable[[APIGatewayProxyEventV2, LambdaContext | None, Deadline], Response[str]],
    ) -> Response[str]:
        deadline = Deadline.for_request(context)
        with deadline.applied():
            try:
                return serve(event, context, deadline)
            finally:
                for hook in self._after_request:
                    hook(deadline)

    def _tenant(self, event: APIGatewayProxyEventV2) -> tuple[Tenant, str]:
        request_id = event.request_context.request_id
        tenant = self._auth.tenant_for(event.headers.get("authorization"))
        self._logger.append_keys(tenant_id=tenant.tenant_id, request_id=request_id)
        return tenant, request_id

    def _chat(self, event: APIGatewayProxyEventV2, context: LambdaContext | None, deadline: Deadline) -> Response[str]:
        tenant, request_id = self._tenant(event)
        body = json_object(event)
        request = ChatRequest.model_validate(body)
        if request.tenant_id is not None and request.tenant_id != tenant.tenant_id:
            raise ForbiddenError("tenantId does not match the API key's tenant")
        question = Question(
            tenant=tenant,
            request_id=request_id,
            customer_id=request.customer_id,
            prompt=request.prompt,
            use_case=request.use_case,
            max_tokens=request.max_tokens,
        )
        render = lambda answer: chat_response(answer).model_dump(mode="json", by_alias=True)  # noqa: E731
        payload = self._once(event, context, question, deadline, render, "chat")
        budget = payload["budget"]
        headers = _headers(budget, payload["requestId"])
        return Response(status_code=200, content_type="application/json", body=json_body(payload), headers=headers)

    def _completions(
        self, event: APIGatewayProxyEventV2, context: LambdaContext | None, deadline: Deadline
    ) -> Response[str]:
        tenant, request_id = self._tenant(event)
        body = json_object(event, completions.MAX_BODY_BYTES)
        completions.check_parameters(body)
        request = completions.CompletionsRequest.model_validate(body)
        question = completions.question(request, tenant, request_id, self._catalog)
        created = int(self._wall())
        render = lambda answer: completions.completion(answer, created).model_dump(mode="json", by_alias=True)  # noqa: E731
        payload = self._once(event, context, question, deadline, render, "completions")
        info = payload["spendrail"]
        headers = _headers(info["budget"], info["requestId"])
        if request.stream:
            include_usage = request.stream_options is not None and request.stream_options.include_usage
            stream = completions.event_stream(payload, include_usage=include_usage)
            headers["cache-control"] = "no-cache"
            return Response(status_code=200, content_type="text/event-stream", body=stream, headers=headers)
        return Response(status_code=200, content_type="application/json", body=json_body(payload), headers=headers)

    def _once(
        self,
        event: APIGatewayProxyEventV2,
        context: LambdaContext | None,
        question: Question,
        deadline: Deadline,
        render: Callable[[Answer], dict[str, Any]],
        prefix: str,
    ) -> dict[str, Any]:
        """The rendered answer; once per Idempotency-Key when one is sent (a retry gets the stored one, uncharged)."""
        key = idempotency_key(event)

        def answer() -> dict[str, Any]:
            found = self._service.answer(question, deadline)
            self._observer.answered(found)
            return render(found)

        try:
            if key is None or self._idempotency is None:
                return answer()
            raw = event.decoded_body or ""
            return self._idempotency.run(question.tenant.tenant_id, key, raw, context, answer, prefix=prefix)
        except REFUSALS as exc:
            self._observer.refused(exc)
            raise


def _headers(budget: dict[str, Any], request_id: object) -> dict[str, str]:
    return {
        "x-budget-state": budget["state"],
        "x-budget-remaining-usd": remaining_header(budget["dailyRemainingUsd"], budget["monthlyRemainingUsd"]),
        "x-request-id": str(request_id),
    }
