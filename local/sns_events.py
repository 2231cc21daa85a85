"""The event Lambda gets from an SNS subscription, built from the envelope SNS delivers to an SQS subscriber."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from local.apigw import ACCOUNT_ID


def sns_lambda_event(envelope: dict[str, Any], subscription_arn: str = "") -> dict[str, Any]:
    """One record, as SNS invokes a subscribed function (EventSource aws:sns, the message as it was published)."""
    topic = envelope["TopicArn"]
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn or f"{topic}:{uuid.uuid4()}",
                "Sns": {
                    "Type": envelope.get("Type", "Notification"),
                    "MessageId": envelope["MessageId"],
                    "TopicArn": topic,
                    "Subject": envelope.get("Subject"),
                    "Message": envelope["Message"],
                    "Timestamp": envelope.get("Timestamp") or datetime.now(UTC).isoformat(),
                    "SignatureVersion": "1",
                    "Signature": "local",
                    "SigningCertUrl": "https://sns.local/cert.pem",
                    "UnsubscribeUrl": "https://sns.local/unsubscribe",
                    "MessageAttributes": envelope.get("MessageAttributes", {}),
                },
            }
        ]
    }


def envelope_for(message: str, subject: str, attributes: dict[str, str], topic: str = "") -> dict[str, Any]:
    """What SNS hands a subscriber for a published message (tests build events from it as the bridge does)."""
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": topic or f"arn:aws:sns:us-east-1:{ACCOUNT_ID}:spendrail-alerts",
        "Subject": subject,
        "Message": message,
        "Timestamp": datetime.now(UTC).isoformat(),
        "MessageAttributes": {name: {"Type": "String", "Value": value} for name, value in attributes.items()},
    }
