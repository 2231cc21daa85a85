"""What the stack grants and what it watches, as a deployer would audit template.yaml: least privilege on named
tables, indexes, topic and parameters; the admin routes behind IAM; access logs; concurrency and dead-letter choices;
and alarms that reach the operator on metrics the code really emits."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from spendrail.alerts.model import OPERATOR, Alert, AlertKind
from spendrail.api.observe import Observer
from spendrail.chat.question import Answer
from spendrail.closing import reconcile
from spendrail.closing.reconcile import Reconciler
from spendrail.errors import UpstreamError
from spendrail.ledger.memory import InMemoryLedger
from spendrail.policy import BudgetPolicy
from tests.conftest import Clock
from tests.template import cfn

FUNCTIONS = sorted(cfn.functions())
TABLES = cfn.resources("AWS::DynamoDB::Table")
ALARMS = cfn.resources("AWS::CloudWatch::Alarm")
WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
# The contract's admin routes (../shared/DESIGN.md, "Admin API").
ADMIN_ROUTES = {
    ("PUT", "/v1/admin/tenants/{tenantId}"),
    ("GET", "/v1/admin/tenants"),
    ("GET", "/v1/admin/tenants/{tenantId}"),
    ("POST", "/v1/admin/tenants/{tenantId}/keys"),
    ("DELETE", "/v1/admin/tenants/{tenantId}/keys/{keyId}"),
    ("GET", "/v1/admin/tenants/{tenantId}/budget"),
    ("POST", "/v1/admin/tenants/{tenantId}/dashboard-links"),
}


def _ssm_arn(name: str) -> str:
    return f"arn:aws:ssm:{cfn.REGION}:{cfn.ACCOUNT}:parameter{name}"


def _granted(logical_id: str, action: str) -> list[str]:
    """The resolved resources `action` is allowed on (every optional feature on)."""
    found: list[str] = []
    for statement in cfn.statements(logical_id):
        if action in cfn.as_list(statement["Action"]):
            resolved = cfn.resolve(cfn.as_list(statement["Resource"]), cfn.EVERYTHING_ON)
            found += [r for r in resolved if r is not None]
    return found


# ---- least privilege ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_no_function_is_granted_a_wildcard_action_or_resource(logical_id: str) -> None:
    tenant_webhooks = _ssm_arn(cfn.resolve({"Ref": "TenantSecretsPrefix"}) + "/tenants/*/slack-webhook")
    for statement in cfn.statements(logical_id):
        assert statement["Effect"] == "Allow"
        for action in cfn.as_list(statement["Action"]):
            assert action != "*" and not action.endswith(":*"), (logical_id, action)
        for resource in cfn.resolve(cfn.as_list(statement["Resource"]), cfn.EVERYTHING_ON):
            # The one pattern: a tenant's webhook secret, whose tenant is known only at run time.
            assert resource is None or "*" not in resource or resource == tenant_webhooks, (logical_id, resource)


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_table_access_is_to_named_tables_and_their_own_indexes(logical_id: str) -> None:
    for statement in cfn.statements(logical_id):
        if not any(a.startswith("dynamodb:") for a in cfn.as_list(statement["Action"])):
            continue
        for resource in cfn.as_list(statement["Resource"]):
            if "GetAtt" in resource:
                table, _, attribute = resource["GetAtt"].partition(".")
                assert (table in TABLES, attribute) == (True, "Arn"), resource
                continue
            table_ref, _, index = resource["Sub"].removeprefix("${").partition(".Arn}/index/")
            properties = TABLES[table_ref]["Properties"]
            indexes = properties.get("GlobalSecondaryIndexes", []) + properties.get("LocalSecondaryIndexes", [])
            assert index in {i["IndexName"] for i in indexes}, resource


def test_only_the_admin_function_can_write_tenants_and_keys() -> None:
    for logical_id in FUNCTIONS:
        writes = [
            s
            for s in cfn.statements(logical_id)
            if WRITES & set(cfn.as_list(s["Action"])) and {"GetAtt": "TenantTable.Arn"} in cfn.as_list(s["Resource"])
        ]
        assert bool(writes) == (logical_id == "AdminFunction"), logical_id


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_a_function_reads_exactly_the_secrets_its_environment_names(logical_id: str) -> None:
    env = cfn.resolved_environment(logical_id, cfn.EVERYTHING_ON)
    named = {_ssm_arn(value) for name, value in env.items() if name.endswith("_PARAM") and value}
    granted = set(_granted(logical_id, "ssm:GetParameter"))
    if "TENANT_SECRETS_PREFIX" in env and logical_id == "SlackFunction":
        named.add(_ssm_arn(env["TENANT_SECRETS_PREFIX"] + "/tenants/*/slack-webhook"))
    assert granted == named


def test_the_admin_function_writes_only_tenants_webhook_secrets() -> None:
    prefix = cfn.resolve({"Ref": "TenantSecretsPrefix"})
    for action in ("ssm:PutParameter", "ssm:DeleteParameter"):
        assert _granted("AdminFunction", action) == [_ssm_arn(f"{prefix}/tenants/*/slack-webhook")]
        for other in set(FUNCTIONS) - {"AdminFunction"}:
            assert _granted(other, action) == [], other


def test_every_publisher_may_use_the_topics_key_and_the_topic_is_not_under_the_aws_managed_key() -> None:
    topic = cfn.resources()["AlertsTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Ref": "EncryptionKey"}
    publishers = [f for f in FUNCTIONS if _granted(f, "sns:Publish")]
    assert set(publishers) == {"ChatFunction", "WindowsFunction", "AdminFunction"}
    key_arn = cfn.resolve({"GetAtt": "EncryptionKey.Arn"})
    for logical_id in publishers:
        assert _granted(logical_id, "sns:Publish") == [cfn.resolve({"Ref": "AlertsTopic"})]
        for action in ("kms:GenerateDataKey*", "kms:Decrypt"):
            assert _granted(logical_id, action) == [key_arn], (logical_id, action)


def test_cloudwatch_alarms_of_this_account_may_use_the_topics_key() -> None:
    key = cfn.resources()["EncryptionKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    cloudwatch = {"Service": "cloudwatch.amazonaws.com"}
    [statement] = [s for s in key["KeyPolicy"]["Statement"] if s["Principal"] == cloudwatch]
    assert set(statement["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    for statement in key["KeyPolicy"]["Statement"]:
        assert statement["Principal"] != "*" and statement["Principal"] != {"AWS": "*"}


# ---- the API --------------------------------------------------------------------------------------------------------


def test_admin_routes_are_the_contracts_each_behind_the_iam_authorizer() -> None:
    routes = cfn.http_routes("AdminFunction")
    admin = {key for key in routes if key[1].startswith("/v1/admin/")}
    assert admin == ADMIN_ROUTES
    for key in admin:
        assert routes[key]["Auth"] == {"Authorizer": "AWS_IAM"}, key
        assert routes[key]["ApiId"] == {"Ref": "ChatApi"}
    api = cfn.resources()["ChatApi"]["Properties"]
    assert api["Auth"]["EnableIamAuthorizer"] is True
    assert "DefaultAuthorizer" not in api["Auth"]  # chat keys and page links are checked by the functions


def test_the_chat_route_and_the_budget_page_are_public_routes_of_the_same_api() -> None:
    public = {("POST", "/v1/chat"): "ChatFunction", ("GET", "/dashboard"): "AdminFunction"}
    for key, logical_id in public.items():
        route = cfn.http_routes(logical_id)[key]
        assert "Auth" not in route
        assert route["ApiId"] == {"Ref": "ChatApi"}
    throttle = cfn.resources()["ChatApi"]["Properties"]["RouteSettings"]["GET /dashboard"]
    assert throttle["ThrottlingRateLimit"] <= 10


def test_api_access_logs_go_to_a_log_group_with_retention_and_never_record_the_page_token() -> None:
    settings = cfn.resources()["ChatApi"]["Properties"]["AccessLogSettings"]
    group = cfn.resources()[settings["DestinationArn"]["GetAtt"].removesuffix(".Arn")]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert 0 < group["Properties"]["RetentionInDays"] <= 90
    fields = json.loads(settings["Format"])  # CloudWatch Logs Insights reads it as JSON
    assert {"requestId", "routeKey", "status"} <= set(fields)
    for value in fields.values():  # a budget-page link's token is in the query string: no path, no query
        assert "querystring" not in value.lower() and value not in {"$context.path", "$context.http.path"}


# ---- concurrency, retries, dead letters -----------------------------------------------------------------------------


def test_every_function_but_chat_has_reserved_concurrency_and_windows_runs_alone() -> None:
    expected = {"AdminFunction": 10, "SlackFunction": 5, "WindowsFunction": 1}
    for logical_id in FUNCTIONS:
        reserved = cfn.functions()[logical_id]["Properties"].get("ReservedConcurrentExecutions")
        if logical_id == "ChatFunction":
            assert reserved is None  # on purpose: docs/deploy.md
        else:
            assert reserved == {"If": ["ConcurrencyReserved", expected[logical_id], {"Ref": "AWS::NoValue"}]}
    assert cfn.condition("ConcurrencyReserved")  # reserved unless a deployer turns it off


def test_the_asynchronous_slack_function_dead_letters_what_its_retries_could_not_post() -> None:
    slack = cfn.functions()["SlackFunction"]["Properties"]
    assert slack["DeadLetterQueue"] == {"Type": "SQS", "TargetArn": {"GetAtt": "SlackDeadLetterQueue.Arn"}}
    assert slack["EventInvokeConfig"]["MaximumRetryAttempts"] == 2
    queue = cfn.resources()["SlackDeadLetterQueue"]["Properties"]
    assert queue["MessageRetentionPeriod"] == 14 * 86_400  # the most SQS keeps: time to redrive
    assert _granted("SlackFunction", "kms:GenerateDataKey*")  # Lambda writes the encrypted queue as this role


def test_a_failed_windows_run_is_not_retried_by_the_schedule_nor_by_lambda() -> None:
    windows = cfn.functions()["WindowsFunction"]["Properties"]
    assert windows["EventInvokeConfig"]["MaximumRetryAttempts"] == 0  # the scheduler invokes asynchronously
    [event] = windows["Events"].values()
    assert event["Properties"]["RetryPolicy"]["MaximumRetryAttempts"] == 0
    assert "DeadLetterQueue" not in windows


def test_alarms_never_reach_the_slack_function_and_alerts_always_do() -> None:
    [event] = cfn.functions()["SlackFunction"]["Properties"]["Events"].values()
    assert event["Properties"]["FilterPolicyScope"] == "MessageAttributes"
    assert event["Properties"]["FilterPolicy"] == {"kind": [{"exists": True}]}
    for kind in AlertKind:  # every alert carries the attribute; a CloudWatch alarm carries none
        assert "kind" in Alert(kind, "shop", "daily", "2026-11-28", 1, 2, 0).attributes()


# ---- tables ---------------------------------------------------------------------------------------------------------


def test_tables_are_protected_from_deletion_by_the_parameter_and_money_and_keys_outlive_the_stack() -> None:
    for logical_id, table in TABLES.items():
        assert table["Properties"]["DeletionProtectionEnabled"] == {"Ref": "TableDeletionProtection"}, logical_id
    for logical_id in ("BudgetTable", "TenantTable"):
        table = TABLES[logical_id]
        assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
        assert table["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


# ---- alarms ---------------------------------------------------------------------------------------------------------


def _alarm_metrics(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    properties = alarm["Properties"]
    if "MetricName" in properties:
        return [properties]
    return [m["MetricStat"]["Metric"] for m in properties["Metrics"] if "MetricStat" in m]


def _watched(namespace: str, metric: str) -> list[dict[str, Any]]:
    """The dimensions of every alarm on `metric`."""
    return [
        {d["Name"]: d["Value"] for d in m.get("Dimensions", [])}
        for alarm in ALARMS.values()
        for m in _alarm_metrics(alarm)
        if (m["Namespace"], m["MetricName"]) == (namespace, metric)
    ]


def test_every_alarm_notifies_the_operator_through_the_alerts_topic() -> None:
    assert ALARMS
    for logical_id, alarm in ALARMS.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlertsTopic"}], logical_id
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching", logical_id


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_has_an_errors_and_a_throttles_alarm(metric: str) -> None:
    watched = [d["FunctionName"] for d in _watched("AWS/Lambda", metric)]
    assert sorted(w["Ref"] for w in watched) == FUNCTIONS


def test_the_api_5xx_rate_and_the_dead_letter_queue_are_watched() -> None:
    assert _watched("AWS/ApiGateway", "5xx") == [{"ApiId": {"Ref": "ChatApi"}}]
    assert _watched("AWS/ApiGateway", "Count") == [{"ApiId": {"Ref": "ChatApi"}}]
    queue = {"QueueName": {"GetAtt": "SlackDeadLetterQueue.QueueName"}}
    assert _watched("AWS/SQS", "ApproximateNumberOfMessagesVisible") == [queue]


def test_the_upstream_error_rate_alarm_watches_this_stacks_metrics_as_the_chat_function_names_them() -> None:
    env = cfn.template()["Globals"]["Function"]["Environment"]["Variables"]
    this_stack = {"service": env["POWERTOOLS_SERVICE_NAME"]}
    assert this_stack == {"service": {"Ref": "AWS::StackName"}}  # two stacks in one account never mix figures
    for metric in ("UpstreamErrors", "Requests"):
        assert _watched(env["POWERTOOLS_METRICS_NAMESPACE"], metric) == [this_stack]

    class Metrics:
        names: list[str] = []  # noqa: RUF012

        def add_metric(self, name: str, unit: Any, value: float) -> None:
            self.names.append(name)

    metrics = Metrics()
    observer = Observer(Logger(service="test"), metrics)  # type: ignore[arg-type]
    observer.refused(UpstreamError("OpenRouter answered 503", status=503, kind="unavailable"))
    ledger = InMemoryLedger()
    ledger.put_policy("shop", BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="10"))
    snapshot = ledger.snapshot("shop")
    observer.answered(Answer("hi", "m", 1, 0, None, 1, 1, "stop", 5, "r", snapshot, downgraded=False, route=None))
    assert {"UpstreamErrors", "Requests"} <= set(metrics.names)


def test_the_drift_alarm_counts_the_line_the_reconciliation_logs_when_it_reports_drift(clock: Clock) -> None:
    [metric_filter] = cfn.resources("AWS::Logs::MetricFilter").values()
    assert metric_filter["Properties"]["LogGroupName"] == {"Ref": "WindowsFunctionLogGroup"}
    [transform] = metric_filter["Properties"]["MetricTransformations"]
    assert _watched(transform["MetricNamespace"], transform["MetricName"]) == [{"service": {"Ref": "AWS::StackName"}}]
    assert transform["Dimensions"] == [{"Key": "service", "Value": "$.service"}]
    pattern = metric_filter["Properties"]["FilterPattern"]
    assert pattern.startswith('{ $.message = "') and pattern.endswith('" }')
    message = pattern.removeprefix('{ $.message = "').removesuffix('" }')

    class Account:
        usage = 0

        def usage_nanos(self) -> int:
            return self.usage

    ledger, account = InMemoryLedger(clock=clock), Account()
    ledger.put_policy("shop", BudgetPolicy(daily_cap_usd="5", monthly_cap_usd="50"))
    reconciler = Reconciler(ledger.upkeep(), ledger, account, clock=clock)
    records: list[logging.LogRecord] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler, module_logger = Capture(), logging.getLogger(reconcile.logger.name)
    module_logger.addHandler(handler)
    try:
        assert reconciler().outcome == "baseline"
        account.usage = 10**9  # OpenRouter billed a dollar the ledger never counted
        assert reconciler().outcome == "drift"
    finally:
        module_logger.removeHandler(handler)
    [drift] = [r for r in records if r.getMessage() == message]
    assert drift.levelno == logging.WARNING
    assert [a.kind for a in ledger.pending_alerts(OPERATOR)] == [AlertKind.RECONCILIATION_DRIFT]


# ---- outputs --------------------------------------------------------------------------------------------------------


def test_outputs_give_the_api_url_the_topic_the_tables_and_the_dashboard_link_command() -> None:
    outputs = cfn.template()["Outputs"]
    assert outputs["AlertsTopicArn"]["Value"] == {"Ref": "AlertsTopic"}
    assert cfn.resolve(outputs["ChatApiUrl"]["Value"]).startswith("https://")
    tables = {o["Value"]["Ref"] for o in outputs.values() if o["Value"] in [{"Ref": t} for t in TABLES]}
    assert tables == set(TABLES)
    command = cfn.resolve(outputs["DashboardLinkCommand"]["Value"])
    assert command.startswith("awscurl --service execute-api") and "-X POST" in command
    path = command.split(".amazonaws.com", 1)[1].strip().replace("<tenantId>", "{tenantId}")
    assert ("POST", path) in ADMIN_ROUTES
