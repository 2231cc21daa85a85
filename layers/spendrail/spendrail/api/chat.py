"""POST /v1/chat between API Gateway and the chat service: authenticate, read the body, answer, observe."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.typing import LambdaContext

from spendrail.api.body import json_object
from spendrail.api.errors import json_body
from spendrail.api.models import ChatRequest, chat_response, remaining_header
from spendrail.api.observe import REFUSALS, Observer
from spendrail.chat.question import Question
from spendrail.chat.service import ChatService
from spendrail.deadline import Deadline
from spendrail.errors import BadRequestError, ForbiddenError
from spendrail.tenants.auth import Authenticator

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


def idempotency_key(event: APIGatewayProxyEventV2) -> str | None:
    key = event.headers.get("idempotency-key")
    if key is not None and not _IDEMPOTENCY_KEY.fullmatch(key):
        raise BadRequestError("Idempotency-Key must be 1-128 visible ASCII characters")
    return key


class ChatEndpoint:
    def __init__(
        self,
        authenticator: Authenticator,
        service: ChatService,
        *,
        idempotency: IdempotencyGate | None,
        logger: Logger,
        observer: Observer,
        after_request: Sequence[AfterRequest] = (),
    ) -> None:
        self._auth = authenticator
        self._service = service
        self._idempotency = idempotency
        self._logger = logger
        self._observer = observer
        self._after_request = after_request

    def handle(self, event: APIGatewayProxyEventV2, context: LambdaContext | None) -> Response[str]:
        deadline = Deadline.for_request(context)
        with deadline.applied():
            try:
                return self._handle(event, context, deadline)
            finally:
                for hook in self._after_request:
                    hook(deadline)

    def _handle(
        self, event: APIGatewayProxyEventV2, context: LambdaContext | None, deadline: Deadline
    ) -> Response[str]:
        request_id = event.request_context.request_id
        tenant = self._auth.tenant_for(event.headers.get("authorization"))
        self._logger.append_keys(tenant_id=tenant.tenant_id, request_id=request_id)
        body = json_object(event)
        request = ChatRequest.model_validate(body)
        if request.tenant_id is not None and request.tenant_id != tenant.tenant_id:
            raise ForbiddenError("tenantId does not match the API key's tenant")
        key = idempotency_key(event)
        question = Question(
            tenant=tenant,
            request_id=request_id,
            customer_id=request.customer_id,
            prompt=request.prompt,
            use_case=request.use_case,
            max_tokens=request.max_tokens,
        )
        try:
            if key is None or self._idempotency is None:
                payload = self._answer(question, deadline)
            else:
                raw = event.decoded_body or ""
                answer = lambda: self._answer(question, deadline)  # noqa: E731
                payload = self._idempotency.run(tenant.tenant_id, key, raw, context, answer)
        except REFUSALS as exc:
            self._observer.refused(exc)
            raise
        budget = payload["budget"]
        headers = {
            "x-budget-state": budget["state"],
            "x-budget-remaining-usd": remaining_header(budget["dailyRemainingUsd"], budget["monthlyRemainingUsd"]),
            "x-request-id": str(payload["requestId"]),
        }
        return Response(status_code=200, content_type="application/json", body=json_body(payload), headers=headers)

    def _answer(self, question: Question, deadline: Deadline) -> dict[str, Any]:
        answer = self._service.answer(question, deadline)
        self._observer.answered(answer)
        return chat_response(answer).model_dump(mode="json", by_alias=True)
