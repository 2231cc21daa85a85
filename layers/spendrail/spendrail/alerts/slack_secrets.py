"""Slack webhook URLs: secrets in SSM Parameter Store (SecureString), read through Powertools Parameters.

The operator's webhook is one parameter named by the deployment (or `SLACK_WEBHOOK_URL` locally); a tenant's is
`<prefix>/tenants/<tenantId>/slack-webhook`, absent when the tenant has none. A webhook URL is never logged,
returned or printed in full: `masked()` is all anyone sees of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aws_lambda_powertools.utilities.parameters import SSMProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import BotoCoreError, ClientError

from spendrail.errors import InvalidInputError, SecretUnavailableError
from spendrail.policy import validate_tenant_id

if TYPE_CHECKING:
    from mypy_boto3_ssm.client import SSMClient

SLACK_HOST = "hooks.slack.com"
CACHE_SECONDS = 300  # a changed webhook is used within five minutes


def check_slack_webhook(url: str) -> str:
    """Only Slack's own incoming-webhook URLs are accepted: an alert must not be sent anywhere else."""
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or parts.hostname != SLACK_HOST or parts.port or not parts.path.startswith("/services/"):
        raise InvalidInputError(f"a Slack webhook is https://{SLACK_HOST}/services/...; that is not one")
    return url.strip()


def masked(url: str) -> str:
    """What may be shown of a webhook: its host and last four characters."""
    return f"https://{SLACK_HOST}/services/…{url[-4:]}" if len(url) > 40 else "(set)"


def tenant_webhook_param(prefix: str, tenant_id: str) -> str:
    validate_tenant_id(tenant_id)
    return f"{prefix.rstrip('/')}/tenants/{tenant_id}/slack-webhook"


class SsmSlackWebhooks:
    def __init__(self, client: SSMClient, prefix: str, operator: Callable[[], str]) -> None:
        self._client = client
        self._provider = SSMProvider(boto3_client=client)
        self._prefix = prefix
        self._operator = operator

    def operator(self) -> str | None:
        """The operator's webhook; None when the deployment has none."""
        return self._operator() or None

    def tenant(self, tenant_id: str) -> str | None:
        """The tenant's own webhook; None when it has none. Raises SecretUnavailableError when SSM cannot say."""
        name = tenant_webhook_param(self._prefix, tenant_id)
        try:
            return str(self._provider.get(name, decrypt=True, max_age=CACHE_SECONDS)) or None
        except GetParameterError as exc:
            cause = exc.__context__
            if isinstance(cause, ClientError) and cause.response["Error"]["Code"] == "ParameterNotFound":
                return None
            raise SecretUnavailableError(f"SSM parameter {name!r} could not be read") from None

    def put_tenant(self, tenant_id: str, url: str) -> None:
        name = tenant_webhook_param(self._prefix, tenant_id)
        value = check_slack_webhook(url)
        try:
            self._client.put_parameter(
                Name=name,
                Value=value,
                Type="SecureString",
                Overwrite=True,
                Description=f"Slack webhook for spendrail alerts of tenant {tenant_id}",
            )
        except (BotoCoreError, ClientError) as exc:
            raise SecretUnavailableError(f"SSM parameter {name!r} could not be written: {type(exc).__name__}") from None

    def delete_tenant(self, tenant_id: str) -> None:
        name = tenant_webhook_param(self._prefix, tenant_id)
        try:
            self._client.delete_parameter(Name=name)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ParameterNotFound":
                raise SecretUnavailableError(f"SSM parameter {name!r} could not be deleted") from None
        except BotoCoreError:
            raise SecretUnavailableError(f"SSM parameter {name!r} could not be deleted") from None
