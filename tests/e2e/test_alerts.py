"""Alerts in the local stack as an operator sees them: published to SNS, delivered by the Slack function over HTTP
to a Slack stand-in (the operator's SLACK_WEBHOOK_URL), and printed on the console."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from local.dev import LocalStack, StackConfig
from spendrail.alerts.model import Alert, AlertKind
from spendrail.alerts.sns import SnsAlertPublisher
from spendrail.policy import BudgetPolicy
from tests.e2e.conftest import Stack, post
from tests.e2e.test_local_stack import question
from tests.fakes.slack import FakeSlack, Post

OPERATOR, TENANT = "/services/T0/B0/operator", "/services/T1/B1/tenant"


@dataclass
class AlertStack(Stack):
    slack: FakeSlack
    console: list[str]

    def publish(self, alert: Alert) -> float:
        """Publish as the functions do (boto3 SNS); returns when, for timing the delivery."""
        assert self.stack.aws is not None
        start = time.monotonic()
        SnsAlertPublisher(self.stack.aws.client("sns"), self.stack.aws.topic_arn).publish(alert)
        return start

    def walk(self, tenant: str, key: str, first: int = 0) -> int:
        """Distinct questions (numbered from `first`) until the budget refuses; how many were answered."""
        for n in range(200):
            reply = post(self.url, key, question(first + n))
            if reply.status == 429:
                return n
            assert reply.status == 200, reply.body
        raise AssertionError(f"{tenant}'s budget never stopped")


@pytest.fixture(scope="module")
def alert_stack() -> Iterator[AlertStack]:
    with FakeSlack() as slack:
        console: list[str] = []
        config = StackConfig(
            port=0,
            dynamodb_port=0,
            instances=2,
            env={"POWERTOOLS_LOG_LEVEL": "WARNING"},
            slack_webhook_url=slack.url(OPERATOR),
            windows_period_s=2,
        )
        with LocalStack(config, say=console.append) as stack:
            yield AlertStack(stack, slack, console)


def marker(tenant: str) -> Alert:
    return Alert(AlertKind.PROJECTED_EXHAUSTION, tenant, "monthly", "2026-11", 1, 2, at=int(time.time()))


def to(path: str, tenant: str = "") -> Callable[[Post], bool]:
    return lambda post: post.path == path and post.alert_id.startswith(f"{tenant}/" if tenant else "")


def wait_for_marker(alert_stack: AlertStack, tenant: str) -> list[Post]:
    """Everything Slack got up to a marker published now: what the pipeline delivered before it."""
    alert_stack.publish(marker(tenant))
    alert_stack.slack.wait_for(1, to(OPERATOR, tenant))
    return alert_stack.slack.to(OPERATOR)


def test_an_alert_on_the_topic_reaches_slack_and_the_console(alert_stack: AlertStack) -> None:
    took = []
    for tenant in ("console-store", "warm-store"):  # the first meets a Slack function still starting
        soft = Alert(AlertKind.SOFT_CAP, tenant, "daily", "2026-11-28", 8, 10, at=1_796_000_000)
        start = alert_stack.publish(soft)
        delivered = alert_stack.slack.wait_for(len(took) + 1, to(OPERATOR))[-1]
        took.append(delivered.at - start)
        assert (delivered.alert_id, delivered.headline) == (soft.alert_id, soft.headline)
        assert soft.headline == f"Soft cap reached: {tenant}, daily budget 80.0% used"
        wait_for_line(alert_stack, f"SNS   {soft.headline}  [{soft.alert_id}]")
    wait_for_line(alert_stack, "      -> Slack operator: posted", count=2)
    print(f"\npublish -> Slack post: {took[0]:.2f}s (the function starting), then {took[1]:.2f}s")


def wait_for_line(alert_stack: AlertStack, line: str, count: int = 1) -> None:
    deadline = time.monotonic() + 60  # generous: CI runs this beside other suites
    while alert_stack.console.count(line) < count:
        assert time.monotonic() < deadline, alert_stack.console
        time.sleep(0.05)  # polling the console with a deadline


def test_a_tenants_own_webhook_gets_its_alerts_and_only_its_own(alert_stack: AlertStack) -> None:
    assert alert_stack.stack.aws is not None
    alert_stack.stack.aws.client("ssm").put_parameter(
        Name="/spendrail/tenants/own-hook/slack-webhook",
        Value=alert_stack.slack.url(TENANT),
        Type="SecureString",
    )
    alert_stack.publish(Alert(AlertKind.HARD_STOP, "own-hook", "daily", "2026-11-28", 10, 10, at=1_796_000_000))
    alert_stack.publish(Alert(AlertKind.HARD_STOP, "no-hook", "daily", "2026-11-28", 10, 10, at=1_796_000_000))
    wait_for_marker(alert_stack, "no-hook")
    assert [p.alert_id for p in alert_stack.slack.to(TENANT)] == ["own-hook/hard_stop/daily/2026-11-28"]


def test_the_windows_function_runs_on_its_short_period(alert_stack: AlertStack) -> None:
    assert alert_stack.stack.schedule is not None
    deadline = time.monotonic() + 60  # generous: CI runs this beside other suites
    while alert_stack.stack.schedule.runs < 2:
        assert time.monotonic() < deadline, alert_stack.console
        time.sleep(0.1)  # polling with a deadline
    assert not [line for line in alert_stack.console if line.startswith("windows function")], alert_stack.console


def test_a_budget_walk_alerts_soft_cap_degraded_and_hard_stop_once_each_in_order(alert_stack: AlertStack) -> None:
    key = alert_stack.tenant("walker", BudgetPolicy(daily_cap_usd="0.001", monthly_cap_usd="1"))
    answered = alert_stack.walk("walker", key)
    posts = alert_stack.slack.wait_for(3, to(OPERATOR, "walker"))
    assert [p.headline.split(":")[0] for p in posts] == ["Soft cap reached", "Budget degraded", "Hard stop"]
    assert [p.alert_id.split("/")[1] for p in posts] == ["soft_cap", "degraded", "hard_stop"]
    print(f"\nbudget walk: {answered} answers, then 429; Slack got {[p.headline for p in posts]}")

    # The same window again, with questions not asked before (a repeat would be a free exact cache hit, served even
    # when stopped): it ends in a 429 at once or after a question small enough to fit what is left, and not one more
    # alert is sent.
    assert alert_stack.walk("walker", key, first=1000) <= 1
    delivered = wait_for_marker(alert_stack, "walker-marker")
    assert [p.alert_id for p in delivered if p.alert_id.startswith("walker/")] == [p.alert_id for p in posts]


def test_an_alert_whose_publish_died_is_delivered_by_the_windows_function_once(alert_stack: AlertStack) -> None:
    # A request that crossed the soft cap and died before publishing: the ledger claimed the alert into the outbox in
    # the same write, and nothing published it. (The settle below is the request's; no chat function runs it.)
    alert_stack.tenant("orphan", BudgetPolicy(daily_cap_usd="1", monthly_cap_usd="10"))
    ledger = alert_stack.stack.components.ledger
    hold = ledger.reserve("orphan", 850_000_000).hold
    assert hold is not None
    crossed = ledger.settle(hold, 850_000_000).alerts
    assert [a.kind for a in crossed] == [AlertKind.SOFT_CAP]
    died_at = time.monotonic()
    [delivered] = alert_stack.slack.wait_for(1, to(OPERATOR, "orphan"))
    assert delivered.alert_id == crossed[0].alert_id
    print(f"\npublish killed -> delivered by the windows function after {delivered.at - died_at:.2f}s (period 2 s)")
    deadline = time.monotonic() + 60  # generous: CI runs this beside other suites
    while ledger.pending_alerts("orphan"):  # acknowledged just after the publish Slack saw
        assert time.monotonic() < deadline, "published but never acknowledged"
        time.sleep(0.05)  # polling the outbox with a deadline
    # Several more runs later: still that one post.
    schedule = alert_stack.stack.schedule
    assert schedule is not None
    runs, deadline = schedule.runs, time.monotonic() + 60
    while schedule.runs < runs + 2:
        assert time.monotonic() < deadline
        time.sleep(0.1)  # polling the schedule's run count with a deadline
    # (Only the soft cap's posts: a run across midnight UTC rightly adds the next day's budget_reset.)
    assert [p.alert_id for p in alert_stack.slack.to(OPERATOR) if p.alert_id.startswith("orphan/soft_cap/")] == [
        crossed[0].alert_id
    ]
