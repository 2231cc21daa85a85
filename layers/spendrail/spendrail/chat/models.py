"""The public contract of POST /v1/chat (v1), exactly: request limits and the response shape."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints, field_validator

from spendrail.state import BudgetState

MAX_BODY_BYTES = 32 * 1024
MAX_PROMPT_CHARS = 4000
_ID = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"

Identifier = Annotated[str, StringConstraints(pattern=_ID)]
# Exact Decimals inside; a JSON number on the wire (chatbots read numbers, and 9 decimals survive a double).
UsdAmount = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class ChatRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", populate_by_name=True, frozen=True)

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
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("prompt is not valid Unicode text (lone surrogate)") from None
        # Control characters other than line breaks and tabs are never part of a shopper's question.
        if any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in value):
            raise ValueError("prompt contains control characters")
        return value


class BudgetInfo(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    state: BudgetState
    daily_remaining_usd: UsdAmount = Field(serialization_alias="dailyRemainingUsd")
    monthly_remaining_usd: UsdAmount = Field(serialization_alias="monthlyRemainingUsd")


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
