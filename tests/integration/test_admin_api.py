"""The admin API through its real handler: API Gateway v2 events, moto DynamoDB/SNS/SSM, and the chat function beside
it, as an agency onboarding and running stores would use them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from local.apigw import LambdaContext, api_gateway_event
from spendrail.admin.auth import new_admin_token
from spendrail.chat.stopped import StoppedTenants
from tests.handlers import load_function
from tests.integration.conftest import ChatHarness

ADMIN_TOKEN = new_admin_token()
STORE = {"dailyBudgetUsd": 5, "monthlyBudgetUsd": 50, "timezone": "America/New_York"}


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def error(self) -> dict[str, Any]:
        return dict(self.body["error"])


@dataclass
class Admin:
    module: Any
    chat: ChatHarness

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = ADMIN_TOKEN,
        query: dict[str, str] | None = None,
        iam: bool = False,
        domain: str | None = None,
    ) -> Reply:
        headers = {"content-type": "application/json"}
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        event = api_gateway_event(method, path, headers=headers, body=body, query=query)
        if domain is not None:  # the API's host, as API Gateway names it
            event["requestContext"]["domainName"] = domain
        if iam:  # what API Gateway adds after verifying a SigV4 signature against IAM
            event["requestContext"]["authorizer"] = {
                "iam": {"accountId": "123456789012", "userArn": "arn:aws:iam::1:u"}
            }
        result = self.module.lambda_handler(event, LambdaContext(function_name="admin"))
        raw = result.get("body") or ""
        return Reply(result["statusCode"], result.get("headers", {}), json.loads(raw) if raw else None)

    def put(self, tenant: str, body: Any = None) -> Reply:
        return self.call("PUT", f"/v1/admin/tenants/{tenant}", STORE if body is None else body)

    def new_key(self, tenant: str) -> str:
        return self.new_key_with_id(tenant)[1]

    def new_key_with_id(self, tenant: str) -> tuple[str, str]:
        reply = self.call("POST", f"/v1/admin/tenants/{tenant}/keys")
        assert reply.status == 201, reply.body
        return str(reply.body["keyId"]), str(reply.body["key"])


@pytest.fixture
def admin(chat: ChatHarness, monkeypatch: pytest.MonkeyPatch) -> Admin:
    sns: Any = boto3.client("sns", region_name="us-east-1")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    monkeypatch.setenv("ADMIN_TOKEN", ADMIN_TOKEN)
    monkeypatch.setenv("ALERTS_TOPIC_ARN", topic)
    return Admin(load_function("admin"), chat)


# ---- onboarding ------------------------------------------------------------------------------------------------


def test_an_agency_onboards_a_store_and_its_first_key_answers_shoppers(admin: Admin) -> None:
    created = admin.put("new-store", {**STORE, "fallbackMessage": "Back at 9am!"})
    assert created.status == 201, created.body
    assert created.body == {
        "tenantId": "new-store",
        "dailyBudgetUsd": 5.0,
        "monthlyBudgetUsd": 50.0,
        "timezone": "America/New_York",
        "softCapPercent": 80.0,
        "degradePercent": 95.0,
        "fallbackMessage": "Back at 9am!",
        "cacheVocabulary": [],
        "cacheThreshold": None,
        "cacheJudge": "band",
        "alerts": {"email": None, "slack": False, "slackWebhookUrl": None},
        "keys": [],
    }
    key = admin.new_key("new-store")
    answered = admin.chat.post({"prompt": "Hi?", "customerId": "c1"}, key=key)
    assert answered.status == 200, answered.body
    assert answered.body["budget"]["dailyRemainingUsd"] < 5
    listed = admin.call("GET", "/v1/admin/tenants/new-store").body
    assert [k["status"] for k in listed["keys"]] == ["active"]
    assert key not in json.dumps(listed)  # a key is shown once, at creation


def test_changing_settings_answers_200_and_takes_effect_on_the_next_request(admin: Admin) -> None:
    admin.put("shop-b")
    key = admin.new_key("shop-b")
    changed = admin.put("shop-b", {"dailyBudgetUsd": 0.000001, "monthlyBudgetUsd": 50})
    assert (changed.status, changed.body["dailyBudgetUsd"], changed.body["timezone"]) == (200, 0.000001, "UTC")
    refused = admin.chat.post({"prompt": "Hi?", "customerId": "c1"}, key=key)
    assert refused.status == 429  # the new, tiny cap applies at once on a warm instance
    admin.put("shop-b", {"dailyBudgetUsd": 5, "monthlyBudgetUsd": 50})
    assert admin.chat.post({"prompt": "Hi?", "customerId": "c1"}, key=key).status == 429  # remembered: no write
    _staleness_bound_passed(admin)
    assert admin.chat.post({"prompt": "Hi?", "customerId": "c1"}, key=key).status == 200


def _staleness_bound_passed(admin: Admin) -> None:
    """What STALE_SECONDS (5 s) do to a warm chat instance: it reads a tenant it saw stopped before refusing again
    (a fresh memory with no staleness allowed; the test does not wait)."""
    admin.chat.module.endpoint._service._budget._stopped = StoppedTenants(stale_seconds=0)


def test_tenants_are_listed_a_page_at_a_time(admin: Admin) -> None:
    for name in ("a-shop", "b-shop", "c-shop"):
        admin.put(name)
    first = admin.call("GET", "/v1/admin/tenants", query={"limit": "2"}).body
    assert [t["tenantId"] for t in first["tenants"]] == ["a-shop", "b-shop"]
    rest = admin.call("GET", "/v1/admin/tenants", query={"limit": "2", "cursor": first["cursor"]}).body
    assert [t["tenantId"] for t in rest["tenants"]] == ["c-shop", "shop"]  # "shop" is the harness's own tenant
    if rest["cursor"] is not None:  # DynamoDB may hand a cursor for an empty last page
        assert admin.call("GET", "/v1/admin/tenants", query={"cursor": rest["cursor"]}).body["tenants"] == []
    bad = admin.call("GET", "/v1/admin/tenants", query={"cursor": "!!not-ours"})
    assert (bad.status, bad.error["code"]) == (400, "invalid_request")
    assert admin.call("GET", "/v1/admin/tenants", query={"limit": "0"}).status == 400


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**STORE, "timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({**STORE, "softCapPercent": 0}, "softCapPercent"),
        ({**STORE, "degradePercent": 101}, "degradePercent"),
        ({**STORE, "softCapPercent": 96}, "body"),  # must be below degradePercent (95)
        ({**STORE, "dailyBudgetUsd": 0}, "dailyBudgetUsd"),
        ({**STORE, "dailyBudgetUsd": -5}, "dailyBudgetUsd"),
        ({**STORE, "dailyBudgetUsd": "5"}, "dailyBudgetUsd"),
        ({**STORE, "dailyBudgetUsd": 0.0000000001}, "dailyBudgetUsd"),
        ({**STORE, "dailyBudgetUsd": 500}, "body"),  # above the monthly cap
        ({**STORE, "alerts": {"email": "not-an-address"}}, "alerts.email"),
        ({**STORE, "alerts": {"slackWebhookUrl": "https://evil.example/services/T/B/X"}}, "alerts.slackWebhookUrl"),
        (
            {**STORE, "alerts": {"slackWebhookUrl": "http://hooks.slack.com/services/T0/B0/abc"}},
            "alerts.slackWebhookUrl",
        ),
        ({**STORE, "daily_budget_usd": 5}, "daily_budget_usd"),
        ({**STORE, "cacheVocabulary": ["x" * 65]}, "cacheVocabulary.0"),
        ({**STORE, "cacheVocabulary": [""]}, "cacheVocabulary.0"),
        ({**STORE, "cacheVocabulary": ["--"]}, "cacheVocabulary"),
        ({**STORE, "cacheVocabulary": [f"term {i}" for i in range(501)]}, "cacheVocabulary"),
        ({**STORE, "cacheVocabulary": "Ridgeback"}, "cacheVocabulary"),
        ({"monthlyBudgetUsd": 50}, "dailyBudgetUsd"),
    ],
)
def test_every_setting_is_validated_with_field_details(admin: Admin, body: dict[str, Any], field: str) -> None:
    reply = admin.put("checked-shop", body)
    assert (reply.status, reply.error["code"]) == (400, "invalid_request"), reply.body
    assert field in [d["field"] for d in reply.error["details"]]
    assert admin.call("GET", "/v1/admin/tenants/checked-shop").status == 404  # nothing half-created


def test_a_stores_cache_vocabulary_is_kept_until_it_is_changed(admin: Admin) -> None:
    terms = ["Ridgeback", "ZX-500 Pro", " Kestrel Trail ", "Ridgeback"]
    created = admin.put("gear-shop", {**STORE, "cacheVocabulary": terms})
    assert created.status == 201, created.body
    kept = ["Kestrel Trail", "Ridgeback", "ZX-500 Pro"]  # trimmed, each once, sorted
    assert created.body["cacheVocabulary"] == kept
    assert admin.put("gear-shop", {**STORE, "fallbackMessage": "Back soon"}).body["cacheVocabulary"] == kept
    assert admin.call("GET", "/v1/admin/tenants/gear-shop").body["cacheVocabulary"] == kept
    assert admin.put("gear-shop", {**STORE, "cacheVocabulary": []}).body["cacheVocabulary"] == []


def test_a_store_chooses_its_cache_threshold_and_when_the_judge_is_asked(admin: Admin) -> None:
    chosen = admin.put("careful", {**STORE, "cacheThreshold": 0.9, "cacheJudge": "always"})
    assert (chosen.body["cacheThreshold"], chosen.body["cacheJudge"]) == (0.9, "always")
    kept = admin.put("careful", STORE)  # omitted: kept
    assert (kept.body["cacheThreshold"], kept.body["cacheJudge"]) == (0.9, "always")
    reset = admin.put("careful", {**STORE, "cacheThreshold": None, "cacheJudge": "off"})  # null: the default
    assert (reset.body["cacheThreshold"], reset.body["cacheJudge"]) == (None, "off")
    for wrong in ({"cacheThreshold": 1.5}, {"cacheThreshold": "high"}, {"cacheJudge": "sometimes"}):
        refused = admin.put("careful", {**STORE, **wrong})
        assert (refused.status, refused.error["code"]) == (400, "invalid_request"), wrong


def test_alert_destinations_are_set_and_the_webhook_never_comes_back(admin: Admin) -> None:
    webhook = "https://hooks.slack.com/services/T0001/B0001/SecretPart123"
    reply = admin.put("hooked", {**STORE, "alerts": {"email": "owner@hooked.example", "slackWebhookUrl": webhook}})
    assert reply.status == 201, reply.body
    assert reply.body["alerts"]["email"] == "owner@hooked.example"
    assert reply.body["alerts"]["slack"] is True
    for shown in (reply.body, admin.call("GET", "/v1/admin/tenants/hooked").body):
        assert "SecretPart123" not in json.dumps(shown)
    ssm: Any = boto3.client("ssm", region_name="us-east-1")
    stored = ssm.get_parameter(Name="/spendrail/tenants/hooked/slack-webhook", WithDecryption=True)
    assert stored["Parameter"]["Value"] == webhook
    removed = admin.put("hooked", {**STORE, "alerts": {"email": None, "slackWebhookUrl": None}})
    assert removed.body["alerts"] == {"email": None, "slack": False, "slackWebhookUrl": None}


# ---- keys ------------------------------------------------------------------------------------------------------


def test_a_revoked_key_is_refused_and_the_others_keep_working(admin: Admin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_CACHE_SECONDS", "0")  # an instance re-checking keys each time (the 60 s bound: unit test)
    admin.chat.module = load_function("chat")
    admin.put("two-keys")
    kept, (key_id, revoked) = admin.new_key("two-keys"), admin.new_key_with_id("two-keys")
    deleted = admin.call("DELETE", f"/v1/admin/tenants/two-keys/keys/{key_id}")
    assert (deleted.status, deleted.body) == (204, None)
    ask = {"prompt": "Hi?", "customerId": "c1"}
    assert admin.chat.post(ask, key=revoked).status == 401
    assert admin.chat.post(ask, key=kept).status == 200
    statuses = sorted(k["status"] for k in admin.call("GET", "/v1/admin/tenants/two-keys").body["keys"])
    assert statuses == ["active", "revoked"]
    missing = admin.call("DELETE", "/v1/admin/tenants/two-keys/keys/nope")
    assert (missing.status, missing.error["code"]) == (404, "not_found")


# ---- who may call --------------------------------------------------------------------------------------------


def test_tenant_keys_never_work_on_admin_and_the_admin_token_never_works_on_chat(admin: Admin) -> None:
    admin.put("guarded")
    tenant_key = admin.new_key("guarded")
    for token in (tenant_key, None, "sra_wrong", ADMIN_TOKEN + "x"):
        reply = admin.call("GET", "/v1/admin/tenants/guarded", token=token)
        assert (reply.status, reply.error["code"]) == (401, "unauthorized")
    chat = admin.chat.post({"prompt": "Hi?", "customerId": "c1"}, key=ADMIN_TOKEN)
    assert (chat.status, chat.error["code"]) == (401, "unauthorized")


def test_in_aws_iam_authorizes_and_without_it_nobody_gets_in(admin: Admin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ADMIN_TOKEN")  # as deployed: no token at all
    admin.module = load_function("admin")
    assert admin.call("GET", "/v1/admin/tenants", token=None, iam=True).status == 200
    assert admin.call("GET", "/v1/admin/tenants", token=ADMIN_TOKEN).status == 401
    assert admin.call("GET", "/v1/admin/tenants", token="").status == 401


# ---- the budget ------------------------------------------------------------------------------------------------


def test_the_budget_shows_both_windows_in_the_tenants_zone(admin: Admin) -> None:
    admin.put("watched", {**STORE, "dailyBudgetUsd": 1, "monthlyBudgetUsd": 10})
    key = admin.new_key("watched")
    answered = admin.chat.post({"prompt": "Do you ship to Canada?", "customerId": "c1"}, key=key).body
    report = admin.call("GET", "/v1/admin/tenants/watched/budget")
    assert report.status == 200, report.body
    body = report.body
    assert (body["tenantId"], body["timezone"], body["state"]) == ("watched", "America/New_York", "active")
    daily = body["daily"]
    assert daily["spentUsd"] == answered["costUsd"]
    assert daily["capUsd"] == 1.0
    assert daily["remainingUsd"] == pytest.approx(1 - answered["costUsd"])
    assert daily["heldUsd"] == 0
    assert daily["resetsAt"].endswith(("-05:00", "-04:00"))  # New York's midnight
    assert body["monthly"]["capUsd"] == 10.0
    assert isinstance(body["history"], list)
    assert isinstance(body["events"], list)


def test_without_a_custom_domain_a_link_opens_on_the_host_the_request_came_in_on(
    admin: Admin, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In AWS the admin function cannot be told its own API's URL (a circular dependency): PUBLIC_BASE_URL is empty.
    monkeypatch.setenv("DASHBOARD_SECRET", "s" * 40)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    admin.module = load_function("admin")
    admin.put("linked")
    host = "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
    issued = admin.call("POST", "/v1/admin/tenants/linked/dashboard-links", domain=host)
    assert issued.status == 201, issued.body
    assert issued.body["url"].startswith(f"https://{host}/dashboard?t=")
    token = issued.body["url"].split("?t=", 1)[1]
    page = admin.module.lambda_handler(
        api_gateway_event("GET", "/dashboard", query={"t": token}), LambdaContext(function_name="admin")
    )
    assert page["statusCode"] == 200
    assert "linked" in page["body"]


def test_unknown_tenants_are_404(admin: Admin) -> None:
    for method, path in (
        ("GET", "/v1/admin/tenants/ghost"),
        ("GET", "/v1/admin/tenants/ghost/budget"),
        ("POST", "/v1/admin/tenants/ghost/keys"),
        ("POST", "/v1/admin/tenants/ghost/dashboard-links"),
    ):
        reply = admin.call(method, path)
        assert (reply.status, reply.error["code"]) == (404, "not_found"), path
    assert admin.call("GET", "/v1/admin/tenants/bad id!").status == 400


def test_raising_a_stopped_stores_cap_serves_the_next_shopper_and_says_budget_restored(admin: Admin) -> None:
    sqs: Any = boto3.client("sqs", region_name="us-east-1")
    queue = sqs.create_queue(QueueName="alerts-seen")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns: Any = boto3.client("sns", region_name="us-east-1")
    topic = sns.list_topics()["Topics"][0]["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    admin.chat.module = load_function("chat")  # with ALERTS_TOPIC_ARN: the chat path publishes what it claims

    admin.put("flash", {"dailyBudgetUsd": 0.0003, "monthlyBudgetUsd": 50})
    key = admin.new_key("flash")
    ask = {"prompt": "Is the sale on all week?", "customerId": "c1", "maxTokens": 64}
    answered = 0
    while admin.chat.post(ask, key=key).status == 200:  # until the hard stop
        answered += 1
        assert answered < 50, "the tiny cap never stopped the store"
    assert admin.chat.post(ask | {"prompt": "One more?"}, key=key).status == 429

    raised = admin.put("flash", {"dailyBudgetUsd": 5, "monthlyBudgetUsd": 50})
    assert raised.status == 200
    _staleness_bound_passed(admin)  # the instance refuses from memory until then (docs/ledger.md, Refusals)
    assert admin.chat.post(ask | {"prompt": "And now?"}, key=key).status == 200  # served on the next request

    kinds = []
    while messages := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages"):
        kinds += [json.loads(m["Body"])["kind"] for m in messages]
        sqs.delete_message_batch(
            QueueUrl=queue, Entries=[{"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in messages]
        )
    assert kinds[-1] == "budget_reset"
    assert kinds.count("budget_reset") == 1 and "hard_stop" in kinds
