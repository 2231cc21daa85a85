"""The catalog: model prices and routing rules live in a versioned data file, not in code."""

from __future__ import annotations

import json
from decimal import Decimal
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from spendrail.errors import InvalidInputError, UnknownModelError
from spendrail.money import token_cost_nanos


class Tier(StrEnum):
    PREMIUM = "premium"
    STANDARD = "standard"
    ECONOMY = "economy"


class ModelPrice(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    id: str = Field(min_length=3, pattern=r"^[a-z0-9._-]+/[A-Za-z0-9._:-]+$")
    input_usd_per_million: Decimal = Field(alias="inputUsdPerMillion", ge=0, allow_inf_nan=False)
    output_usd_per_million: Decimal = Field(alias="outputUsdPerMillion", ge=0, allow_inf_nan=False)
    tier: Tier
    kind: Literal["chat", "embedding"] = "chat"
    context_tokens: int = Field(alias="contextTokens", gt=0)
    capabilities: frozenset[str] = Field(min_length=1)

    def cost_nanos(self, input_tokens: int, output_tokens: int) -> int:
        """Cost of a call at list price, each side rounded up to a nano-USD."""
        return token_cost_nanos(input_tokens, self.input_usd_per_million) + token_cost_nanos(
            output_tokens, self.output_usd_per_million
        )


TIER_RANK = {Tier.ECONOMY: 0, Tier.STANDARD: 1, Tier.PREMIUM: 2}


class UseCase(BaseModel):
    """What a use case needs: the lowest model tier that serves it well, and its output budget."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    min_tier: Tier = Field(alias="minTier")
    default_max_tokens: int = Field(alias="defaultMaxTokens", gt=0)
    max_tokens_limit: int = Field(alias="maxTokensLimit", gt=0, le=32_768)
    system_prompt: str = Field(alias="systemPrompt", min_length=1, max_length=4000)

    @model_validator(mode="after")
    def _default_within_limit(self) -> UseCase:
        if self.default_max_tokens > self.max_tokens_limit:
            raise ValueError("defaultMaxTokens must not exceed maxTokensLimit")
        return self


class Strategy(BaseModel):
    """How to pick models in one budget state: the cheapest that meets the use case's tier, or the cheapest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pick: Literal["cheapest-meeting-tier", "cheapest"]
    fallbacks: int = Field(ge=0, le=3)


_ROUTED_STATES = ("active", "warned", "degraded")


class PricingCatalog(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    version: str = Field(min_length=1)
    source: str = ""
    models: tuple[ModelPrice, ...] = Field(min_length=1)
    use_cases: dict[str, UseCase] = Field(default_factory=dict, alias="useCases")
    strategies: dict[str, Strategy] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> PricingCatalog:
        ids = [m.id for m in self.models]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"models listed twice: {', '.join(duplicates)}")
        if self.use_cases:
            missing = [state for state in _ROUTED_STATES if state not in self.strategies]
            if missing:
                raise ValueError(f"routing needs a strategy for every state: missing {', '.join(missing)}")
        for name, use_case in self.use_cases.items():
            if not any(TIER_RANK[m.tier] >= TIER_RANK[use_case.min_tier] for m in self.chat_models):
                raise ValueError(f"no model meets use case {name!r} (tier {use_case.min_tier})")
        return self

    @property
    def chat_models(self) -> tuple[ModelPrice, ...]:
        return tuple(m for m in self.models if m.kind == "chat")

    def price(self, model_id: str) -> ModelPrice:
        for model in self.models:
            if model.id == model_id:
                return model
        raise UnknownModelError(f"model {model_id!r} is not in pricing catalog {self.version}")

    @classmethod
    def from_json(cls, text: str) -> PricingCatalog:
        try:
            return cls.model_validate(json.loads(text, parse_float=Decimal))
        except (ValidationError, json.JSONDecodeError) as exc:
            raise InvalidInputError(f"invalid pricing catalog: {exc}") from exc

    @classmethod
    def load(cls, path: Path | None = None) -> PricingCatalog:
        """The catalog at `path`, or the one shipped in the package."""
        if path is not None:
            return cls.from_json(path.read_text(encoding="utf-8"))
        return cls.from_json(resources.files("spendrail").joinpath("data/models.json").read_text(encoding="utf-8"))
