from decimal import Decimal

import pytest
from pydantic import ValidationError

from spendrail.compose import Components
from spendrail.errors import InvalidInputError
from spendrail.policy import BudgetPolicy, validate_tenant_id
from spendrail.settings import Settings


def test_new_tenants_get_the_caps_from_the_environment() -> None:
    settings = Settings.from_env({"DEFAULT_DAILY_BUDGET": "2.5", "DEFAULT_MONTHLY_BUDGET": "40", "UNRELATED": "x"})
    policy = Components(settings).default_policy()
    assert (policy.daily_cap_nanos, policy.monthly_cap_nanos) == (2_500_000_000, 40_000_000_000)
    assert (policy.soft_cap_percent, policy.degrade_percent, policy.timezone) == (80, 95, "UTC")


def test_recipe_defaults_apply_when_the_environment_is_silent() -> None:
    policy = Components(Settings.from_env({"DEFAULT_DAILY_BUDGET": ""})).default_policy()
    assert (policy.daily_cap_usd, policy.monthly_cap_usd) == (Decimal("10.0"), Decimal("100.0"))


def test_policy_accepts_the_api_field_names() -> None:
    policy = BudgetPolicy.model_validate(
        {
            "dailyCapUsd": "1.5",
            "monthlyCapUsd": 30,
            "softCapPercent": 70,
            "degradePercent": 90.5,
            "timezone": "Pacific/Kiritimati",
        }
    )
    assert policy.degrade_percent == Decimal("90.5")
    assert policy.timezone == "Pacific/Kiritimati"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"daily_cap_usd": "-1"}, "greater than or equal to 0"),
        ({"daily_cap_usd": "NaN"}, "finite"),
        ({"monthly_cap_usd": float("inf")}, "finite"),
        ({"daily_cap_usd": "abc"}, "number"),
        ({"daily_cap_usd": True}, "number"),
        ({"daily_cap_usd": "0.0000000001"}, "nano-dollar"),
        ({"soft_cap_percent": 95, "degrade_percent": 95}, "softCapPercent must be below degradePercent"),
        ({"soft_cap_percent": 0}, "greater than 0"),
        ({"degrade_percent": 101}, "less than or equal to 100"),
        ({"timezone": "Mars/Olympus_Mons"}, "unknown IANA time zone"),
        ({"timezone": "../../etc/passwd"}, "unknown IANA time zone"),
        ({"daily_cap_usd": "200"}, "dailyCapUsd must not exceed monthlyCapUsd"),
        ({"surprise": 1}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_policies_are_refused_with_a_clear_message(fields: dict[str, object], message: str) -> None:
    base: dict[str, object] = {"daily_cap_usd": "10", "monthly_cap_usd": "100"}
    with pytest.raises(ValidationError, match=message):
        BudgetPolicy.model_validate(base | fields)


@pytest.mark.parametrize("tenant_id", ["demo-store", "a", "Store_1.eu", "x" * 64])
def test_valid_tenant_ids(tenant_id: str) -> None:
    assert validate_tenant_id(tenant_id) == tenant_id


@pytest.mark.parametrize("tenant_id", ["", "-lead", "x" * 65, "a b", "TENANT#x", "é", None])
def test_invalid_tenant_ids_are_refused(tenant_id: str) -> None:
    with pytest.raises(InvalidInputError):
        validate_tenant_id(tenant_id)
