"""The admin API over HTTP in the local stack, as an agency running stores uses it with the printed ADMIN_TOKEN."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from tests.e2e.conftest import HttpReply, Stack, post


def admin(stack: Stack, method: str, path: str, body: Any = None, token: str | None = None) -> HttpReply:
    token = stack.stack.config.admin_token if token is None else token
    request = urllib.request.Request(  # noqa: S310 - loopback http only
        f"{stack.url}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
            raw = response.read()
            return HttpReply(response.status, dict(response.headers), json.loads(raw) if raw else {})
    except urllib.error.HTTPError as error:
        raw = error.read()
        return HttpReply(error.code, dict(error.headers), json.loads(raw) if raw else {})


def test_onboard_a_store_answer_a_shopper_read_the_budget_and_revoke_the_key(local_stack: Stack) -> None:
    created = admin(local_stack, "PUT", "/v1/admin/tenants/e2e-store", {"dailyBudgetUsd": 2, "monthlyBudgetUsd": 20})
    assert created.status == 201, created.body
    issued = admin(local_stack, "POST", "/v1/admin/tenants/e2e-store/keys")
    assert issued.status == 201, issued.body
    key, key_id = issued.body["key"], issued.body["keyId"]

    answered = post(local_stack.url, key, {"prompt": "Do you gift wrap?", "customerId": "c-1"})
    assert answered.status == 200, answered.body

    budget = admin(local_stack, "GET", "/v1/admin/tenants/e2e-store/budget").body
    assert budget["daily"]["spentUsd"] == answered.body["costUsd"]
    assert budget["daily"]["capUsd"] == 2.0

    listed = admin(local_stack, "GET", "/v1/admin/tenants", None).body
    assert "e2e-store" in [t["tenantId"] for t in listed["tenants"]]

    assert admin(local_stack, "DELETE", f"/v1/admin/tenants/e2e-store/keys/{key_id}").status == 204
    keys = admin(local_stack, "GET", "/v1/admin/tenants/e2e-store").body["keys"]
    assert [(k["keyId"], k["status"]) for k in keys] == [(key_id, "revoked")]


def test_neither_kind_of_credential_works_where_the_other_belongs(local_stack: Stack) -> None:
    tenant_key = local_stack.stack.tenant_key
    refused = admin(local_stack, "GET", "/v1/admin/tenants", token=tenant_key)
    assert (refused.status, refused.body["error"]["code"]) == (401, "unauthorized")
    chat = post(local_stack.url, local_stack.stack.config.admin_token, {"prompt": "Hi", "customerId": "c"})
    assert (chat.status, chat.body["error"]["code"]) == (401, "unauthorized")
