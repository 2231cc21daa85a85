"""AlertPublisher on the SNS alerts topic: one Publish per alert, each subscriber getting its own form.

`MessageStructure="json"` lets one message carry a body per protocol: e-mail subscribers get the plain text
(`email_text`), every other subscriber (the Slack function, an SQS queue) the contract's JSON. The message attributes
are what tenants' subscription filter policies match on (`tenantId`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from spendrail.alerts.model import Alert
from spendrail.errors import AlertPublishError

if TYPE_CHECKING:
    from mypy_boto3_sns.client import SNSClient


def sns_message(alert: Alert) -> str:
    """The message body with `MessageStructure="json"`: `default` (Lambda, SQS, HTTP) and `email`."""
    contract = json.dumps(alert.message(), separators=(",", ":"))
    return json.dumps({"default": contract, "email": alert.email_text()})


class SnsAlertPublisher:
    def __init__(self, client: SNSClient, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    def publish(self, alert: Alert) -> None:
        if not self._topic_arn:
            raise AlertPublishError("no alerts topic is configured (ALERTS_TOPIC_ARN)")
        try:
            self._client.publish(
                TopicArn=self._topic_arn,
                Message=sns_message(alert),
                MessageStructure="json",
                Subject=alert.subject(),
                MessageAttributes={
                    name: {"DataType": "String", "StringValue": value} for name, value in alert.attributes().items()
                },
            )
        except (BotoCoreError, ClientError) as exc:
            raise AlertPublishError(f"SNS publish failed: {type(exc).__name__}: {exc}") from exc
