"""The windows function as EventBridge Scheduler invokes it, on moto (DynamoDB, SNS -> SQS to see what it
publishes) with the OpenRouter simulator's GET /api/v1/key: its wiring, end to end."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from local.apigw import LambdaContext
from local.openrouter_sim import OpenRouterSimulator
from local.schedule import scheduled_event
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.money import usd_to_nanos
from spendrail.policy import BudgetPolicy
from tests.handlers import load_function

CENT = 10_000_000


@pytest.fixture
def topic_queue(moto_dynamodb: Any, simulator: OpenRouterSimulator, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The alerts topic with a queue subscribed (what the function publishes), and the function's environment."""
    sns, sqs = boto3.client("sns", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="seen")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    env = {
        "BUDGET_TABLE_NAME": "budget",
        "ALERTS_TOPIC_ARN": topic,
        "OPENROUTER_BASE_URL": simulator.base_url,
        "OPENROUTER_API_KEY": "sk-or-test",
        "POWERTOOLS_SERVICE_NAME": "spendrail",
        "POWERTOOLS_METRICS_NAMESPACE": "Spendrail",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    def published() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        for message in messages:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        return [json.loads(json.loads(m["Body"])["Message"]) for m in messages]

    return published


def invoke(function: Any) -> dict[str, Any]:
    result: dict[str, Any] = function.lambda_handler(scheduled_event(), LambdaContext("windows", timeout_s=60))
    return result


def test_the_function_closes_yesterday_delivers_the_outbox_reclaims_and_reconciles(
    moto_dynamodb: Any, simulator: OpenRouterSimulator, topic_queue: Any
) -> None:
    yesterday = datetime.now(UTC) - timedelta(days=1)
    ledger = DynamoDBLedger(moto_dynamodb, "budget", clock=lambda: yesterday)
    ledger.put_policy("shop", BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="100"))
    hold = ledger.reserve("shop", 85 * CENT).hold
    assert hold is not None
    [soft] = ledger.settle(hold, 85 * CENT).alerts  # the request died before it could publish
    ledger.reserve("shop", 5 * CENT)  # and another one died before it could settle
    simulator.bill(usd_to_nanos("0.85"))  # what OpenRouter billed for the first one
    function = load_function("windows")

    report = invoke(function)
    assert (report["windows_closed"], report["summaries_written"], report["holds_reclaimed"]) == (1, 1, 1)
    assert report["reconciliation"]["outcome"] == "baseline"
    seen = topic_queue()
    assert sorted(m["kind"] for m in seen) == ["budget_reset", "soft_cap"]
    assert soft.alert_id in {m["alertId"] for m in seen}
    day = yesterday.date().isoformat()
    [summary] = ledger.history("shop")
    assert (summary.key, summary.spent, summary.requests, summary.in_doubt) == (day, 90 * CENT, 2, 5 * CENT)

    again = invoke(function)  # idempotent: nothing left to close or deliver, and the bill agrees
    assert (again["windows_closed"], again["summaries_written"], again["alerts_published"]) == (0, 0, 0)
    assert again["reconciliation"]["outcome"] == "agreed"
    assert topic_queue() == []
