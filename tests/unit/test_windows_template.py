"""The windows function as template.yaml deploys it: a schedule two stacks can share an account with, a timeout
that fits the measured run and the period, and access to exactly the indexes and topic it uses."""

from __future__ import annotations

from typing import Any

import yaml

from local.tables import TEMPLATE, _CfnLoader
from spendrail.ledger.table import HOLD_FLAG_INDEX, ROLL_INDEX

# The 5,000-tenant run with every window closing at once, measured on dynalite (docs/benchmarks.md).
MEASURED_5000_TENANT_RUN_SECONDS = 47


def _resources() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506
    resources: dict[str, Any] = doc["Resources"]
    return resources


def test_the_schedule_is_named_per_stack_every_five_minutes_without_retries() -> None:
    [event] = _resources()["WindowsFunction"]["Properties"]["Events"].values()
    assert event["Type"] == "ScheduleV2"
    schedule = event["Properties"]
    assert schedule["Name"] == {"Sub": "${AWS::StackName}-windows"}
    assert schedule["ScheduleExpression"] == "rate(5 minutes)"
    assert schedule["RetryPolicy"]["MaximumRetryAttempts"] == 0


def test_the_timeout_fits_the_measured_run_twice_and_ends_before_the_next_run() -> None:
    timeout = _resources()["WindowsFunction"]["Properties"]["Timeout"]
    assert 2 * MEASURED_5000_TENANT_RUN_SECONDS <= timeout < 300


def test_the_function_may_query_only_the_indexes_it_reads_and_publish_only_to_the_alerts_topic() -> None:
    resources = _resources()
    statements = resources["WindowsFunction"]["Properties"]["Policies"][0]["Statement"]
    queried = [s["Resource"] for s in statements if "dynamodb:Query" in s["Action"]]
    assert queried == [[{"Sub": f"${{BudgetTable.Arn}}/index/{index}"} for index in (HOLD_FLAG_INDEX, ROLL_INDEX)]]
    table_wide = {a for s in statements if s["Resource"] == {"GetAtt": "BudgetTable.Arn"} for a in s["Action"]}
    assert table_wide == {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:BatchGetItem"}
    [publish] = [s for s in statements if s["Action"] == ["sns:Publish"]]
    assert publish["Resource"] == {"Ref": "AlertsTopic"}
    indexes = {i["IndexName"] for i in resources["BudgetTable"]["Properties"]["GlobalSecondaryIndexes"]}
    assert {HOLD_FLAG_INDEX, ROLL_INDEX} <= indexes
    env = resources["WindowsFunction"]["Properties"]["Environment"]["Variables"]
    assert env["ALERTS_TOPIC_ARN"] == {"Ref": "AlertsTopic"}
