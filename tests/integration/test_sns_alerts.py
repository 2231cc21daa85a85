"""Alerts on the SNS topic as subscribers receive them (moto): the contract's JSON, the attributes, the filters."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from spendrail.alerts.model import Alert, AlertKind
from spendrail.alerts.sns import SnsAlertPublisher
from spendrail.alerts.sns_subscriptions import tenant_filter
from spendrail.compose import Components
from spendrail.errors import AlertPublishError
from spendrail.settings import Settings


def crossing(tenant: str, kind: AlertKind = AlertKind.SOFT_CAP) -> Alert:
    return Alert(kind, tenant, "daily", "2026-11-28", 800_000, 1_000_000, at=1_796_000_000, timezone="America/New_York")


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    with mock_aws():
        sns, sqs = boto3.client("sns"), boto3.client("sqs")
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        yield {"sns": sns, "sqs": sqs, "topic": topic}


def subscribed_queue(aws: dict[str, Any], name: str, filter_policy: str | None = None) -> str:
    url = aws["sqs"].create_queue(QueueName=name)["QueueUrl"]
    arn = aws["sqs"].get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    attributes = {"FilterPolicy": filter_policy} if filter_policy else {}
    aws["sns"].subscribe(TopicArn=aws["topic"], Protocol="sqs", Endpoint=arn, Attributes=attributes)
    return str(url)


def received(aws: dict[str, Any], queue_url: str) -> list[dict[str, Any]]:
    messages = aws["sqs"].receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


def test_a_subscriber_receives_the_contract_json_with_subject_and_attributes(aws: dict[str, Any]) -> None:
    queue = subscribed_queue(aws, "everything")
    alert = crossing("demo-store")
    Components(Settings(ALERTS_TOPIC_ARN=aws["topic"])).alert_publisher.publish(alert)

    (envelope,) = received(aws, queue)
    assert json.loads(envelope["Message"]) == alert.message()
    assert envelope["Subject"] == "Soft cap reached: demo-store, daily budget 80.0% used"
    attributes = {name: (a["Type"], a["Value"]) for name, a in envelope["MessageAttributes"].items()}
    assert attributes == {
        "tenantId": ("String", "demo-store"),
        "kind": ("String", "soft_cap"),
        "severity": ("String", "warning"),
    }


def test_a_tenants_filtered_subscription_sees_only_its_own_alerts(aws: dict[str, Any]) -> None:
    mine = subscribed_queue(aws, "mine", tenant_filter("demo-store"))
    operator = subscribed_queue(aws, "operator")
    publisher = SnsAlertPublisher(aws["sns"], aws["topic"])
    publisher.publish(crossing("demo-store"))
    publisher.publish(crossing("other-store"))
    publisher.publish(crossing("demo-store", AlertKind.HARD_STOP))

    assert [json.loads(m["Message"])["alertId"] for m in received(aws, mine)] == [
        "demo-store/soft_cap/daily/2026-11-28",
        "demo-store/hard_stop/daily/2026-11-28",
    ]
    assert len(received(aws, operator)) == 3


def test_a_topic_that_cannot_be_reached_raises_alert_publish_error(aws: dict[str, Any]) -> None:
    publisher = SnsAlertPublisher(aws["sns"], aws["topic"].replace(":alerts", ":no-such-topic"))
    with pytest.raises(AlertPublishError, match="SNS publish failed"):
        publisher.publish(crossing("demo-store"))
    with pytest.raises(AlertPublishError, match="ALERTS_TOPIC_ARN"):
        SnsAlertPublisher(aws["sns"], "").publish(crossing("demo-store"))


def test_a_stalled_sns_endpoint_is_given_up_within_about_a_second(
    stalled_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", stalled_endpoint)
    publisher = Components(Settings(ALERTS_TOPIC_ARN="arn:aws:sns:us-east-1:123456789012:alerts")).alert_publisher
    start = time.monotonic()
    with pytest.raises(AlertPublishError):
        publisher.publish(crossing("demo-store"))
    took = time.monotonic() - start
    assert took < 1.6, f"the chat request would have waited {took:.2f}s for SNS"
