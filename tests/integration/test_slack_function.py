"""The Slack function as SNS invokes it: real HTTP to a Slack stand-in, idempotency and secrets on moto."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from local.apigw import LambdaContext
from local.sns_events import envelope_for, sns_lambda_event
from spendrail.alerts.model import Alert, AlertKind
from spendrail.errors import MalformedAlertError, SlackUnavailableError
from tests.fakes.slack import FakeSlack
from tests.handlers import load_function

OPERATOR_PATH, TENANT_PATH = "/services/T0/B0/operator", "/services/T1/B1/tenant"


def alert(kind: AlertKind = AlertKind.SOFT_CAP, tenant: str = "demo-store", episode: int = 0) -> Alert:
    return Alert(
        kind, tenant, "daily", "2026-11-28", 900_000, 1_000_000, at=1_796_000_000, timezone="Asia/Tokyo",
        episode=episode,
    )  # fmt: skip


@dataclass
class SlackFunction:
    module: Any
    slack: FakeSlack
    ssm: Any

    def invoke(self, *alerts: Alert | str, timeout_s: float = 15) -> Any:
        records = []
        for one in alerts:
            message = one if isinstance(one, str) else json.dumps(one.message())
            subject = "" if isinstance(one, str) else one.subject()
            attributes = {} if isinstance(one, str) else one.attributes()
            records += sns_lambda_event(envelope_for(message, subject, attributes))["Records"]
        return self.module.lambda_handler({"Records": records}, LambdaContext("slack", timeout_s=timeout_s))

    def tenant_webhook(self, tenant: str, url: str) -> None:
        # Straight into SSM: the CLI accepts only hooks.slack.com, and this one is on loopback.
        self.ssm.put_parameter(
            Name=f"/spendrail/tenants/{tenant}/slack-webhook", Value=url, Type="SecureString", Overwrite=True
        )


@pytest.fixture
def slack_function(moto_dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackFunction]:
    with FakeSlack() as slack:
        env = {
            "IDEMPOTENCY_TABLE_NAME": "idempotency",
            "SLACK_WEBHOOK_URL": slack.url(OPERATOR_PATH),
            "SLACK_TIMEOUT_SECONDS": "1",
            "TENANT_SECRETS_PREFIX": "/spendrail",
            "POWERTOOLS_SERVICE_NAME": "spendrail",
            "POWERTOOLS_METRICS_NAMESPACE": "Spendrail",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield SlackFunction(load_function("slack"), slack, boto3.client("ssm"))


def test_an_alert_reaches_the_operator_as_block_kit_with_the_headline_first(slack_function: SlackFunction) -> None:
    soft = alert()
    assert slack_function.invoke(soft) == ["operator: posted"]
    (post,) = slack_function.slack.to(OPERATOR_PATH)
    assert post.headline == soft.headline == "Soft cap reached: demo-store, daily budget 90.0% used"
    assert post.body["text"] == soft.headline
    assert post.alert_id == "demo-store/soft_cap/daily/2026-11-28"
    facts = [field["text"] for field in post.body["blocks"][1]["fields"]]
    assert "*Spent*\n$0.0009 of $0.001 (90.0%)" in facts
    assert any(fact.startswith("*Resets*") and "00:00 JST" in fact for fact in facts), facts  # Tokyo midnight


def test_a_tenant_with_a_webhook_gets_its_own_alerts_there_too(slack_function: SlackFunction) -> None:
    slack_function.tenant_webhook("demo-store", slack_function.slack.url(TENANT_PATH))
    assert slack_function.invoke(alert(), alert(tenant="other-store")) == [
        "operator: posted",
        "tenant:demo-store: posted",
        "operator: posted",
    ]
    assert [p.alert_id for p in slack_function.slack.to(TENANT_PATH)] == ["demo-store/soft_cap/daily/2026-11-28"]


def test_a_repeat_of_the_same_alert_is_posted_once(slack_function: SlackFunction) -> None:
    slack_function.invoke(alert())
    assert slack_function.invoke(alert()) == ["operator: repeat"]  # an SNS redelivery, or a republished alert
    slack_function.invoke(alert(AlertKind.HARD_STOP))
    assert [p.alert_id for p in slack_function.slack.posts] == [
        "demo-store/soft_cap/daily/2026-11-28",
        "demo-store/hard_stop/daily/2026-11-28",
    ]


def test_a_crossing_again_after_the_window_reopened_is_posted_and_its_repeat_is_not(
    slack_function: SlackFunction,
) -> None:
    slack_function.tenant_webhook("demo-store", slack_function.slack.url(TENANT_PATH))
    slack_function.invoke(alert())
    # The cap was raised (the window's episode 1) and the soft cap crossed again: not a repeat of the first.
    assert slack_function.invoke(alert(episode=1)) == ["operator: posted", "tenant:demo-store: posted"]
    assert slack_function.invoke(alert(episode=1)) == ["operator: repeat", "tenant:demo-store: repeat"]
    assert [p.alert_id for p in slack_function.slack.to(TENANT_PATH)] == [
        "demo-store/soft_cap/daily/2026-11-28",
        "demo-store/soft_cap/daily/2026-11-28/1",
    ]


@pytest.mark.parametrize(("status", "said"), [(429, "rate_limited"), (500, "internal_error"), (503, "")])
def test_slack_busy_or_down_fails_the_invocation_and_the_retry_posts_once(
    slack_function: SlackFunction, status: int, said: str
) -> None:
    slack_function.slack.answer(OPERATOR_PATH, (status, said))
    with pytest.raises(SlackUnavailableError, match=str(status)):
        slack_function.invoke(alert())
    assert slack_function.invoke(alert()) == ["operator: posted"]  # Lambda's async retry
    assert slack_function.invoke(alert()) == ["operator: repeat"]
    assert len(slack_function.slack.posts) == 1


@pytest.mark.parametrize(
    ("status", "said"), [(404, "no_service"), (403, "invalid_token"), (410, "channel_is_archived")]
)
def test_a_revoked_webhook_is_reported_not_retried(slack_function: SlackFunction, status: int, said: str) -> None:
    slack_function.slack.answer(OPERATOR_PATH, (status, said))
    assert slack_function.invoke(alert()) == ["operator: rejected"]
    assert slack_function.invoke(alert()) == ["operator: repeat"]  # no retry storm against a dead webhook
    assert slack_function.slack.posts == []


def test_a_slack_that_never_answers_fails_within_the_timeout(
    slack_function: SlackFunction, stalled_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", f"{stalled_endpoint}/services/T0/B0/x")
    function = SlackFunction(load_function("slack"), slack_function.slack, slack_function.ssm)
    start = time.monotonic()
    with pytest.raises(SlackUnavailableError, match="ReadTimeout"):
        function.invoke(alert())
    assert time.monotonic() - start < 2.5


def test_a_tenant_failure_does_not_hold_back_the_operator(slack_function: SlackFunction) -> None:
    slack_function.tenant_webhook("demo-store", slack_function.slack.url(TENANT_PATH))
    slack_function.slack.answer(TENANT_PATH, (502, "bad gateway"))
    with pytest.raises(SlackUnavailableError):
        slack_function.invoke(alert())
    assert slack_function.invoke(alert()) == ["operator: repeat", "tenant:demo-store: posted"]
    assert [p.path for p in slack_function.slack.posts] == [OPERATOR_PATH, TENANT_PATH]


def test_a_message_that_is_not_an_alert_fails_for_the_dead_letter_queue(slack_function: SlackFunction) -> None:
    with pytest.raises(MalformedAlertError):
        slack_function.invoke('{"hello": "world"}')
    assert slack_function.slack.posts == []


def test_no_webhook_url_ever_appears_in_the_logs(
    slack_function: SlackFunction, capsys: pytest.CaptureFixture[str]
) -> None:
    slack_function.tenant_webhook("demo-store", slack_function.slack.url(TENANT_PATH))
    slack_function.slack.answer(TENANT_PATH, (404, "no_service"))
    slack_function.slack.answer(OPERATOR_PATH, (503, "down"))
    with pytest.raises(SlackUnavailableError) as raised:
        slack_function.invoke(alert())
    out = capsys.readouterr()
    assert "/services/" not in out.out + out.err + str(raised.value)
