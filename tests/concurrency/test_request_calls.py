"""DynamoDB calls per chat request, counted with botocore events on dynalite (DynamoDB's own return rules)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from local import dev, dynalite, tables
from local.apigw import LambdaContext, api_gateway_event
from local.openrouter_sim import OpenRouterSimulator
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.policy import BudgetPolicy
from spendrail.settings import Settings
from spendrail.tenants.dynamodb import DynamoDBTenantDirectory
from spendrail.tenants.model import Tenant
from spendrail.tenants.provision import provision_tenant
from tests.handlers import load_function


class Counted:
    def __init__(self, module: Any, key: str) -> None:
        self.module, self.key = module, key
        self.calls: Counter[str] = Counter()
        client = module.endpoint._service._ledger._table._call.client
        client.meta.events.register("before-call.dynamodb", lambda model, **_: self.calls.update([model.name]))

    def ask(self, prompt: str) -> tuple[dict[str, Any], Counter[str]]:
        self.calls.clear()
        event = api_gateway_event(
            "POST",
            "/v1/chat",
            headers={"authorization": f"Bearer {self.key}"},
            body={"prompt": prompt, "customerId": "cust-1"},
        )
        result = self.module.lambda_handler(event, LambdaContext(function_name="chat"))
        assert result["statusCode"] == 200, result["body"]
        return json.loads(result["body"]), Counter(self.calls)


@pytest.fixture
def chat(dynalite_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Counted]:
    settings = Settings.from_env({})
    client = dynalite.client(dynalite_endpoint)
    existing = set(client.list_tables()["TableNames"])
    wanted = {
        "BudgetTable": settings.budget_table_name,
        "TenantTable": settings.tenant_table_name,
        "IdempotencyTable": settings.idempotency_table_name,
        "CacheTable": settings.cache_table_name,
    }
    tables.create_tables(client, {k: v for k, v in wanted.items() if v not in existing})
    ledger = DynamoDBLedger(client, settings.budget_table_name)
    directory = DynamoDBTenantDirectory(client, settings.tenant_table_name)
    key = provision_tenant(directory, ledger, Tenant("counted"), BudgetPolicy(daily_cap_usd="5", monthly_cap_usd="50"))
    with OpenRouterSimulator() as sim:
        env = dev.function_env(dynalite_endpoint, settings, sim.base_url, "sk-or-test") | {
            "POWERTOOLS_METRICS_DISABLED": "true",
            "CACHE_REFRESH_SECONDS": "3600",  # refreshes are periodic, not per request: keep them out of the count
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield Counted(load_function("chat"), key)


def test_calls_per_request_exact_hit_2_semantic_hit_3_miss_4(chat: Counted) -> None:
    _, first = chat.ask("How do I reset my password?")  # the instance's first request loads its caches
    assert first == Counter(GetItem=4, Query=1, UpdateItem=2, PutItem=1)  # key, profile, ledger, exact; index
    body, miss = chat.ask("How do I track my order?")
    assert body["cached"] is False
    assert miss == Counter(GetItem=1, UpdateItem=2, PutItem=1)  # exact lookup, reserve, settle, store
    body, exact = chat.ask("How do I track my order?")
    assert body["cached"] is True
    assert exact == Counter(GetItem=1, UpdateItem=1)  # exact lookup, savings
    body, semantic = chat.ask("How can I track my order")
    assert body["cached"] is True
    assert semantic == Counter(GetItem=1, UpdateItem=2)  # exact lookup, reserve, settle with savings
