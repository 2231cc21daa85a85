"""The admin API's contract (../shared/DESIGN.md, "Admin API"): what it accepts and what it answers, exactly.

The same models validate requests, render answers, feed the budget page and generate docs/openapi.json.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints, field_validator, model_validator

from spendrail.cache.model import JudgeMode
from spendrail.money import MoneyError, usd_to_nanos
from spendrail.state import BudgetState

UsdAmount = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
VocabularyTerm = Annotated[str, StringConstraints(min_length=1, max_length=64)]
MAX_VOCABULARY = 500
_EMAIL = re.compile(r"^[^@\s\"'<>,;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")
_SLACK_PATH = re.compile(r"^/services/[A-Za-z0-9]+/[A-Za-z0-9]+/[A-Za-z0-9]+$")
_STRICT = ConfigDict(strict=True, extra="forbid", validate_by_name=False, validate_by_alias=True, frozen=True)


def _usd(value: Decimal) -> Decimal:
    if not value.is_finite() or value <= 0:
        raise ValueError("must be a positive amount of USD")
    try:
        usd_to_nanos(value)
    except MoneyError as exc:
        raise ValueError(str(exc)) from exc
    return value


class AlertDestinationsIn(BaseModel):
    model_config = _STRICT

    email: str | None = Field(default=None, max_length=254, description="null removes it")
    slack_webhook_url: str | None = Field(
        default=None,
        alias="slackWebhookUrl",
        max_length=500,
        description="https://hooks.slack.com/services/...; null removes it",
    )

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.fullmatch(value):
            raise ValueError("not an e-mail address")
        return value

    @field_validator("slack_webhook_url")
    @classmethod
    def _slack(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if (
            parts.scheme != "https"
            or parts.hostname != "hooks.slack.com"
            or parts.port
            or not _SLACK_PATH.match(parts.path)
        ):
            raise ValueError("must be a Slack incoming webhook: https://hooks.slack.com/services/...")
        return value


class TenantSettingsIn(BaseModel):
    """PUT /v1/admin/tenants/{tenantId}: the whole of a tenant's settings (omitted optional fields take defaults)."""

    model_config = ConfigDict(extra="forbid", validate_by_name=False, validate_by_alias=True, frozen=True)

    daily_budget_usd: Decimal = Field(alias="dailyBudgetUsd", description="USD per local day, > 0, at most 9 decimals")
    monthly_budget_usd: Decimal = Field(alias="monthlyBudgetUsd", description="USD per local month, >= the daily cap")
    timezone: str = Field(default="UTC", min_length=1, max_length=64, description="IANA zone the windows follow")
    soft_cap_percent: Decimal = Field(default=Decimal(80), alias="softCapPercent", gt=0, le=100)
    degrade_percent: Decimal = Field(default=Decimal(95), alias="degradePercent", gt=0, le=100)
    fallback_message: str | None = Field(default=None, alias="fallbackMessage", min_length=1, max_length=500)
    cache_vocabulary: list[VocabularyTerm] | None = Field(
        default=None,
        alias="cacheVocabulary",
        max_length=MAX_VOCABULARY,
        description="the store's own product, brand and programme names (up to 500, 1-64 characters each): a cached "
        "answer is served only for a question naming the same ones; omitted keeps the current list, [] clears it; "
        "kept sorted, each once",
    )
    cache_threshold: float | None = Field(
        default=None,
        alias="cacheThreshold",
        ge=0.5,
        le=0.99,
        description="the cosine similarity a cached answer needs (0.5-0.99); null: the embedder's measured default "
        "(docs/cache-eval.md); omitted keeps the current one",
    )
    cache_judge: JudgeMode | None = Field(
        default=None,
        alias="cacheJudge",
        description="when a similar cached answer is first put to the judge model: band (below certainty, the "
        "default), always, or off; omitted keeps the current mode",
    )
    alerts: AlertDestinationsIn | None = None

    @field_validator("daily_budget_usd", "monthly_budget_usd", "soft_cap_percent", "degrade_percent", mode="before")
    @classmethod
    def _number(cls, value: object) -> object:
        # JSON numbers only (a bool is a number to Python, a string is not a number to us).
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise ValueError("must be a number")
        return Decimal(repr(value)) if isinstance(value, float) else value

    @field_validator("daily_budget_usd", "monthly_budget_usd")
    @classmethod
    def _positive_usd(cls, value: Decimal) -> Decimal:
        return _usd(value)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("cache_vocabulary")
    @classmethod
    def _terms(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return value
        if any(not any(ch.isalnum() for ch in term) for term in value):
            raise ValueError("every term needs a letter or a digit")
        return sorted({term.strip() for term in value})  # each once, in the order every store keeps them

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.soft_cap_percent >= self.degrade_percent:
            raise ValueError("softCapPercent must be below degradePercent")
        if self.daily_budget_usd > self.monthly_budget_usd:
            raise ValueError("dailyBudgetUsd must not exceed monthlyBudgetUsd")
        return self


class AlertDestinationsOut(BaseModel):
    email: str | None
    slack: bool = Field(description="a Slack webhook is stored (as a secret)")
    slack_webhook_url: str | None = Field(
        serialization_alias="slackWebhookUrl", description="masked: never returned in full"
    )


class KeyInfo(BaseModel):
    key_id: str = Field(serialization_alias="keyId")
    status: str
    created_at: str = Field(serialization_alias="createdAt")


class TenantSettingsOut(BaseModel):
    tenant_id: str = Field(serialization_alias="tenantId")
    daily_budget_usd: UsdAmount = Field(serialization_alias="dailyBudgetUsd")
    monthly_budget_usd: UsdAmount = Field(serialization_alias="monthlyBudgetUsd")
    timezone: str
    soft_cap_percent: UsdAmount = Field(serialization_alias="softCapPercent")
    degrade_percent: UsdAmount = Field(serialization_alias="degradePercent")
    fallback_message: str = Field(serialization_alias="fallbackMessage")
    cache_vocabulary: list[str] = Field(serialization_alias="cacheVocabulary")
    cache_threshold: float | None = Field(serialization_alias="cacheThreshold", description="null: the default")
    cache_judge: JudgeMode = Field(serialization_alias="cacheJudge")
    alerts: AlertDestinationsOut
    keys: list[KeyInfo]


class TenantPage(BaseModel):
    tenants: list[TenantSettingsOut]
    cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last")


class KeyCreated(BaseModel):
    key_id: str = Field(serialization_alias="keyId")
    key: str = Field(description="shown once: only its hash is kept")


class WindowReport(BaseModel):
    window_key: str = Field(serialization_alias="windowKey")
    spent_usd: UsdAmount = Field(serialization_alias="spentUsd")
    held_usd: UsdAmount = Field(serialization_alias="heldUsd")
    cap_usd: UsdAmount = Field(serialization_alias="capUsd")
    remaining_usd: UsdAmount = Field(serialization_alias="remainingUsd", description="cap - spent - held, >= 0")
    saved_usd: UsdAmount = Field(serialization_alias="savedUsd", description="what cached answers saved")
    in_doubt_usd: UsdAmount = Field(serialization_alias="inDoubtUsd")
    state: BudgetState
    resets_at: str = Field(serialization_alias="resetsAt", description="ISO 8601 in the tenant's zone")


class DaySummary(BaseModel):
    window_key: str = Field(serialization_alias="windowKey", description="the local day, 2026-11-28")
    spent_usd: UsdAmount = Field(serialization_alias="spentUsd")
    cap_usd: UsdAmount = Field(serialization_alias="capUsd")
    requests: int
    cache_hits: int = Field(serialization_alias="cacheHits")
    saved_usd: UsdAmount = Field(serialization_alias="savedUsd")
    downgrades: int
    highest_state: BudgetState = Field(serialization_alias="highestState")
    in_doubt_usd: UsdAmount = Field(serialization_alias="inDoubtUsd")


class BudgetEvent(BaseModel):
    at: str = Field(description="ISO 8601 in the tenant's zone")
    kind: str = Field(description="soft_cap, degraded, hard_stop, budget_reset, projected_exhaustion, downgrades")
    window: str
    window_key: str = Field(serialization_alias="windowKey")
    detail: str


class BudgetReport(BaseModel):
    """GET /v1/admin/tenants/{tenantId}/budget, and what the budget page shows."""

    tenant_id: str = Field(serialization_alias="tenantId")
    timezone: str
    state: BudgetState
    generated_at: str = Field(serialization_alias="generatedAt", description="ISO 8601 in the tenant's zone")
    daily: WindowReport
    monthly: WindowReport
    history: list[DaySummary] = Field(description="the last 30 closed daily windows, newest first")
    events: list[BudgetEvent] = Field(description="crossings, resets, projections and downgrade days, newest first")


class DashboardLink(BaseModel):
    url: str
    expires_at: str = Field(serialization_alias="expiresAt")
