"""The guarded chat as a Python call, for server-side code that is not the chat route (a cron job, a webhook, a queue).

`Guardrails.from_env().chat(tenant_id=..., prompt=..., customer_id=...)` runs the same `ChatService` as
`POST /v1/chat`, built by the same composition root: the exact and semantic cache, one conditional hold on the
tenant's budget before any paid call, routing by budget state, the settle of the real cost, and the alerts. It takes
a tenant id instead of an API key: the caller is trusted server-side code with the chat function's IAM permissions.
Input is checked by the route's own rules (`ChatRequest`) before anything is read or spent (docs/library.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence

from aws_lambda_powertools import Logger, Metrics
from pydantic import TypeAdapter, ValidationError

from spendrail.api.errors import validation_details
from spendrail.api.models import ChatRequest, ChatResponse, Identifier, chat_response, readable_text
from spendrail.api.observe import REFUSALS, Observer
from spendrail.chat.question import Question
from spendrail.chat.service import ChatService
from spendrail.compose import Components
from spendrail.deadline import Deadline
from spendrail.errors import BadRequestError, InvalidInputError
from spendrail.llm.port import Message
from spendrail.policy import validate_tenant_id
from spendrail.settings import Settings
from spendrail.tenants.model import Tenant

AfterRequest = Callable[[Deadline], None]
Turn = tuple[str, str] | Message
# Earlier turns are the shopper's and the assistant's: the system prompt is the use case's, never the caller's.
HISTORY_ROLES = frozenset({"user", "assistant"})
# The route's validation names fields as the JSON body spells them; a Python caller passed them by these names.
_PARAMETERS = {field.alias or name: name for name, field in ChatRequest.model_fields.items()}
_REQUEST_ID = TypeAdapter(Identifier)


class Guardrails:
    """One per process (build it at init, as a Lambda handler module does): it keeps the cache index, the pricing
    catalog and the connections warm between calls. One call at a time, as in a Lambda function: the log keys it
    appends are the logger's, not the thread's."""

    def __init__(
        self,
        service: ChatService,
        *,
        after_request: Sequence[AfterRequest] = (),
        logger: Logger | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._service = service
        self._after_request = tuple(after_request)
        self._logger = logger
        # The route's EMF metrics and log lines, when the caller flushes metrics (`@metrics.log_metrics`).
        self._observer = Observer(logger or Logger(), metrics) if metrics is not None else None

    @classmethod
    def from_components(
        cls, components: Components, *, logger: Logger | None = None, metrics: Metrics | None = None
    ) -> Guardrails:
        """The chat service of `components`, with the after-request hooks the chat route runs (Helicone's drain)."""
        return cls(components.chat_service, after_request=components.after_request, logger=logger, metrics=metrics)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, logger: Logger | None = None, metrics: Metrics | None = None
    ) -> Guardrails:
        """Settings from `environ` (default: the process environment), as the chat function reads them. AWS clients
        read the process environment in any case (region, `AWS_ENDPOINT_URL_DYNAMODB`)."""
        return cls.from_components(Components(Settings.from_env(environ)), logger=logger, metrics=metrics)

    def chat(
        self,
        *,
        tenant_id: str,
        prompt: str,
        customer_id: str,
        use_case: str = "support",
        max_tokens: int | None = None,
        history: Sequence[Turn] = (),
        request_id: str | None = None,
        timeout_seconds: float = 25.0,
    ) -> ChatResponse:
        """Answer `prompt` for the shopper `customer_id` within `tenant_id`'s budget: what `POST /v1/chat` answers.

        Raises BadRequestError (an InvalidInputError) for input the route would answer 400, before any spend;
        TenantNotFoundError for a tenant with no budget; BudgetExceededError (`fallback_message`, `retry_after`)
        when the budget is used up; BudgetBusyError, UpstreamError, StoreUnavailableError for what a retry may fix.
        """
        question = _question(tenant_id, prompt, customer_id, use_case, max_tokens, history, request_id, timeout_seconds)
        deadline = Deadline.after(timeout_seconds)
        if self._logger is not None:
            self._logger.append_keys(tenant_id=tenant_id, request_id=question.request_id)
        try:
            with deadline.applied():  # DynamoDB calls deep in the adapters read it from here
                try:
                    answer = self._service.answer(question, deadline)
                except REFUSALS as exc:
                    if self._observer is not None:
                        self._observer.refused(exc)
                    raise
                finally:
                    for hook in self._after_request:
                        hook(deadline)
            if self._observer is not None:
                self._observer.answered(answer)
        finally:
            if self._logger is not None:
                self._logger.remove_keys(["tenant_id", "request_id"])
        return chat_response(answer)


def _question(
    tenant_id: str,
    prompt: str,
    customer_id: str,
    use_case: str,
    max_tokens: int | None,
    history: Sequence[Turn],
    request_id: str | None,
    timeout_seconds: float,
) -> Question:
    """The route's checks, on the library's names: every broken rule at once, as BadRequestError's details."""
    details: list[dict[str, str]] = []
    try:
        validate_tenant_id(tenant_id)
    except InvalidInputError as exc:
        details.append(_field("tenant_id", str(exc)))
    body = {"prompt": prompt, "customerId": customer_id, "useCase": use_case, "maxTokens": max_tokens}
    request: ChatRequest | None = None
    try:
        request = ChatRequest.model_validate(body)
    except ValidationError as exc:
        details.extend({**d, "field": _PARAMETERS.get(d["field"], d["field"])} for d in validation_details(exc))
    turns = _history(history, details)
    if request_id is None:
        request_id = str(uuid.uuid4())
    else:
        try:
            _REQUEST_ID.validate_python(request_id, strict=True)
        except ValidationError:
            details.append(_field("request_id", "must be 1-128 letters, digits or . _ : @ - (a letter or digit first)"))
    if not timeout_seconds > 0:  # also refuses NaN
        details.append(_field("timeout_seconds", "must be a positive number of seconds"))
    if details or request is None:
        summary = "; ".join(f"{d['field']}: {d['message']}" for d in details)
        raise BadRequestError(f"invalid chat request: {summary}", details)
    return Question(
        tenant=Tenant(tenant_id),  # its stored profile (fallback message, cache rules) is read by the service
        request_id=request_id,
        customer_id=request.customer_id,
        prompt=request.prompt,
        use_case=request.use_case,
        max_tokens=request.max_tokens,
        history=turns,
    )


def _history(history: Sequence[Turn], details: list[dict[str, str]]) -> tuple[Message, ...]:
    turns: list[Message] = []
    for i, turn in enumerate(history):
        message = _turn(turn)
        if message is None:
            details.append(_field(f"history.{i}", "must be a ('user' or 'assistant', non-blank readable text) turn"))
        else:
            turns.append(message)
    return tuple(turns)


def _turn(turn: object) -> Message | None:
    if isinstance(turn, Message):
        role, content = turn.role, turn.content
    elif isinstance(turn, tuple) and len(turn) == 2:
        role, content = turn
    else:
        return None
    if role not in HISTORY_ROLES or not isinstance(content, str) or not content.strip():
        return None
    if readable_text(content) is not None:  # control characters, lone surrogates: as the routes refuse them
        return None
    return Message(role, content)


def _field(name: str, message: str) -> dict[str, str]:
    return {"field": name, "message": message, "type": "value_error"}
