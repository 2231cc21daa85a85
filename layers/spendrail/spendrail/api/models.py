"""The public contract of POST /v1/chat (v1), exactly: request limits, the response and the error shapes.

These models validate requests at run time and generate docs/openapi.json, so the two cannot drift apart.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints, field_validator

from spendrail.chat.question import Answer
from spendrail.ledger.model import LedgerSnapshot
from spendrail.money import nanos_to_usd
from spendrail.state import BudgetState

MAX_PROMPT_CHARS = 4000
_ID = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"

Identifier = Annotated[str, StringConstraints(pattern=_ID)]
# Unicode's control characters (category Cc: U+0000-U+001F, U+007F-U+009F) but for tab, line feed and carriage return.
_CONTROL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Exact Decimals inside; a JSON number on the wire (chatbots read numbers, and 9 decimals survive a double).
UsdAmount = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class ChatRequest(BaseModel):
    # Only the documented (camelCase) names: `max_tokens` is refused as unknown, not read as `maxTokens`.
    model_config = ConfigDict(strict=True, extra="forbid", validate_by_name=False, validate_by_alias=True, frozen=True)

    prompt: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS)
    customer_id: Identifier = Field(alias="customerId")
    use_case: str = Field(default="support", alias="useCase", min_length=1, max_length=64)
    max_tokens: int | None = Field(default=None, alias="maxTokens", ge=1, le=32_768)
    conversation_id: Identifier | None = Field(default=None, alias="conversationId")
    tenant_id: Identifier | None = Field(default=None, alias="tenantId")

    @field_validator("prompt")
    @classmethod
    def _readable_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("prompt must not be blank")
        problem = readable_text(value)
        if problem is not None:
            raise ValueError(f"prompt {problem}")
        return value


def readable_text(value: str) -> str | None:
    """What makes `value` unreadable as a shopper's text, or None: a lone surrogate, or control characters other
    than line breaks and tabs (never part of a shopper's question)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text (lone surrogate)"
    if _CONTROL.search(value):
        return "contains control characters"
    return None


class BudgetInfo(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    state: BudgetState
    daily_remaining_usd: UsdAmount = Field(serialization_alias="dailyRemainingUsd")
    monthly_remaining_usd: UsdAmount = Field(serialization_alias="monthlyRemainingUsd")

    @classmethod
    def of(cls, snapshot: LedgerSnapshot, state: BudgetState | None = None) -> BudgetInfo:
        """Cap minus settled spend per window (never below zero), in the state given or the snapshot's."""
        return cls(
            state=state or snapshot.state,
            daily_remaining_usd=nanos_to_usd(max(snapshot.daily.settled_room, 0)),
            monthly_remaining_usd=nanos_to_usd(max(snapshot.monthly.settled_room, 0)),
        )

    def headers(self) -> dict[str, str]:
        """`x-budget-state` and `x-budget-remaining-usd` (the tighter window): the same numbers as the body."""
        remaining = remaining_header(self.daily_remaining_usd, self.monthly_remaining_usd)
        return {"x-budget-state": self.state.value, "x-budget-remaining-usd": remaining}


def remaining_header(daily: Decimal | float, monthly: Decimal | float) -> str:
    """The tighter window's remaining USD as the `x-budget-remaining-usd` header writes it (plain digits)."""
    amounts = [v if isinstance(v, Decimal) else Decimal(repr(v)) for v in (daily, monthly)]
    return format(min(amounts).normalize(), "f")


class ChatResponse(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    reply: str
    model: str
    cost_usd: UsdAmount = Field(serialization_alias="costUsd")
    saved_usd: UsdAmount = Field(default=Decimal(0), serialization_alias="savedUsd")
    cached: bool
    input_tokens: int = Field(serialization_alias="inputTokens")
    output_tokens: int = Field(serialization_alias="outputTokens")
    latency_ms: int = Field(serialization_alias="latencyMs")
    request_id: str = Field(serialization_alias="requestId")
    budget: BudgetInfo
    downgraded: bool


class ErrorDetail(BaseModel):
    field: str
    message: str
    type: str


class Error(BaseModel):
    model_config = ConfigDict(extra="allow")  # budget_exceeded adds fallbackMessage, retryAfterSeconds, budget

    code: str
    message: str
    details: list[ErrorDetail] | None = None
    reason: str | None = None


class ErrorBody(BaseModel):
    """Every error answer: `{"error": {"code", "message", ...}}`."""

    error: Error


def chat_response(answer: Answer) -> ChatResponse:
    return ChatResponse(
        reply=answer.reply,
        model=answer.model,
        cost_usd=nanos_to_usd(answer.cost_nanos),
        saved_usd=nanos_to_usd(answer.saved_nanos),
        cached=answer.cached,
        input_tokens=answer.input_tokens,
        output_tokens=answer.output_tokens,
        latency_ms=answer.latency_ms,
        request_id=answer.request_id,
        budget=BudgetInfo.of(answer.snapshot),
        downgraded=answer.downgraded,
    )
