"""Runtime configuration, modeled once. Values come from environment variables set in template.yaml."""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    budget_table_name: str = Field(default="spendrail-budget", alias="BUDGET_TABLE_NAME", min_length=3)
    default_daily_budget: Decimal = Field(default=Decimal("10.0"), alias="DEFAULT_DAILY_BUDGET")
    default_monthly_budget: Decimal = Field(default=Decimal("100.0"), alias="DEFAULT_MONTHLY_BUDGET")
    # A hold outlives any live request (the chat function's timeout is far shorter), so only holds of requests
    # that died are ever reclaimed.
    hold_ttl_seconds: int = Field(default=300, alias="HOLD_TTL_SECONDS", ge=30, le=900)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls.model_validate({k: v for k, v in env.items() if v != ""})
