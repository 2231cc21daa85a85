"""An operator sets a tenant's own alert destinations with the CLI (moto: tables, topic, parameters)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from spendrail.compose import Components
from spendrail.settings import Settings
from spendrail.tenants import cli

WEBHOOK = "https://hooks.slack.com/services/T0001/B0001/abcdefghijklmnopqrstuvwx"


@pytest.fixture(autouse=True)
def aws(moto_dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    for name, value in {
        "BUDGET_TABLE_NAME": "budget",
        "TENANT_TABLE_NAME": "tenants",
        "ALERTS_TOPIC_ARN": topic,
    }.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["create", "acme", "--daily", "2", "--monthly", "20"]) == 0
    return {"sns": sns, "ssm": boto3.client("ssm"), "topic": topic, "dynamodb": moto_dynamodb}


def email_subscriptions(aws: dict[str, Any]) -> list[tuple[str, Any]]:
    found = []
    for sub in aws["sns"].list_subscriptions_by_topic(TopicArn=aws["topic"])["Subscriptions"]:
        attributes = aws["sns"].get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])["Attributes"]
        found.append((sub["Endpoint"], json.loads(attributes.get("FilterPolicy", "null"))))
    return found


def test_a_tenants_email_is_subscribed_with_a_filter_on_its_tenant_id(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert cli.main(["alerts", "acme", "--email", "ops@acme.example"]) == 0
    assert "ops@acme.example" in capsys.readouterr().out
    assert email_subscriptions(aws) == [("ops@acme.example", {"tenantId": ["acme"]})]

    assert cli.main(["alerts", "acme", "--email", "new@acme.example"]) == 0  # replaces the old one
    assert email_subscriptions(aws) == [("new@acme.example", {"tenantId": ["acme"]})]
    assert cli.main(["alerts", "acme", "--no-email"]) == 0
    assert email_subscriptions(aws) == []


def test_a_slack_webhook_is_a_secret_the_profile_only_records_it_exists(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert cli.main(["alerts", "acme", "--slack-webhook", WEBHOOK]) == 0
    out = capsys.readouterr().out
    assert WEBHOOK not in out and "a webhook is stored as a secret" in out
    stored = aws["ssm"].get_parameter(Name="/spendrail/tenants/acme/slack-webhook", WithDecryption=True)["Parameter"]
    assert (stored["Type"], stored["Value"]) == ("SecureString", WEBHOOK)
    profile = aws["dynamodb"].get_item(TableName="tenants", Key={"pk": {"S": "TENANT#acme"}, "sk": {"S": "ALERTS"}})
    assert profile["Item"]["slack"] == {"BOOL": True}
    assert WEBHOOK not in json.dumps(profile["Item"])
    assert Components(Settings.from_env()).slack_webhooks.tenant("acme") == WEBHOOK  # what the Slack function reads

    assert cli.main(["alerts", "acme", "--no-slack"]) == 0
    assert Components(Settings.from_env()).slack_webhooks.tenant("acme") is None


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.slack.com/services/T0/B0/x",
        "https://hooks.slack.com.evil.example/services/T0/B0/x",
        "https://example.com/services/T0/B0/x",
        "https://hooks.slack.com/other/T0/B0/x",
    ],
)
def test_only_slack_webhook_urls_are_accepted_and_the_refusal_does_not_echo_them(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str], url: str
) -> None:
    assert cli.main(["alerts", "acme", "--slack-webhook", url]) == 2
    err = capsys.readouterr().err
    assert "https://hooks.slack.com/services/" in err and url not in err
    assert aws["ssm"].describe_parameters()["Parameters"] == []


def test_an_unknown_tenant_or_address_is_refused(aws: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["alerts", "nobody", "--email", "a@b.example"]) == 2
    assert "no tenant 'nobody'" in capsys.readouterr().err
    assert cli.main(["alerts", "acme", "--email", "not-an-address"]) == 2
    assert "not an e-mail address" in capsys.readouterr().err
    assert email_subscriptions(aws) == []


def test_removing_destinations_that_do_not_exist_is_fine(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["alerts", "acme", "--no-email", "--no-slack"]) == 0
    assert "e-mail  none" in capsys.readouterr().out


def test_without_a_topic_the_email_is_refused_with_the_setting_to_fix(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ALERTS_TOPIC_ARN", aws["topic"].replace(":alerts", ":gone"))
    assert cli.main(["alerts", "acme", "--email", "ops@acme.example"]) == 2
    assert "SNS did not subscribe the address" in capsys.readouterr().err
    monkeypatch.delenv("ALERTS_TOPIC_ARN")
    assert cli.main(["alerts", "acme", "--email", "ops@acme.example"]) == 2
    assert "ALERTS_TOPIC_ARN" in capsys.readouterr().err


def test_an_unreachable_ssm_is_an_error_that_names_the_parameter_not_the_url(
    aws: dict[str, Any], stalled_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spendrail.errors import SecretUnavailableError

    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", stalled_endpoint)
    webhooks = Components(Settings.from_env()).slack_webhooks
    with pytest.raises(SecretUnavailableError, match="/spendrail/tenants/acme/slack-webhook") as read:
        webhooks.tenant("acme")
    with pytest.raises(SecretUnavailableError) as written:
        webhooks.put_tenant("acme", WEBHOOK)
    with pytest.raises(SecretUnavailableError):
        webhooks.delete_tenant("acme")
    assert WEBHOOK not in str(read.value) + str(written.value)
