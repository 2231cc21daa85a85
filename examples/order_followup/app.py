"""An example of another function using the spendrail layer: answers a shopper's follow-up question on an order.

Triggered by an EventBridge event the store's backend puts when a shopper writes back about an order
(detail-type "Order follow-up asked"). It asks through `Guardrails` (the same budget, cache and alerts as
POST /v1/chat) and returns the reply; a real function would send it on (e-mail, the store's inbox). Not deployed by
template.yaml: docs/library.md shows the SAM resource to add.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from spendrail import Guardrails
from spendrail.errors import BudgetExceededError

logger = Logger()
metrics = Metrics()
# Built once per cold start, like the chat function's Components: warm calls reuse the clients and the cache index.
guardrails = Guardrails.from_env(logger=logger, metrics=metrics)

# Kept back from the function's remaining time so the reply (or the fallback) gets out before Lambda's timeout.
MARGIN_SECONDS = 1.0


class Turn(BaseModel):
    role: str
    content: str


class FollowUp(BaseModel):
    """The event's detail, as the store's backend sends it."""

    model_config = ConfigDict(populate_by_name=True)

    tenant_id: str = Field(alias="tenantId")
    customer_id: str = Field(alias="customerId")
    order_id: str = Field(alias="orderId")
    question: str
    earlier: list[Turn] = Field(default_factory=list)  # the conversation so far, oldest first


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    follow_up = FollowUp.model_validate(event["detail"])
    try:
        answer = guardrails.chat(
            tenant_id=follow_up.tenant_id,
            customer_id=follow_up.customer_id,
            prompt=f"About my order {follow_up.order_id}: {follow_up.question}",
            history=[(turn.role, turn.content) for turn in follow_up.earlier],
            request_id=context.aws_request_id,  # the ledger's hold and the logs carry Lambda's own id
            timeout_seconds=context.get_remaining_time_in_millis() / 1000 - MARGIN_SECONDS,
        )
    except BudgetExceededError as exc:
        # The merchant's budget is used up: the shopper gets the merchant's own words, nothing is spent, and the
        # event is done (a retry before `retry_after` would be refused the same way).
        logger.info("budget used up: fallback sent", extra={"retry_after": exc.retry_after})
        return {"orderId": follow_up.order_id, "reply": exc.fallback_message, "answered": False}
    # Anything else (UpstreamError, BudgetBusyError, StoreUnavailableError) raises: Lambda retries the event.
    return {
        "orderId": follow_up.order_id,
        "reply": answer.reply,
        "answered": True,
        "cached": answer.cached,
        "costUsd": str(answer.cost_usd),
    }
