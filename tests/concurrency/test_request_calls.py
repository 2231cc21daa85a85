"""DynamoDB calls per chat request, counted with botocore events on dynalite (DynamoDB's own return rules)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from local import dev
from local.apigw import LambdaContext, api_gateway_event
from local.openrouter_sim import OpenRouterSimulator
from spendrail.ledger.dynamodb import DynamoDBLedger
from spendrail.policy import BudgetPolicy
from spendrail.settings import Settings
from spendrail.tenants.dynamodb import DynamoDBTenantDirectory
from spendrail.tenants.model import Tenant
from spendrail.tenants.provision import provision_tenant
from tests.concurrency.chat_tables import chat_tables
from tests.handlers import load_function


class Counted:
    def __init__(self, module: Any, key: str) -> None:
        self.module, self.key = module, key
        self.calls: Counter[str] = Counter()
        client = module.endpoint._service._ledger._table._call.client
        client.meta.events.register("before-call.dynamodb", lambda model, **_: self.calls.update([model.name]))
        # The answer cache's clock and its background updates, which a test runs between requests
        answers = module.endpoint._service._cache._answers
        self.now = 0.0
        self.background: list[Callable[[], None]] = []
        answers._monotonic = lambda: self.now
        answers._executor = self.background.append

    def later(self, seconds: float) -> Counter[str]:
        """Lets `seconds` pass, running the background updates the last request started: their calls."""
        self.calls.clear()
        while self.background:
            self.background.pop(0)()
        self.now += seconds
        return Counter(self.calls)

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
    client, settings = chat_tables(dynalite_endpoint)
    ledger = DynamoDBLedger(client, settings.budget_table_name)
    directory = DynamoDBTenantDirectory(client, settings.tenant_table_name)
    key = provision_tenant(directory, ledger, Tenant("counted"), BudgetPolicy(daily_cap_usd="5", monthly_cap_usd="50"))
    with OpenRouterSimulator() as sim:
        env = dev.function_env(dynalite_endpoint, settings, sim.base_url, "sk-or-test") | {
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
        assert Settings.from_env(env).cache_refresh_seconds == 5  # the template's setting
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


TOPICS = {  # one set per spacing: the tenant's entries stay in the table between tests
    5: [
        ("How do I cancel my subscription?", "How can I cancel my subscription"),
        ("How do I update my shipping address?", "How can I update my shipping address"),
        ("How do I apply a gift card?", "How can I apply a gift card"),
    ],
    60: [
        ("How do I change my email address?", "How can I change my email address"),
        ("How do I delete my account?", "How can I delete my account"),
        ("How do I leave a product review?", "How can I leave a product review"),
    ],
}


@pytest.mark.parametrize("spacing", [5, 60])
def test_calls_per_request_at_realistic_spacing_with_the_templates_refresh(chat: Counted, spacing: int) -> None:
    first = {5: "Do you ship to Canada?", 60: "Do you ship to Mexico?"}[spacing]
    assert chat.ask(first)[0]["cached"] is False  # the instance's first request loads its caches and the index
    critical: dict[str, list[int]] = {"miss": [], "exact": [], "semantic": []}
    background: dict[str, list[int]] = {"miss": [], "exact": [], "semantic": []}
    for question, paraphrase in TOPICS[spacing]:
        for kind, prompt in (("miss", question), ("exact", question), ("semantic", paraphrase)):
            chat.later(spacing)
            body, calls = chat.ask(prompt)
            assert body["cached"] is (kind != "miss"), (kind, prompt)
            if kind != "exact":  # the index is due a refresh and holds every entry but this question's:
                assert calls["Query"] == 1  # the refresh is the exact lookup (no GetItem for it)
            critical[kind].append(calls.total())
            background[kind].append(chat.later(0).total())
    # In all: exact hit 2, semantic hit 3, miss 4 (+1 GetItem when the key or profile cache of 60 s expires, not the
    # answer cache's)
    limits = {"exact": 2, "semantic": 3, "miss": 4}
    for kind, counts in critical.items():
        assert max(counts) <= limits[kind] + (1 if spacing >= 60 else 0), (kind, counts)
    assert all(count == 0 for counts in background.values() for count in counts), background  # nothing left over
    print(
        f"spacing {spacing}s:",
        {k: (sum(v) / len(v), sum(background[k]) / len(v)) for k, v in critical.items()},
    )
