from typing import Any

import boto3
import pytest
from moto import mock_aws
from pydantic import SecretStr

from spendrail.compose import secret


def test_secrets_come_from_an_ssm_securestring_when_named() -> None:
    with mock_aws():
        ssm: Any = boto3.client("ssm", region_name="us-east-1")
        ssm.put_parameter(Name="/spendrail/openrouter-api-key", Value="sk-or-from-ssm", Type="SecureString")
        assert secret("/spendrail/openrouter-api-key", SecretStr("ignored"))() == "sk-or-from-ssm"


@pytest.mark.parametrize("local", ["sk-or-local", ""])
def test_locally_the_environment_value_is_used(local: str) -> None:
    assert secret("", SecretStr(local))() == local
