"""A tenant's budget policy: caps, thresholds and the time zone its windows follow."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from spendrail.errors import InvalidInputError
from spendrail.money import MoneyError, usd_to_nanos

_TENANT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def validate_tenant_id(tenant_id: str) -> str:
    if not isinstance(tenant_id, str) or not _TENANT_ID.fullmatch(tenant_id):
        raise InvalidInputError(
            "tenant id must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return tenant_id


class BudgetPolicy(BaseModel):
    """Caps in USD (exact to a nano-dollar), thresholds in percent of the cap, windows in an IANA time zone."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    daily_cap_usd: Decimal = Field(alias="dailyCapUsd", ge=0)
    monthly_cap_usd: Decimal = Field(alias="monthlyCapUsd", ge=0)
    soft_cap_percent: Decimal = Field(default=Decimal(80), alias="softCapPercent", gt=0, le=100)
    degrade_percent: Decimal = Field(default=Decimal(95), alias="degradePercent", gt=0, le=100)
    timezone: str = Field(default="UTC", alias="timezone", min_length=1, max_length=64)

    @field_validator("daily_cap_usd", "monthly_cap_usd", "soft_cap_percent", "degrade_percent", mode="before")
    @classmethod
    def _finite_number(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError("must be a number")
        if isinstance(value, float):
            value = repr(value)
        if isinstance(value, str | int | Decimal):
            try:
                number = Decimal(value)
            except ArithmeticError as exc:
                raise ValueError("must be a number") from exc
            if not number.is_finite():
                raise ValueError("must be a finite number")
            return number
        return value

    @field_validator("daily_cap_usd", "monthly_cap_usd")
    @classmethod
    def _nano_precision(cls, value: Decimal) -> Decimal:
        try:
            usd_to_nanos(value)
        except MoneyError as exc:
            raise ValueError(str(exc)) from exc
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.soft_cap_percent >= self.degrade_percent:
            raise ValueError("softCapPercent must be below degradePercent")
        if self.daily_cap_usd > self.monthly_cap_usd:
            raise ValueError("dailyCapUsd must not exceed monthlyCapUsd")
        return self

    @property
    def daily_cap_nanos(self) -> int:
        return usd_to_nanos(self.daily_cap_usd)

    @property
    def monthly_cap_nanos(self) -> int:
        return usd_to_nanos(self.monthly_cap_usd)
