"""An alert as Slack and e-mail show it, and to whom it goes (in-memory webhooks and idempotency)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from spendrail.alerts.model import OPERATOR, Alert, AlertKind
from spendrail.alerts.once import InMemoryOnce
from spendrail.alerts.received import ReceivedAlert
from spendrail.alerts.slack import SlackAlerts
from spendrail.alerts.slack_blocks import slack_message, time_to_reset
from spendrail.alerts.slack_http import Posted
from spendrail.alerts.sns import sns_message
from spendrail.errors import MalformedAlertError, SecretUnavailableError, SlackUnavailableError

NOW = datetime(2026, 11, 28, 23, 48, tzinfo=UTC)  # 18:48 in New York, 5 h 12 min before its midnight


def soft_cap(tenant: str = "demo-store", **details: Any) -> Alert:
    alert = Alert(
        AlertKind.SOFT_CAP, tenant, "daily", "2026-11-28", 812_500, 1_000_000, at=1_796_000_000,
        timezone="America/New_York",
    )  # fmt: skip
    return alert.with_details(
        model=details.get("model", "mistralai/mistral-small-latest"), dashboard_url=details.get("url")
    )


class Webhooks:
    def __init__(self, operator: str | None = "https://op", tenants: dict[str, str] | None = None) -> None:
        self._operator = operator
        self.tenants = tenants or {}
        self.broken: set[str] = set()

    def operator(self) -> str | None:
        return self._operator

    def tenant(self, tenant_id: str) -> str | None:
        if tenant_id in self.broken:
            raise SecretUnavailableError("SSM is down")
        return self.tenants.get(tenant_id)


class Poster:
    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.down: set[str] = set()

    def post(self, url: str, payload: dict[str, Any], *, destination: str) -> Posted:
        if url in self.down:
            raise SlackUnavailableError("503")
        self.posts.append((url, payload))
        return Posted.POSTED


def test_the_first_line_is_the_contracts_headline_and_the_facts_follow() -> None:
    alert = soft_cap(url="https://dash.example/t/abc")
    payload = slack_message(ReceivedAlert.from_message(json.dumps(alert.message())), NOW)
    header, facts, actions, context = payload["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": alert.headline}}
    assert payload["text"] == alert.headline == "Soft cap reached: demo-store, daily budget 81.3% used"
    assert [f["text"] for f in facts["fields"]] == [
        "*Store*\ndemo-store",
        "*Window*\ndaily (2026-11-28)",
        "*Spent*\n$0.0008125 of $0.001 (81.3%)",
        "*Model now in use*\nmistralai/mistral-small-latest",
        "*Resets*\nin 5 h 12 min, at 00:00 EST",
    ]
    assert actions["elements"][0]["url"] == "https://dash.example/t/abc"
    assert "demo-store/soft_cap/daily/2026-11-28" in context["elements"][0]["text"]


def test_without_a_dashboard_link_there_is_no_button_and_a_hard_stop_names_no_model() -> None:
    stop = Alert(AlertKind.HARD_STOP, "demo-store", "daily", "2026-11-28", 1_000_000, 1_000_000, at=1_796_000_000)
    payload = slack_message(ReceivedAlert.from_message(json.dumps(stop.message())), NOW)
    assert [block["type"] for block in payload["blocks"]] == ["header", "section", "context"]
    assert "*Model now in use*\nnone (answers paused)" in [f["text"] for f in payload["blocks"][1]["fields"]]


def test_an_operator_alert_shows_its_own_facts_not_a_tenants_budget() -> None:
    drift = Alert(
        AlertKind.RECONCILIATION_DRIFT, OPERATOR, "hourly", "2026-11-28T14", 0, 0, at=1_796_000_000,
        extra={"ledgerUsd": "12.5", "billedUsd": "13.9"},
    )  # fmt: skip
    payload = slack_message(ReceivedAlert.from_message(json.dumps(drift.message())), NOW)
    assert payload["text"] == "Spend drift: operator"
    assert [f["text"] for f in payload["blocks"][1]["fields"]] == ["*billedUsd*\n13.9", "*ledgerUsd*\n12.5"]


@pytest.mark.parametrize(
    ("resets_at", "zone", "said"),
    [
        ("2026-11-29T00:00:00-05:00", "America/New_York", "in 5 h 12 min, at 00:00 EST"),
        ("2026-11-29T00:00:00-05:00", None, "in 5 h 12 min, at 00:00 UTC-05:00"),
        ("2026-11-29T00:00:00+00:00", None, "in 12 min, at 00:00 UTC"),
        ("2026-12-01T00:00:00-10:00", "Pacific/Honolulu", "in 2 d 10 h, on Tue 01 Dec at 00:00 HST"),
        ("2026-11-28T23:00:00+00:00", None, "now (at 23:00 UTC)"),
    ],
)
def test_time_to_reset_is_told_in_the_tenants_zone(resets_at: str, zone: str | None, said: str) -> None:
    assert time_to_reset(datetime.fromisoformat(resets_at), NOW, zone) == said


def test_mrkdwn_in_a_value_is_shown_not_interpreted() -> None:
    alert = soft_cap(model="<!channel> & friends")
    payload = slack_message(ReceivedAlert.from_message(json.dumps(alert.message())), NOW)
    assert "*Model now in use*\n&lt;!channel&gt; &amp; friends" in [f["text"] for f in payload["blocks"][1]["fields"]]


@pytest.mark.parametrize(
    "message",
    ["not json", "[1]", json.dumps({"kind": "soft_cap"}), json.dumps({**soft_cap().message(), "window": "weekly"})],
)
def test_a_message_that_is_not_an_alert_is_malformed(message: str) -> None:
    with pytest.raises(MalformedAlertError):
        ReceivedAlert.from_message(message)


def test_e_mail_subscribers_get_the_plain_text_and_everyone_else_the_json() -> None:
    alert = soft_cap()
    forms = json.loads(sns_message(alert))
    assert json.loads(forms["default"]) == alert.message()
    assert forms["email"].splitlines()[0] == alert.headline


def test_every_alert_goes_to_the_operator_and_a_tenants_also_to_its_own_webhook() -> None:
    webhooks, poster = Webhooks(tenants={"demo-store": "https://tenant"}), Poster()
    slack = SlackAlerts(webhooks, poster, InMemoryOnce(), clock=lambda: NOW)
    delivered = slack.deliver(json.dumps(soft_cap().message()))
    assert [(d.destination, d.posted) for d in delivered] == [
        ("operator", Posted.POSTED),
        ("tenant:demo-store", Posted.POSTED),
    ]
    slack.deliver(json.dumps(soft_cap("other-store").message()))
    assert [url for url, _ in poster.posts] == ["https://op", "https://tenant", "https://op"]


def test_a_repeat_of_an_alert_is_dropped_per_destination() -> None:
    webhooks, poster = Webhooks(tenants={"demo-store": "https://tenant"}), Poster()
    slack = SlackAlerts(webhooks, poster, InMemoryOnce(), clock=lambda: NOW)
    poster.down.add("https://tenant")
    with pytest.raises(SlackUnavailableError):
        slack.deliver(json.dumps(soft_cap().message()))
    poster.down.clear()
    redelivered = slack.deliver(json.dumps(soft_cap().message()))  # Lambda's retry
    assert [(d.destination, d.posted) for d in redelivered] == [
        ("operator", Posted.REPEAT),
        ("tenant:demo-store", Posted.POSTED),
    ]
    assert [url for url, _ in poster.posts] == ["https://op", "https://tenant"]


def test_an_unreadable_tenant_secret_still_lets_the_operator_know_and_then_fails_for_a_retry() -> None:
    webhooks, poster = Webhooks(tenants={"demo-store": "https://tenant"}), Poster()
    webhooks.broken.add("demo-store")
    with pytest.raises(SecretUnavailableError):
        SlackAlerts(webhooks, poster, InMemoryOnce(), clock=lambda: NOW).deliver(json.dumps(soft_cap().message()))
    assert [url for url, _ in poster.posts] == ["https://op"]


def test_an_operator_alert_never_looks_for_a_tenant_webhook() -> None:
    webhooks, poster = Webhooks(tenants={OPERATOR: "https://nobody"}), Poster()
    credits = Alert(AlertKind.PROVIDER_CREDITS, OPERATOR, "hourly", "2026-11-28T14", 0, 0, at=1_796_000_000)
    SlackAlerts(webhooks, poster, InMemoryOnce(), clock=lambda: NOW).deliver(json.dumps(credits.message()))
    assert [url for url, _ in poster.posts] == ["https://op"]
