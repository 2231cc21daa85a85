"""A tenant's e-mail subscription to the alerts topic, filtered on `tenantId` so it gets only that tenant's alerts."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from spendrail.errors import SubscriptionError

if TYPE_CHECKING:
    from mypy_boto3_sns.client import SNSClient


def tenant_filter(tenant_id: str) -> str:
    return json.dumps({"tenantId": [tenant_id]})


class SnsEmailSubscriptions:
    def __init__(self, client: SNSClient, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    def subscribe(self, tenant_id: str, email: str) -> str:
        if not self._topic_arn:
            raise SubscriptionError("no alerts topic is configured (ALERTS_TOPIC_ARN)")
        try:
            response = self._client.subscribe(
                TopicArn=self._topic_arn,
                Protocol="email",
                Endpoint=email,
                Attributes={"FilterPolicy": tenant_filter(tenant_id), "FilterPolicyScope": "MessageAttributes"},
                ReturnSubscriptionArn=True,  # the real ARN even before the address confirms, so it can be removed
            )
        except (BotoCoreError, ClientError) as exc:
            raise SubscriptionError(f"SNS did not subscribe the address: {type(exc).__name__}: {exc}") from None
        return response["SubscriptionArn"]

    def unsubscribe(self, subscription_arn: str) -> None:
        try:
            self._client.unsubscribe(SubscriptionArn=subscription_arn)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "NotFound":
                raise SubscriptionError(f"SNS did not remove the old subscription: {exc}") from None
        except BotoCoreError as exc:
            raise SubscriptionError(f"SNS did not remove the old subscription: {type(exc).__name__}") from None
