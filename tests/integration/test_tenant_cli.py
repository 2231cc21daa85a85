from typing import Any

import pytest

from spendrail.compose import Components
from spendrail.errors import UnauthorizedError
from spendrail.settings import Settings
from spendrail.tenants import cli
from spendrail.tenants.auth import Authenticator
from spendrail.tenants.dynamodb import DynamoDBTenantDirectory


@pytest.fixture(autouse=True)
def tables(moto_dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("BUDGET_TABLE_NAME", "budget")
    monkeypatch.setenv("TENANT_TABLE_NAME", "tenants")
    return moto_dynamodb


def test_an_operator_creates_a_tenant_and_revokes_its_key(tables: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["create", "acme", "--daily", "2", "--monthly", "20", "--timezone", "Europe/Paris"]) == 0
    key = capsys.readouterr().out.strip()
    auth = Authenticator(DynamoDBTenantDirectory(tables, "tenants"), ttl_seconds=0)
    assert auth.tenant_for(f"Bearer {key}").tenant_id == "acme"
    policy = Components(Settings.from_env(), dynamodb=tables).ledger.snapshot("acme").policy
    assert (policy.daily_cap_nanos, policy.timezone) == (2_000_000_000, "Europe/Paris")
    assert cli.main(["revoke", key]) == 0
    with pytest.raises(UnauthorizedError):
        auth.tenant_for(f"Bearer {key}")


def test_a_bad_policy_is_reported_not_raised(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["create", "acme", "--daily", "50", "--monthly", "20"]) == 2
    assert "dailyCapUsd must not exceed monthlyCapUsd" in capsys.readouterr().err
