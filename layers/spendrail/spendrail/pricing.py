"""The pricing catalog: model prices live in a versioned data file, not in code."""

from __future__ import annotations

import json
from decimal import Decimal
from enum import StrEnum
from importlib import resources
from pathlib import Path

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
    context_tokens: int = Field(alias="contextTokens", gt=0)
    capabilities: frozenset[str] = Field(min_length=1)

    def cost_nanos(self, input_tokens: int, output_tokens: int) -> int:
        """Cost of a call at list price, each side rounded up to a nano-USD."""
        return token_cost_nanos(input_tokens, self.input_usd_per_million) + token_cost_nanos(
            output_tokens, self.output_usd_per_million
        )


class PricingCatalog(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1)
    source: str = ""
    models: tuple[ModelPrice, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> PricingCatalog:
        ids = [m.id for m in self.models]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"models listed twice: {', '.join(duplicates)}")
        return self

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
